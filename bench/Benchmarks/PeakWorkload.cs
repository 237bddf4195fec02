using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RateLab.Bench;

/// <summary>
/// The double-precision FLOP rate one thread reaches when nothing but fused multiply-adds run: 16 independent
/// accumulators of 8 doubles (enough to cover the FMA latency on two units), no memory traffic. This is the "peak" the
/// performance report divides FLOP counts by; best of several passes.
/// </summary>
public static class PeakWorkload
{
    /// <summary>Best of <paramref name="passes"/> timed passes of 2²⁴ iterations each.</summary>
    public static string Run(int passes)
    {
        const long Iterations = 1 << 24;
        Fma(1000);
        double best = double.PositiveInfinity, sink = 0;
        for (int p = 0; p < passes; p++)
        {
            var clock = Stopwatch.StartNew();
            sink += Fma(Iterations);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        double flops = Iterations * 16.0 * Vector512<double>.Count * 2;
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"gflops\": {flops / best / 1e9:R}, \"checksum\": {sink:R}}}");
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static double Fma(long iterations)
    {
        var a = Vector512.Create(0.999999);
        var b = Vector512.Create(1e-9);
        Vector512<double> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default,
            c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default, c12 = default,
            c13 = default, c14 = default, c15 = default;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b); c1 = Vector512.FusedMultiplyAdd(c1, a, b);
            c2 = Vector512.FusedMultiplyAdd(c2, a, b); c3 = Vector512.FusedMultiplyAdd(c3, a, b);
            c4 = Vector512.FusedMultiplyAdd(c4, a, b); c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b); c7 = Vector512.FusedMultiplyAdd(c7, a, b);
            c8 = Vector512.FusedMultiplyAdd(c8, a, b); c9 = Vector512.FusedMultiplyAdd(c9, a, b);
            c10 = Vector512.FusedMultiplyAdd(c10, a, b); c11 = Vector512.FusedMultiplyAdd(c11, a, b);
            c12 = Vector512.FusedMultiplyAdd(c12, a, b); c13 = Vector512.FusedMultiplyAdd(c13, a, b);
            c14 = Vector512.FusedMultiplyAdd(c14, a, b); c15 = Vector512.FusedMultiplyAdd(c15, a, b);
        }
        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15;
        return Vector512.Sum(sum);
    }
}
