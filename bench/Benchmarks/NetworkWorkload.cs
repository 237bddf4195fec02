using System.Diagnostics;
using System.Globalization;
using RateLab.Boltzmann;
using RateLab.Core.Targets;

namespace RateLab.Bench;

/// <summary>
/// The drift network against its PyTorch twin (bench/peers/torch_network.py) and the authors' gfn-diffusion code
/// (bench/peers/gfn_diffusion_check.py): `nn-dump DIR` writes the cross-check cases, `nn-train D THREADS ITERATIONS STEPS` times RateLab's own TB training iteration at batch 300 with the
/// settings the peer's `train` mirrors (uniform grid, learned variance, σ = 1, target N(0.5, 1.5 I)).
/// </summary>
static class NetworkWorkload
{
    /// <summary>The dimensions of the cross-check and the benchmark.</summary>
    public static readonly int[] Dimensions = [2, 10, 32];

    /// <summary>Writes, for each dimension, DIR/nn-d{d}.json (TB, random grid) and, on the uniform grid that
    /// gfn-diffusion steps, DIR/nn-uniform-d{d}.json (TB), nn-db-uniform-d{d}.json and nn-subtb-uniform-d{d}.json
    /// (DB and SubTB with the forward-looking flow) and nn-kl-uniform-d{d}.json (KL, their `pis`); then, per
    /// objective, a ten-iteration training trace DIR/nn-train-{objective}.json; returns the paths, one a line.</summary>
    public static string Dump(string directory)
    {
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        var cases = new[]
        {
            ("nn", GridKind.Random, Objective.TrajectoryBalance),
            ("nn-uniform", GridKind.Uniform, Objective.TrajectoryBalance),
            ("nn-db-uniform", GridKind.Uniform, Objective.DetailedBalance),
            ("nn-subtb-uniform", GridKind.Uniform, Objective.SubTrajectoryBalance),
            ("nn-kl-uniform", GridKind.Uniform, Objective.KullbackLeibler),
        };
        foreach (int d in Dimensions)
            foreach (var (name, kind, objective) in cases)
            {
                string path = Path.Combine(directory, $"{name}-d{d}.json");
                CrossCheckCase.Write(path, d, kind: kind, objective: objective);
                paths.Add(path);
            }
        foreach (var objective in Enum.GetValues<Objective>())
        {
            string path = Path.Combine(directory, $"nn-train-{objective.ToString().ToLowerInvariant()}.json");
            TrainingCrossCheck.Write(path, objective);
            paths.Add(path);
        }
        return string.Join(Environment.NewLine, paths);
    }

    /// <summary>Wall and process CPU seconds per iteration over <paramref name="iterations"/> iterations after one
    /// warm-up, as JSON (CPU time is the load-robust figure on a shared machine).</summary>
    public static string Train(int d, int threads, int iterations, int steps)
    {
        var target = new DiagonalGaussian(Enumerable.Repeat(0.5, d).ToArray(), Enumerable.Repeat(1.5, d).ToArray());
        var settings = new TrainingSettings(Objective.TrajectoryBalance, 1.0, GridKind.Uniform, steps, 1,
            batchSize: 300, learnedVariance: true, width: CrossCheckCase.Width, harmonics: CrossCheckCase.Harmonics);
        var trainer = new Trainer(target, settings);
        trainer.Policy.DriftBatch.MaxThreads = threads;
        trainer.Train(1);
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        trainer.Train(iterations);
        double seconds = clock.Elapsed.TotalSeconds / iterations;
        process.Refresh();
        double cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds / iterations;
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"peer\": \"ratelab\", \"d\": {d}, \"threads\": {threads}, \"steps\": {steps}, \"batch\": 300, " +
            $"\"seconds_per_iteration\": {seconds:R}, \"cpu_seconds_per_iteration\": {cpuSeconds:R}}}");
    }
}
