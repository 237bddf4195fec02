using System.Text.Json;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// A short training run written as JSON for the authors' code to replay (bench/peers/gfn_diffusion_check.py `train`):
/// the settings, the parameters before the first iteration, every iteration's trajectories and the parameters after
/// the last Adam step. Their loss and their optimiser (Adam with the policy and flow / log Z learning rates), fed the
/// same trajectories, must end at the same parameters, which checks a whole training run (losses, gradients, parameter
/// groups and optimiser) and not one gradient. Fixed variance, σ = 1.3, target N(0.5, 1.5 I) unnormalised, as
/// <see cref="CrossCheckCase"/>; a uniform grid, or a random one (bounded ratio 10, C3's coarse arm), which only their
/// branch with per-trajectory grids steps.
/// </summary>
public static class TrainingCrossCheck
{
    const double Sigma = 1.3;

    /// <summary>Trains <paramref name="iterations"/> iterations of <paramref name="objective"/> in dimension
    /// <paramref name="d"/> and writes the trace to <paramref name="path"/>.</summary>
    public static void Write(string path, Objective objective, GridKind kind = GridKind.Uniform, int d = 3,
        int batchSize = 64, int steps = 10, int iterations = 10, ulong seed = 7)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Guard.AtLeast(d, 1, nameof(d));
        Guard.AtLeast(iterations, 1, nameof(iterations));
        var settings = new TrainingSettings(objective, Sigma, kind, steps, seed, batchSize: batchSize,
            width: CrossCheckCase.Width, harmonics: CrossCheckCase.Harmonics);
        var target = new DiagonalGaussian(Enumerable.Repeat(0.5, d).ToArray(), Enumerable.Repeat(1.5, d).ToArray());
        var trainer = new Trainer(target, settings);
        var groups = trainer.Optimizer.Groups;
        var initial = groups.Select(g => (double[])g.Parameters.Clone()).ToArray();
        var states = new List<double>();
        var times = new List<double>();
        for (int k = 0; k < iterations; k++)
        {
            trainer.Train(1);
            states.AddRange(trainer.LastBatch.States);
            times.AddRange(trainer.LastBatch.Times);
        }
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteString("objective", objective.ToString());
        w.WriteString("grid", kind.ToString().ToLowerInvariant());
        w.WriteNumber("d", d); w.WriteNumber("width", settings.Width); w.WriteNumber("harmonics", settings.Harmonics);
        w.WriteNumber("batch", batchSize); w.WriteNumber("steps", steps); w.WriteNumber("iterations", iterations);
        w.WriteNumber("sigma", Sigma); w.WriteNumber("sub_tb_lambda", settings.SubTbLambda);
        w.WriteNumber("policy_learning_rate", settings.PolicyLearningRate);
        w.WriteNumber("flow_learning_rate", settings.FlowLearningRate);
        w.WriteNumber("trunk_length", groups.Count > 1 ? groups[1].Start : 0);
        WriteArray("initial_policy", initial[0]);
        WriteArray("initial_second", groups.Count > 1 ? initial[1] : []);
        WriteArray("times", times);
        WriteArray("states", states);
        WriteArray("final_policy", groups[0].Parameters);
        WriteArray("final_second", groups.Count > 1 ? groups[1].Parameters : []);
        w.WriteEndObject();

        void WriteArray(string name, IEnumerable<double> values)
        {
            w.WriteStartArray(name);
            foreach (var v in values) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
    }
}
