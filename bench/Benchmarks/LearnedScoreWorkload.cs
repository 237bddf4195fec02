using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RateLab.Boltzmann;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Randomness;
using RateLab.Core.Samplers;
using RateLab.Core.Samplers.Diffusion;

namespace RateLab.Bench;

/// <summary>
/// W6, a learned-score workload: deterministic DDIM (η = 0) and Heun on the log-SNR-uniform VP grid, both scored by
/// the batched noise-prediction network (<see cref="NetworkScoreField"/>) through the ordinary runner and counting
/// oracle, blocks of chains stepped in lockstep (<see cref="LockstepDdim"/>, <see cref="LockstepHeun"/>) so each
/// block's score is one batched forward pass. Both samplers start from the same N(0, I) draws (the same seed), which
/// <see cref="Export"/> writes out, with the weights and the per-step coefficients, for the PyTorch peer
/// (bench/peers/torch_score_peer.py), so both sides integrate the same ODE from the same points.
/// </summary>
static class LearnedScoreWorkload
{
    /// <summary>The workload file's "sampler" value that selects this workload.</summary>
    public const string Sampler = "ddim+heun";

    sealed record Spec(int D, int Chains, int DdimSteps, int HeunSteps, ulong Seed, ulong NetworkSeed, int Width,
        int Harmonics, double TauMax, double TauMin);

    static Spec Read(JsonElement w)
    {
        var net = w.GetProperty("network");
        var grid = w.GetProperty("grid");
        if (grid.GetProperty("kind").GetString() != "log-snr-uniform")
            throw new ArgumentException("grid.kind: allowed: log-snr-uniform.");
        return new Spec(w.GetProperty("d").GetInt32(), w.GetProperty("chains").GetInt32(),
            w.GetProperty("ddim_steps").GetInt32(), w.GetProperty("heun_steps").GetInt32(),
            w.GetProperty("seed").GetUInt64(), net.GetProperty("seed").GetUInt64(), net.GetProperty("width").GetInt32(),
            net.GetProperty("harmonics").GetInt32(), grid.GetProperty("tau_max").GetDouble(),
            grid.GetProperty("tau_min").GetDouble());
    }

    static (LockstepDdim Ddim, LockstepHeun Heun) Kernels(Spec s) =>
        (new LockstepDdim(new Ddim(s.D, NoiseGrid.LogSnrUniform(s.TauMax, s.TauMin, s.DdimSteps), 0)),
         new LockstepHeun(new Heun(s.D, NoiseGrid.LogSnrUniform(s.TauMax, s.TauMin, s.HeunSteps))));

