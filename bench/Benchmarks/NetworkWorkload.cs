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

    /// <summary>Writes, for each dimension, DIR/nn-d{d}.json (TB, random grid, for the twin) and, for the authors'
    /// code, DIR/nn-{tb,db,subtb,kl}-{uniform,random}-d{d}.json (one step's case; DB and SubTB with the forward-looking
    /// flow), then DIR/nn-train-{objective}-{uniform,random}.json (ten-iteration traces of every objective) and
    /// DIR/nn-energy-{25gmm,hard_funnel,many_well}.json (the benchmark targets under the authors' energy names); returns
    /// the paths, one a line.</summary>
    public static string Dump(string directory)
    {
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        string Add(string name) { string path = Path.Combine(directory, name); paths.Add(path); return path; }
        GridKind[] grids = [GridKind.Uniform, GridKind.Random];
        var cases = new[]
        {
            ("tb", Objective.TrajectoryBalance), ("db", Objective.DetailedBalance),
            ("subtb", Objective.SubTrajectoryBalance), ("kl", Objective.KullbackLeibler),
        };
        foreach (int d in Dimensions)
        {
            CrossCheckCase.Write(Add($"nn-d{d}.json"), d);
            foreach (var (name, objective) in cases)
                foreach (var kind in grids)
                    CrossCheckCase.Write(Add($"nn-{name}-{Lower(kind)}-d{d}.json"), d, kind: kind, objective: objective);
        }
        foreach (var objective in Enum.GetValues<Objective>())
            foreach (var kind in grids)
                TrainingCrossCheck.Write(Add($"nn-train-{Lower(objective)}-{Lower(kind)}.json"), objective, kind);
        foreach (var (energy, target, logZ) in CheckpointEvaluation.Benchmarks())
            EnergyCrossCheck.Write(Add($"nn-energy-{energy}.json"), energy, target, logZ);
        return string.Join(Environment.NewLine, paths);

        static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
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
