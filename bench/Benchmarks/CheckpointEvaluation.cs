using System.Globalization;
using RateLab.Boltzmann;
using RateLab.Core.Randomness;
using RateLab.Core.Targets;
using RateLab.Core.Targets.Benchmarks;
using RateLab.Core.Validation;

namespace RateLab.Bench;

/// <summary>
/// RateLab's own evaluation of trained models, over several evaluation draws, to set beside the authors' evaluation of
/// the same models (bench/peers/gfn_diffusion_evaluate.py): `checkpoint-eval ENERGY DRAWS CHECKPOINT...` rebuilds each
/// checkpoint's trainer from its settings fingerprint, loads it, and evaluates its policy on the uniform 100-step grid
/// with K = 2000 (the study's evaluation), once per draw r = 1 … DRAWS with the noise keyed by r.
/// </summary>
static class CheckpointEvaluation
{
    const int Steps = 100, Samples = 2000;

    /// <summary>The [S24] benchmark targets by the authors' energy names, with log Z (25GMM is normalised).</summary>
    public static (string Energy, ITarget Target, double LogZ)[] Benchmarks()
    {
        var funnel = new Funnel();
        var manyWell = new ManyWell(32);
        return [("25gmm", GaussianMixture.TwentyFive(), 0.0), ("hard_funnel", funnel, funnel.LogNormaliser),
                ("many_well", manyWell, manyWell.LogNormaliser)];
    }

    /// <summary>One JSON line per checkpoint: its fingerprint and iteration, and the mean and standard error over the
    /// draws of ΔlogZ = |log Z − ELBO| and ΔlogZ^RW.</summary>
    public static string Run(string energy, int draws, IReadOnlyList<string> paths)
    {
        var benchmarks = Benchmarks();
        var match = benchmarks.Where(b => b.Energy == energy).ToArray();
        if (match.Length == 0)
            throw new ArgumentException($"ENERGY = '{energy}' is out of range; allowed: {string.Join(", ", benchmarks.Select(b => b.Energy))}.");
        Guard.AtLeast(draws, 2, "DRAWS");
        if (paths.Count == 0) throw new ArgumentException("CHECKPOINT is missing; allowed: one or more checkpoint files.");
        foreach (var p in paths)
            if (!File.Exists(p)) throw new FileNotFoundException($"CHECKPOINT = '{p}' is not a file.");
        var (_, target, logZ) = match[0];
        var grid = new TimeGrid(GridKind.Uniform, Steps);
        var lines = new List<string>();
        foreach (var path in paths)
        {
            var settings = TrainingSettings.FromFingerprint(Checkpoint.ReadFingerprint(path));
            var trainer = new Trainer(target, settings);
            Checkpoint.Load(trainer, path);
            var batch = new TrajectoryBatch(Samples, Steps, target.Dimension);
            var gaps = new double[draws];
            var gapsRw = new double[draws];
            for (int r = 0; r < draws; r++)
            {
                Trajectories.SampleForward(trainer.Policy, target, grid, new PhiloxNoise((ulong)r + 1), 0, batch);
                gaps[r] = Math.Abs(logZ - Estimators.Elbo(batch).Value);
                gapsRw[r] = Math.Abs(logZ - Estimators.ImportanceWeighted(batch));
            }
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{{\"checkpoint\": \"{Path.GetFileName(path)}\", \"fingerprint\": \"{settings.Fingerprint()}\", " +
                $"\"iteration\": {trainer.Iteration}, \"energy\": \"{energy}\", \"draws\": {draws}, \"batch\": {Samples}, " +
                $"\"steps\": {Steps}, \"delta_log_z\": {MeanAndError(gaps)}, \"delta_log_z_rw\": {MeanAndError(gapsRw)}}}"));
        }
        return string.Join(Environment.NewLine, lines);

        static string MeanAndError(double[] xs)
        {
            double mean = xs.Average();
            double sd = Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1));
            return string.Create(CultureInfo.InvariantCulture, $"[{mean:R}, {sd / Math.Sqrt(xs.Length):R}]");
        }
    }
}
