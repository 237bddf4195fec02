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
/// with K = 2000 (the study's evaluation), once per draw r = 1 … DRAWS with the noise keyed by r, and summarises the
/// law of all the log weights drawn.
/// </summary>
static class CheckpointEvaluation
{
    const int Steps = 100, Samples = 2000;
    static readonly double[] Levels = [0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999];
    static readonly int[] Thresholds = [2, 3, 4, 5];

    /// <summary>The [S24] benchmark targets by the authors' energy names, with log Z (25GMM is normalised).</summary>
    public static (string Energy, ITarget Target, double LogZ)[] Benchmarks()
    {
        var funnel = new Funnel();
        var manyWell = new ManyWell(32);
        return [("25gmm", GaussianMixture.TwentyFive(), 0.0), ("hard_funnel", funnel, funnel.LogNormaliser),
                ("many_well", manyWell, manyWell.LogNormaliser)];
    }

    /// <summary>One JSON line per checkpoint: its fingerprint and iteration, the law of the log weights less log Z, and
    /// the mean and standard error over the draws of ΔlogZ = |log Z − ELBO| and ΔlogZ^RW.</summary>
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
            var weights = new double[draws * Samples];
            for (int r = 0; r < draws; r++)
            {
                Trajectories.SampleForward(trainer.Policy, target, grid, new PhiloxNoise((ulong)r + 1), 0, batch);
                gaps[r] = Math.Abs(logZ - Estimators.Elbo(batch).Value);
                gapsRw[r] = Math.Abs(logZ - Estimators.ImportanceWeighted(batch));
                var w = Estimators.LogWeights(batch);
                for (int b = 0; b < Samples; b++) weights[r * Samples + b] = w[b] - logZ;
            }
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{{\"checkpoint\": \"{Path.GetFileName(path)}\", \"fingerprint\": \"{settings.Fingerprint()}\", " +
                $"\"iteration\": {trainer.Iteration}, \"energy\": \"{energy}\", \"draws\": {draws}, \"batch\": {Samples}, " +
                $"\"steps\": {Steps}, \"log_weights\": {Summary(weights)}, \"delta_log_z\": {MeanAndError(gaps)}, " +
                $"\"delta_log_z_rw\": {MeanAndError(gapsRw)}}}"));
        }
        return string.Join(Environment.NewLine, lines);

        // The law of the log weights less log Z, as the authors' evaluation peer summarises it: mean, standard
        // deviation, largest, quantiles (linear interpolation between order statistics, torch.quantile's rule) and
        // how many exceed 2, 3, 4, 5 (the upper tail that drives ΔlogZ^RW).
        static string Summary(double[] w)
        {
            var sorted = (double[])w.Clone();
            Array.Sort(sorted);
            double mean = w.Average();
            double sd = Math.Sqrt(w.Sum(x => (x - mean) * (x - mean)) / (w.Length - 1));
            var quantiles = Levels.Select(p =>
            {
                double h = (sorted.Length - 1) * p;
                int lo = (int)Math.Floor(h), hi = Math.Min(lo + 1, sorted.Length - 1);
                return string.Create(CultureInfo.InvariantCulture, $"\"{p}\": {sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]):R}");
            });
            var above = Thresholds.Select(k => w.Count(x => x > k));
            return string.Create(CultureInfo.InvariantCulture,
                $"{{\"count\": {w.Length}, \"mean\": {mean:R}, \"sd\": {sd:R}, \"max\": {sorted[^1]:R}, " +
                $"\"quantiles\": {{{string.Join(", ", quantiles)}}}, \"above\": [{string.Join(", ", above)}]}}");
        }

        static string MeanAndError(double[] xs)
        {
            double mean = xs.Average();
            double sd = Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1));
            return string.Create(CultureInfo.InvariantCulture, $"[{mean:R}, {sd / Math.Sqrt(xs.Length):R}]");
        }
    }
}
