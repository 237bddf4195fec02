using System.Diagnostics;
using RateLab.Core.Contracts;
using RateLab.Core.Randomness;
using RateLab.Core.Targets;
using RateLab.Core.Targets.Benchmarks;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>Evaluation of a trained sampler on one uniform grid (docs/algorithms.md). NaN where the target has
/// no known log Z or no exact sampler.</summary>
/// <param name="Steps">Evaluation N (uniform grid).</param>
/// <param name="Elbo">ELBO log Ẑ with its standard error.</param>
/// <param name="LogZReweighted">log Ẑ^RW (log-mean-exp of the weights).</param>
/// <param name="DeltaLogZ">|log Z − log Ẑ|.</param>
/// <param name="DeltaLogZReweighted">|log Z − log Ẑ^RW|.</param>
/// <param name="Eubo">EUBO with its standard error.</param>
/// <param name="EuboGap">EUBO − log Z (≥ 0 in expectation).</param>
/// <param name="W2">W₂ between K model samples and K exact samples (exact assignment).</param>
/// <param name="W2Floor">W₂ between two independent exact sample sets of size K: the sampling floor of W2.</param>
public sealed record EvaluationResult(int Steps, Estimate Elbo, double LogZReweighted, double DeltaLogZ,
    double DeltaLogZReweighted, Estimate Eubo, double EuboGap, double W2, double W2Floor);

/// <summary>Result of one <see cref="TrainingStudy.Run"/>.</summary>
/// <param name="Target">Target name.</param>
/// <param name="Settings">Training settings.</param>
/// <param name="Iterations">Iterations trained.</param>
/// <param name="EvaluationUniform100">Evaluation on the uniform N_eval = 100 grid.</param>
/// <param name="EvaluationTrainSteps">Evaluation on the uniform grid with N_train steps.</param>
/// <param name="TrainingEnergyEvaluations">log R evaluations during training.</param>
/// <param name="TrainingGradientEvaluations">∇log R evaluations during training (KL only).</param>
/// <param name="TrainingSeconds">Wall time of training.</param>
public sealed record TrainingStudyResult(string Target, TrainingSettings Settings, long Iterations,
    EvaluationResult EvaluationUniform100, EvaluationResult EvaluationTrainSteps, long TrainingEnergyEvaluations,
    long TrainingGradientEvaluations, double TrainingSeconds);

/// <summary>
/// Train-then-evaluate: the C# entry point the F# layer calls for the coarse-grid training claims (docs/background.md C3).
/// Evaluation draws come from a Philox stream keyed by seed ⊕ a fixed constant, disjoint from the training stream.
/// </summary>
public static class TrainingStudy
{
    const ulong EvaluationStream = 0x9E3779B97F4A7C15UL;

    /// <summary>
    /// Trains on <paramref name="target"/> for <paramref name="iterations"/> iterations and evaluates with
    /// <paramref name="evaluationSamples"/> = K trajectories on uniform N = 100 and N = N_train.
    /// </summary>
    public static TrainingStudyResult Run(ITarget target, TrainingSettings settings, long iterations, int evaluationSamples = TrainingDefaults.EvaluationSamples,
        Action<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(settings);
        Guard.AtLeast(iterations, 0L, nameof(iterations));
        Guard.AtLeast(evaluationSamples, 2, nameof(evaluationSamples));
        var trainer = new Trainer(target, settings);
        var clock = Stopwatch.StartNew();
        trainer.Train(iterations, progress);
        double seconds = clock.Elapsed.TotalSeconds;
        var eval100 = Evaluate(trainer.Policy, target, new TimeGrid(GridKind.Uniform, 100), settings.Seed, evaluationSamples);
        var evalTrain = Evaluate(trainer.Policy, target, new TimeGrid(GridKind.Uniform, settings.Grid.Steps), settings.Seed, evaluationSamples);
        return new TrainingStudyResult(target.Name, settings, trainer.Iteration, eval100, evalTrain,
            trainer.Target.EnergyEvaluations, trainer.Target.GradientEvaluations, seconds);
    }

    /// <summary>
    /// All evaluation metrics of <paramref name="policy"/> (ELBO, reweighted log Ẑ, EUBO, W₂ with its floor; the
    /// estimators of docs/algorithms.md, 'Trained samplers (Berner et al.)') on the uniform grid
    /// <paramref name="grid"/> with K = <paramref name="samples"/>.
    /// </summary>
    public static EvaluationResult Evaluate(EulerMaruyamaPolicy policy, ITarget target, TimeGrid grid, ulong seed, int samples)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(grid);
        Guard.AtLeast(samples, 2, nameof(samples));
        var noise = new PhiloxNoise(seed ^ EvaluationStream);
        int d = target.Dimension;
        var forward = new TrajectoryBatch(samples, grid.Steps, d);
        Trajectories.SampleForward(policy, target, grid, noise, 0, forward);
        var elbo = Estimators.Elbo(forward);
        double rw = Estimators.ImportanceWeighted(forward);
        double logZ = target is IKnownLogNormaliser k ? k.LogNormaliser : double.NaN;
        var eubo = new Estimate(double.NaN, double.NaN);
        double w2 = double.NaN, floor = double.NaN;
        if (target is IExactSampler exact)
        {
            eubo = Estimators.Eubo(policy, target, exact, grid, noise, samples, samples);
            var model = new double[samples * d];
            for (int b = 0; b < samples; b++) forward.State(b, grid.Steps).CopyTo(model.AsSpan(b * d, d));
            var truth = ExactSamples(exact, noise, 2 * samples, samples, d);
            var truth2 = ExactSamples(exact, noise, 3 * samples, samples, d);
            w2 = OptimalAssignment.Wasserstein2(model, truth, d);
            floor = OptimalAssignment.Wasserstein2(truth2, truth, d);
        }
        return new EvaluationResult(grid.Steps, elbo, rw, Math.Abs(logZ - elbo.Value), Math.Abs(logZ - rw), eubo,
            eubo.Value - logZ, w2, floor);
    }

    static double[] ExactSamples(IExactSampler exact, INoiseSource noise, long firstKey, int count, int d)
    {
        var x = new double[count * d];
        for (int k = 0; k < count; k++) exact.SampleExact(noise, firstKey + k, 0, x.AsSpan(k * d, d));
        return x;
    }
}
