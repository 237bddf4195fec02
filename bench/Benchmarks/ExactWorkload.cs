using System.Diagnostics;
using System.Globalization;
using RateLab.Core.Diffusion;
using RateLab.Core.Exact;
using RateLab.Core.Randomness;
using RateLab.Core.Samplers.Diffusion;

namespace RateLab.Bench;

/// <summary>
/// W4: the exact Gaussian analysis of Li–Jiao on diagonal data N(μ, diag(λ)) with distinct variances λ_i = ½ + i/d and
/// μ_i = sin i, one schedule draw (replicate 0 of seed 1), K = 8, c₀ = 2, c₁ = 4. RateLab alone: no peer computes this law.
/// A coordinate-step is one of the 2T score-evaluation updates of one coordinate (both the mean and the slope run).
/// </summary>
public static class ExactWorkload
{
    /// <summary>Times <see cref="LiJiaoDiagonal.Propagate"/> for dimension <paramref name="d"/> and grid size <paramref name="t"/>.</summary>
    public static string Run(int d, int t, int threads)
    {
        var mu = new double[d];
        var lambda = new double[d];
        for (int i = 0; i < d; i++) { mu[i] = Math.Sin(i); lambda[i] = 0.5 + (double)i / d; }
        var data = new GaussianNoisedScore(mu, lambda);
        var schedule = new LiJiaoSchedule(t, 8, 2.0, 4.0);
        var mean = new double[d];
        var variance = new double[d];
        var clock = Stopwatch.StartNew();
        var u = LiJiaoDiagonal.Draw(schedule, data, new PhiloxNoise(1), 0);
        LiJiaoDiagonal.Propagate(schedule, data, u, mean, variance, threads);
        double seconds = clock.Elapsed.TotalSeconds, coordinateSteps = (double)d * 2 * t;
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"seconds\": {seconds:R}, \"coordinate_steps_per_second\": {coordinateSteps / seconds:R}, \"d\": {d}, \"T\": {t}, \"threads\": {threads}, \"mean_of_means\": {mean.Average():R}, \"mean_of_variances\": {variance.Average():R}}}");
    }
}
