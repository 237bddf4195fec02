using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Randomness;
using RateLab.Core.Samplers;
using RateLab.Core.Samplers.Diffusion;
using RateLab.Core.Samplers.Langevin;
using RateLab.Core.Targets;

namespace RateLab.Bench;

/// <summary>
/// The side-by-side workloads, read from the same JSON files the NumPy and PyTorch peers read, so that no side is
/// timed on a different problem. Output: seconds plus the summary statistics the peers print.
/// </summary>
public static class Workloads
{
    /// <summary>Runs the workload in <paramref name="path"/> on <paramref name="threads"/> threads.</summary>
    public static string Run(string path, int threads)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var w = doc.RootElement;
        if (w.GetProperty("sampler").GetString() == LearnedScoreWorkload.Sampler) return LearnedScoreWorkload.Run(w, threads);
        int d = w.GetProperty("d").GetInt32(), chains = w.GetProperty("chains").GetInt32();
        long steps = w.GetProperty("steps").GetInt64();
        ulong seed = w.GetProperty("seed").GetUInt64();
        var kernel = Kernel(w, d);
        if (kernel is LiJiao lj && steps != lj.Steps)
            throw new ArgumentException($"steps = {steps}; allowed: K = {lj.Steps} (the Li–Jiao output is the state after all K rounds).");
        var field = Field(w, d);
        // An untimed run on a few chains first, so JIT compilation is not in the figure (as in W4 and W5; process
        // start-up is measured on its own).
        int warm = Math.Min(chains, 128);
        SamplerRunner.Run(kernel, new PhiloxNoise(seed + 1), new ScoreOracle(field, warm),
            new ChainBatch(warm, kernel.StateLength, d), kernel is LiJiao ? steps : 1, threads);
        var oracle = new ScoreOracle(field, chains);
        var batch = new ChainBatch(chains, kernel.StateLength, d);
        var clock = Stopwatch.StartNew();
        SamplerRunner.Run(kernel, new PhiloxNoise(seed), oracle, batch, steps, threads);
        double seconds = clock.Elapsed.TotalSeconds;
        return Summary(batch, seconds, oracle.MeanEvaluations);
    }

    static ISamplerKernel Kernel(JsonElement w, int d) => w.GetProperty("sampler").GetString() switch
    {
        "ula" => new Ula(d, w.GetProperty("h").GetDouble(), StartLaw.Point(new double[d])),
        "li-jiao" => new LiJiao(d, new LiJiaoSchedule(w.GetProperty("T").GetInt32(), w.GetProperty("K").GetInt32(),
            w.GetProperty("c0").GetDouble(), w.GetProperty("c1").GetDouble())),
        var s => throw new ArgumentException($"sampler = '{s}' is not a bench workload; allowed: ula, li-jiao.")
    };

    // Langevin workloads sample the target itself; diffusion workloads run on the exact noised score of the data law.
    static IScoreField Field(JsonElement w, int d)
    {
        var t = w.GetProperty("target");
        return (w.GetProperty("sampler").GetString(), t.GetProperty("kind").GetString()) switch
        {
            ("ula", "isotropic-gaussian") => DiagonalGaussian.Isotropic(d, t.GetProperty("variance").GetDouble()),
            ("ula", "gmm") => Mixture(t, d),
            ("li-jiao", "gmm") => NoisedMixture(t, d),
            var (s, k) => throw new ArgumentException($"target.kind = '{k}' is not a bench target for sampler '{s}'; allowed: isotropic-gaussian or gmm (ula), gmm (li-jiao).")
        };
    }

    /// <summary>The isotropic mixture Σ w_j N(μ_j, σ² I) of a workload file.</summary>
    internal static GaussianMixture Mixture(JsonElement t, int d)
    {
        var weights = t.GetProperty("weights").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var means = t.GetProperty("means").EnumerateArray()
            .Select(m => m.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
        if (means.Any(m => m.Length != d)) throw new ArgumentException($"target.means: every mean must have length d = {d}.");
        double variance = t.GetProperty("variance").GetDouble();
        return new GaussianMixture(weights, means, Enumerable.Repeat(variance, weights.Length).ToArray());
    }

    /// <summary>The noised-score field of the same isotropic mixture (data law of a diffusion workload).</summary>
    static GaussianMixtureNoisedScore NoisedMixture(JsonElement t, int d)
    {
        var m = Mixture(t, d);
        var means = new double[m.Components * d];
        for (int j = 0; j < m.Components; j++) m.ComponentMean(j).CopyTo(means.AsSpan(j * d, d));
        double sd = Math.Sqrt(t.GetProperty("variance").GetDouble());
        return GaussianMixtureNoisedScore.Isotropic(m.Weights.ToArray(), means, Enumerable.Repeat(sd, m.Components).ToArray());
    }

    static string Summary(ChainBatch batch, double seconds, double nfe)
    {
        int n = batch.Chains, d = batch.Dimension;
        var mean = new double[n];
        var sq = new double[n];
        for (int c = 0; c < n; c++)
        {
            var x = batch.Position(c);
            double s = 0, s2 = 0;
            foreach (var v in x) { s += v; s2 += v * v; }
            mean[c] = s / d; sq[c] = s2 / d;
        }
        var (m1, se1) = MeanSe(mean);
        var (m2, se2) = MeanSe(sq);
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"seconds\": {seconds:R}, \"mean\": {m1:R}, \"mean_se\": {se1:R}, \"second_moment\": {m2:R}, \"second_moment_se\": {se2:R}, \"nfe\": {nfe:R}}}");
    }

    internal static (double Mean, double Se) MeanSe(double[] v)
    {
        double m = v.Average(), s = 0;
        foreach (var a in v) s += (a - m) * (a - m);
        return (m, Math.Sqrt(s / (v.Length - 1) / v.Length));
    }
}
