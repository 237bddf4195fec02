using BenchmarkDotNet.Attributes;
using RateLab.Core.Diffusion;
using RateLab.Core.Exact;
using RateLab.Core.Randomness;
using RateLab.Core.Samplers.Diffusion;
using RateLab.Core.Targets;

namespace RateLab.Bench;

/// <summary>The Gaussian-mixture score (W2's target, d = 64, K = 16) and the exact Li–Jiao analysis (W4 at d = 10⁴).</summary>
[MemoryDiagnoser]
public class ScoreAndExactBenchmarks
{
    readonly GaussianMixture mixture = GaussianMixture.Random(64, 16, 4.0, 0.7, 3);
    readonly double[] x = new double[64], score = new double[64];
    GaussianNoisedScore data = null!;
    LiJiaoSchedule schedule = null!;
    double[] u = null!, mean = null!, variance = null!;

    /// <summary>Point and exact problem.</summary>
    [GlobalSetup]
    public void Setup()
    {
        CounterRng.Normals(5, 0, 0, 0, x);
        const int d = 10_000;
        data = new GaussianNoisedScore(Enumerable.Range(0, d).Select(i => Math.Sin(i)).ToArray(),
            Enumerable.Range(0, d).Select(i => 0.5 + (double)i / d).ToArray());
        schedule = new LiJiaoSchedule(1024, 8, 2.0, 4.0);
        u = LiJiaoDiagonal.Draw(schedule, data, new PhiloxNoise(1), 0);
        mean = new double[d];
        variance = new double[d];
    }

    /// <summary>∇log π of the 16-component mixture at one point.</summary>
    [Benchmark]
    public void MixtureScore() => mixture.Score(x, score);

    /// <summary>Exact output law of Li–Jiao, T = 1024, d = 10⁴, one thread.</summary>
    [Benchmark]
    public void ExactLiJiaoDiagonal() => LiJiaoDiagonal.Propagate(schedule, data, u, mean, variance, 1);
}
