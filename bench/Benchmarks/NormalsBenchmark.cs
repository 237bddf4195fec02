using BenchmarkDotNet.Attributes;
using RateLab.Core.Randomness;

namespace RateLab.Bench;

/// <summary>Normal generation against a plain memory write of the same bytes (the bandwidth it is measured against).</summary>
[MemoryDiagnoser]
public class NormalsBenchmark
{
    readonly double[] buffer = new double[1 << 16];

    /// <summary>65 536 standard normals for one key.</summary>
    [Benchmark]
    public void Normals() => CounterRng.Normals(7, 3, 11, 0, buffer);

    /// <summary>Writing the same 512 KiB of doubles: the memory-write baseline.</summary>
    [Benchmark(Baseline = true)]
    public void Fill() => buffer.AsSpan().Fill(1.5);
}