    /// <summary>Times DDIM then Heun on all chains; prints seconds (both), DDIM's summary statistics as the main ones
    /// and Heun's with a heun_ prefix, and each sampler's NFE per chain.</summary>
    public static string Run(JsonElement w, int threads)
    {
        var s = Read(w);
        using var field = NetworkScoreField.FromSeed(s.D, s.NetworkSeed, s.Width, s.Harmonics);
        var (ddim, heun) = Kernels(s);
        // Untimed warm-up on a few chains so JIT compilation is not in the figure (as for W1–W3).
        int warm = Math.Min(s.Chains, 128);
        foreach (var k in new IBlockKernel[] { ddim, heun })
            SamplerRunner.Run(k, new PhiloxNoise(s.Seed + 1), new ScoreOracle(field, warm),
                new ChainBatch(warm, k.StateLength, s.D), 2, threads);
        var results = new List<(double Seconds, ChainBatch Batch, double Nfe)>();
        foreach (var (k, steps) in new (IBlockKernel, int)[] { (ddim, s.DdimSteps), (heun, s.HeunSteps) })
        {
            var oracle = new ScoreOracle(field, s.Chains);
            var batch = new ChainBatch(s.Chains, k.StateLength, s.D);
            var clock = Stopwatch.StartNew();
            SamplerRunner.Run(k, new PhiloxNoise(s.Seed), oracle, batch, steps, threads);
            results.Add((clock.Elapsed.TotalSeconds, batch, oracle.MeanEvaluations));
        }
        var (m1, se1, m2, se2) = Moments(results[0].Batch);
        var (h1, hse1, h2, hse2) = Moments(results[1].Batch);
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"seconds\": {results[0].Seconds + results[1].Seconds:R}, \"ddim_seconds\": {results[0].Seconds:R}, " +
            $"\"heun_seconds\": {results[1].Seconds:R}, \"mean\": {m1:R}, \"mean_se\": {se1:R}, " +
            $"\"second_moment\": {m2:R}, \"second_moment_se\": {se2:R}, \"heun_mean\": {h1:R}, " +
            $"\"heun_mean_se\": {hse1:R}, \"heun_second_moment\": {h2:R}, \"heun_second_moment_se\": {hse2:R}, " +
            $"\"nfe\": {results[0].Nfe + results[1].Nfe:R}, \"ddim_nfe\": {results[0].Nfe:R}, " +
            $"\"heun_nfe\": {results[1].Nfe:R}}}");
    }

    static (double, double, double, double) Moments(ChainBatch batch)
    {
        int n = batch.Chains, d = batch.Dimension;
        var mean = new double[n];
        var sq = new double[n];
        for (int c = 0; c < n; c++)
        {
            double a = 0, a2 = 0;
            foreach (var v in batch.Position(c)) { a += v; a2 += v * v; }
            mean[c] = a / d; sq[c] = a2 / d;
        }
        var (m1, se1) = Workloads.MeanSe(mean);
        var (m2, se2) = Workloads.MeanSe(sq);
        return (m1, se1, m2, se2);
    }

    /// <summary>
    /// Writes, for the PyTorch peer, into <paramref name="directory"/>: weights.bin (θ, little-endian float64, the
    /// format <see cref="NetworkScoreField.FromFile"/> reads), start.bin (the chains' N(0, I) start points, chains × d),
    /// check_x.bin and check_scores.bin (one forward pass on a batch: the first 256 starts scaled by 0.7 at τ = 0.37,
    /// and their scores) and meta.json (the check's τ and rows, DDIM's (a_k, c_k) and Heun's per-step scalars,
    /// printed round-trip, so both sides use the same coefficients), plus ddim_end.bin and heun_end.bin (the
    /// first 64 chains' end points) for a state-by-state comparison.
    /// </summary>
    public static void Export(string path, string directory)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var s = Read(doc.RootElement);
        Directory.CreateDirectory(directory);
        using var field = NetworkScoreField.FromSeed(s.D, s.NetworkSeed, s.Width, s.Harmonics);
        field.WriteWeights(Path.Combine(directory, "weights.bin"));
        var (ddim, heun) = Kernels(s);
        var start = new ChainBatch(s.Chains, ddim.StateLength, s.D);
        SamplerRunner.Run(ddim, new PhiloxNoise(s.Seed), new ScoreOracle(field, s.Chains), start, 0, 1);
        WriteDoubles(Path.Combine(directory, "start.bin"), start.States.AsSpan(0, s.Chains * s.D));
        int rows = Math.Min(256, s.Chains);
        const double checkTau = 0.37;
        var x = new double[rows * s.D];
        for (int i = 0; i < x.Length; i++) x[i] = 0.7 * start.States[i];
        var scores = new double[x.Length];
        field.ScoreRows(x, checkTau, scores);
        WriteDoubles(Path.Combine(directory, "check_x.bin"), x);
        WriteDoubles(Path.Combine(directory, "check_scores.bin"), scores);
        int few = Math.Min(64, s.Chains);
        foreach (var (name, k, steps) in new (string, IBlockKernel, int)[] { ("ddim", ddim, s.DdimSteps), ("heun", heun, s.HeunSteps) })
        {
            var b = new ChainBatch(few, k.StateLength, s.D);
            SamplerRunner.Run(k, new PhiloxNoise(s.Seed), new ScoreOracle(field, few), b, steps, 1);
            WriteDoubles(Path.Combine(directory, name + "_end.bin"), b.States.AsSpan(0, few * s.D));
        }
        var json = new StringBuilder();
        json.Append(CultureInfo.InvariantCulture, $"{{\"check_tau\": {checkTau:R}, \"check_rows\": {rows}, \"end_rows\": {few}, \"ddim\": [");
        var dg = ddim.Inner.Grid;
        for (int k = 0; k < dg.Steps; k++)
        {
            NoiseLevel from = dg[k], to = dg[k + 1];
            // Ddim's (a, c) for η = 0, formed as Ddim forms them.
            double epsVar = to.Tau * ((1 - 0.0) * from.Tau + 0.0 * from.AlphaBar * to.Tau / to.AlphaBar) / from.Tau;
            double a = Math.Sqrt(to.AlphaBar / from.AlphaBar);
            json.Append(CultureInfo.InvariantCulture,
                $"{(k > 0 ? ", " : "")}{{\"tau\": {from.Tau:R}, \"a\": {a:R}, \"c\": {a * from.Tau - Math.Sqrt(epsVar * from.Tau):R}}}");
        }
        json.Append("], \"heun\": [");
        var hg = heun.Inner.Grid;
        for (int k = 0; k < hg.Steps; k++)
        {
            NoiseLevel from = hg[k], to = hg[k + 1];
            json.Append(CultureInfo.InvariantCulture,
                $"{(k > 0 ? ", " : "")}{{\"tau_from\": {from.Tau:R}, \"tau_to\": {to.Tau:R}, " +
                $"\"d_sigma\": {to.Sigma - from.Sigma:R}, \"in_scale\": {1 / from.SignalScale:R}, " +
                $"\"out_scale\": {to.SignalScale:R}, \"to_eps\": {-from.NoiseScale:R}, \"to_eps2\": {-to.NoiseScale:R}}}");
        }
        json.Append("]}");
        File.WriteAllText(Path.Combine(directory, "meta.json"), json.ToString());
    }

    static void WriteDoubles(string path, ReadOnlySpan<double> values)
    {
        var bytes = new byte[8 * values.Length];
        for (int i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i, 8), values[i]);
        File.WriteAllBytes(path, bytes);
    }
}
