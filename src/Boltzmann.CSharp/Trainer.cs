using RateLab.Core.Randomness;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>Progress after one iteration.</summary>
/// <param name="Iteration">Iterations completed.</param>
/// <param name="Loss">Objective value on this iteration's batch.</param>
/// <param name="LogZ">Learned log Z_θ (TB; otherwise −mean δ of the batch).</param>
/// <param name="MeanLogWeight">Mean of −δ over the batch (an ELBO estimate on the training grid).</param>
public readonly record struct TrainingProgress(long Iteration, double Loss, double LogZ, double MeanLogWeight);

/// <summary>
/// The training loop (docs/algorithms.md): per iteration, B forward trajectories on fresh per-trajectory
/// grids (keys iteration·B + b of a Philox stream keyed by the seed), one objective gradient, one Adam step.
/// Everything random is addressed by (seed, iteration, trajectory), so the RNG position is the iteration count and a
/// run is bit-identical given its settings; a checkpoint restores it exactly.
/// </summary>
public sealed class Trainer
{
    readonly TrajectoryBatch batch;
    readonly ObjectiveGradients gradients;
    readonly PhiloxNoise noise;
    readonly double[] logZ = new double[1], logZGradient = new double[1];
    // DB / SubTB: the flow head's trunk is the policy's.
    readonly SharedTrunk? trunk;

    /// <summary>A fresh run on <paramref name="target"/> with <paramref name="settings"/>.</summary>
    public Trainer(ITarget target, TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        Target = new CountingTarget(target);
        int d = target.Dimension;
        var drift = TimeStateMlp.Drift(d, settings.Seed, settings.Width, settings.Harmonics);
        Policy = new EulerMaruyamaPolicy(drift, settings.Sigma, settings.LearnedVariance);
        var groups = new List<ParameterGroup> { new(drift.Parameters, drift.Gradient, settings.PolicyLearningRate) };
        if (settings.Objective is Objective.DetailedBalance or Objective.SubTrajectoryBalance)
        {
            var net = TimeStateMlp.Flow(d, settings.Seed ^ 0x5DEECE66DUL, settings.Width, settings.Harmonics);
            trunk = new SharedTrunk(drift, net);
            trunk.Sync();
            Flow = new ForwardLookingFlow(net, Target, settings.Sigma, settings.ForwardLookingFlow);
            groups.Add(new ParameterGroup(net.Parameters, net.Gradient, settings.FlowLearningRate, trunk.Length));
        }
        if (settings.Objective == Objective.TrajectoryBalance) groups.Add(new ParameterGroup(logZ, logZGradient, settings.FlowLearningRate));
        Optimizer = new Adam(groups);
        noise = new PhiloxNoise(settings.Seed);
        batch = new TrajectoryBatch(settings.BatchSize, settings.Grid.Steps, d);
        gradients = new ObjectiveGradients(settings.BatchSize, settings.Grid.Steps, d);
    }

    /// <summary>Settings.</summary>
    public TrainingSettings Settings { get; }
    /// <summary>The target, counting evaluations.</summary>
    public CountingTarget Target { get; }
    /// <summary>The forward policy being trained.</summary>
    public EulerMaruyamaPolicy Policy { get; }
    /// <summary>The state flow (DB / SubTB), else null.</summary>
    public IStateLogFlow? Flow { get; }
    /// <summary>The optimiser and its state.</summary>
    public Adam Optimizer { get; }
    /// <summary>Iterations completed (also the RNG position).</summary>
    public long Iteration { get; internal set; }
    /// <summary>The latest iteration's trajectories (states, grids, log-densities); the next iteration overwrites them.</summary>
    public TrajectoryBatch LastBatch => batch;
    /// <summary>Learned log Z_θ (TB).</summary>
    public double LogZ { get => logZ[0]; internal set => logZ[0] = value; }

    /// <summary>
    /// Runs <paramref name="iterations"/> more iterations, reporting each to <paramref name="progress"/> and writing a
    /// checkpoint to <paramref name="checkpointPath"/> every <paramref name="checkpointEvery"/> iterations (0: never).
    /// </summary>
    public void Train(long iterations, Action<TrainingProgress>? progress = null, string? checkpointPath = null, long checkpointEvery = 0)
    {
        Guard.AtLeast(iterations, 0L, nameof(iterations));
        Guard.AtLeast(checkpointEvery, 0L, nameof(checkpointEvery));
        trunk?.Sync();  // a checkpoint may have been loaded
        for (long k = 0; k < iterations; k++)
        {
            Optimizer.ZeroGradients();
            Trajectories.SampleForward(Policy, Target, Settings.Grid, noise, Iteration * Settings.BatchSize, batch, Settings.Exploration);
            double loss = gradients.Evaluate(Settings.Objective, Policy, Target, batch, Flow, LogZ, out double gz, Settings.SubTbLambda);
            logZGradient[0] = gz;
            trunk?.FoldGradient();
            double meanLogWeight = Estimators.Elbo(batch).Value;
            Optimizer.Step();
            trunk?.Sync();
            Iteration++;
            if (!double.IsFinite(loss)) throw new InvalidOperationException($"Training diverged at iteration {Iteration}: loss = {loss}.");
            progress?.Invoke(new TrainingProgress(Iteration, loss, Settings.Objective == Objective.TrajectoryBalance ? LogZ : meanLogWeight, meanLogWeight));
            if (checkpointPath is not null && checkpointEvery > 0 && Iteration % checkpointEvery == 0) Checkpoint.Save(this, checkpointPath);
        }
    }
}
