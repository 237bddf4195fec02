using System.Text.Json;
using RateLab.Core.Randomness;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// One training problem written as JSON for an independent re-implementation to recompute: a drift network with a
/// random head (so every layer gets gradient) and learned variance, a batch of forward trajectories with their per-step
/// log π→ and log π←, log Z, RateLab's loss and θ-gradient, and its two log Z estimates of the batch (ELBO and
/// importance-weighted). The objective is TB, KL (PIS, reparameterised), or DB / SubTB with the forward-looking flow,
/// whose head shares the policy's trunk (<see cref="SharedTrunk"/>): then the flow network's parameters and gradient
/// are written too (its trunk gradient folded into the policy's). Doubles are written in round-trip form, so the peer starts from bit-identical inputs. Peers:
/// bench/peers/torch_network.py (our PyTorch twin, any grid) and bench/peers/gfn_diffusion_check.py (the authors' own
/// gfn-diffusion code, which steps a uniform grid only).
/// </summary>
public static class CrossCheckCase
{
    /// <summary>Network width and harmonics of the PIS benchmark network.</summary>
    public const int Width = 64, Harmonics = 64;
    const double Sigma = 1.3, LogZ = 0.4;

    /// <summary>Writes the case of <paramref name="objective"/> (any but VarGrad) for dimension <paramref name="d"/>
    /// on a grid of <paramref name="kind"/> (random: bounded ratio 10) to <paramref name="path"/>.</summary>
    public static void Write(string path, int d, int batchSize = 300, int steps = 20, ulong seed = 2024,
        GridKind kind = GridKind.Random, Objective objective = Objective.TrajectoryBalance)
    {
        if (objective == Objective.VarGrad)
            throw new ArgumentOutOfRangeException(nameof(objective), $"objective = {objective} is out of range; allowed: TrajectoryBalance, DetailedBalance, SubTrajectoryBalance, KullbackLeibler.");
        ArgumentException.ThrowIfNullOrEmpty(path);
        Guard.AtLeast(d, 1, nameof(d));
        var drift = TimeStateMlp.FixedRandomDrift(d, seed, 0.3, Width, Harmonics);
        var policy = new EulerMaruyamaPolicy(drift, Sigma, learnedVariance: true);
        var target = new DiagonalGaussian(Enumerable.Repeat(0.5, d).ToArray(), Enumerable.Repeat(1.5, d).ToArray());
        var batch = new TrajectoryBatch(batchSize, steps, d);
        var grid = new TimeGrid(kind, steps, 10);
        Trajectories.SampleForward(policy, target, grid, new PhiloxNoise(seed), 0, batch);
        TimeStateMlp? flowNet = null;
        SharedTrunk? trunk = null;
        IStateLogFlow? flow = null;
        if (objective is Objective.DetailedBalance or Objective.SubTrajectoryBalance)
        {
            flowNet = TimeStateMlp.Flow(d, seed ^ 0x5DEECE66DUL, Width, Harmonics);
            trunk = new SharedTrunk(drift, flowNet);
            trunk.Sync();
            flow = new ForwardLookingFlow(flowNet, target, Sigma);
        }
        var gradients = new ObjectiveGradients(batchSize, steps, d);
        Array.Clear(drift.Gradient);
        double loss = gradients.Evaluate(objective, policy, target, batch, flow, LogZ, out double logZGradient);
        trunk?.FoldGradient();
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteNumber("d", d); w.WriteNumber("width", Width); w.WriteNumber("harmonics", Harmonics);
        w.WriteNumber("batch", batchSize); w.WriteNumber("steps", steps);
        w.WriteString("grid", kind.ToString().ToLowerInvariant());
        w.WriteString("objective", objective.ToString());
        w.WriteNumber("sigma", Sigma); w.WriteNumber("log_z", LogZ);
        WriteArray("parameters", drift.Parameters);
        WriteArray("times", batch.Times); WriteArray("states", batch.States);
        WriteArray("log_forward", batch.LogForward);
        WriteArray("log_backward", batch.LogBackward); WriteArray("log_reward", batch.LogReward);
        WriteArray("log_weights", Estimators.LogWeights(batch));
        w.WriteNumber("elbo", Estimators.Elbo(batch).Value);
        w.WriteNumber("log_z_importance_weighted", Estimators.ImportanceWeighted(batch));
        w.WriteNumber("loss", loss); w.WriteNumber("log_z_gradient", logZGradient);
        WriteArray("gradient", drift.Gradient);
        if (flowNet is not null)
        {
            w.WriteNumber("trunk_length", trunk!.Length);
            WriteArray("flow_parameters", flowNet.Parameters);
            WriteArray("flow_gradient", flowNet.Gradient);
        }
        w.WriteEndObject();

        void WriteArray(string name, double[] values)
        {
            w.WriteStartArray(name);
            foreach (var v in values) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
    }
}
