using System.Diagnostics;
using System.Globalization;
using RateLab.Core.Contracts;
using RateLab.Core.Exact;
using RateLab.Core.Samplers;
using RateLab.Core.Samplers.Langevin;

namespace RateLab.Bench;

/// <summary>
/// The randomized Langevin analyses of the quick report at their largest step count, timed with each step's probes
/// packed into one kernel step and one probe at a time: N(0, diag λ), λ_i = 20^{−i/(d−1)} (the quick profile's
/// ill-conditioned Gaussian, d = 16), start at the target, horizon 2, K = 8 for PLMC; R replicates (the report's 64
/// by default) and packing up to
/// PACKED coordinates (ExactOptions.PackedCoordinates; the engine's default by default). The timed runs
/// follow an untimed small one, so JIT compilation is not in the figure; both variants must give the same law.
/// </summary>
public static class PackedProbeWorkload
{
    /// <summary>The samplers this workload knows.</summary>
    public static readonly string[] Samplers = ["rlmc", "shen-lee", "plmc", "plmc-ulmc"];

    /// <summary>Times <paramref name="sampler"/> in dimension <paramref name="d"/> after <paramref name="steps"/>
    /// steps, packed and unpacked, and reports both times and their ratio.</summary>
    public static string Run(string sampler, int d, int steps, int replicates, int packedCoordinates)
    {
        if (!Samplers.Contains(sampler))
            throw new ArgumentException(
                $"sampler = '{sampler}' is unknown; allowed: {string.Join(", ", Samplers)}.", nameof(sampler));
        Analyse(sampler, Math.Min(d, 64), 2, replicates, packedCoordinates);
        Analyse(sampler, Math.Min(d, 64), 2, replicates, 0);
        var clock = Stopwatch.StartNew();
        var unpacked = Analyse(sampler, d, steps, replicates, 0);
        double slow = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var packed = Analyse(sampler, d, steps, replicates, packedCoordinates);
        double fast = clock.Elapsed.TotalSeconds;
        bool same = packed.Law.Mean.AsSpan().SequenceEqual(unpacked.Law.Mean)
                    && packed.Law.Covariance.AsSpan().SequenceEqual(unpacked.Law.Covariance);
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"sampler\": \"{sampler}\", \"d\": {d}, \"steps\": {steps}, \"unpacked_seconds\": {slow:R}, " +
            $"\"packed_seconds\": {fast:R}, \"speedup\": {slow / fast:R}, \"same_law\": {(same ? "true" : "false")}}}");
    }

    static ExactResult Analyse(string sampler, int d, int steps, int replicates, int packedCoordinates)
    {
        var variance = new double[d];
        for (int i = 0; i < d; i++) variance[i] = d == 1 ? 1 : Math.Pow(20, -(double)i / (d - 1));
        var mean = new double[d];
        var start = new StartLaw(mean, Array.ConvertAll(variance, Math.Sqrt));
        var reduction = GaussianReduction.Diagonal(mean, variance, start);
        double h = 2.0 / steps;
        ExactProblem Build(GaussianReduction b)
        {
            ISamplerKernel kernel = sampler switch
            {
                "rlmc" => new Rlmc(b.Dimension, h, b.Start),
                "shen-lee" => new ShenLee(b.Dimension, h, 1, b.Start),
                "plmc" => PoissonMidpoint.Overdamped(b.Dimension, h, 8, b.Start),
                _ => PoissonMidpoint.Underdamped(b.Dimension, h, 8, 2, b.Start),
            };
            return ExactProblem.Langevin(b, kernel, steps);
        }
        var options = new ExactOptions(Replicates: replicates, Seed: 20261123, MaxThreads: 1,
            PackedCoordinates: packedCoordinates);
        return ExactAnalysis.Analyse(reduction, Build, options);
    }
}
