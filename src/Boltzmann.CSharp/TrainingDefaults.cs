namespace RateLab.Boltzmann;

/// <summary>
/// The defaults of a training run, in one place for the settings, the trainer's evaluation and the command line
/// (`ratelab train` and its help). Constants, so they can be C# optional-parameter defaults.
/// </summary>
public static class TrainingDefaults
{
    /// <summary>ρ, the bound on max Δt / min Δt of a random grid ([S24] trains with 10).</summary>
    public const double Ratio = 10.0;
    /// <summary>B, trajectories per iteration.</summary>
    public const int BatchSize = 64;
    /// <summary>Hidden width of the drift and flow networks ([S24]'s 64).</summary>
    public const int Width = 64;
    /// <summary>Fourier harmonics of the time embedding.</summary>
    public const int Harmonics = 64;
    /// <summary>Adam learning rate of the policy.</summary>
    public const double PolicyLearningRate = 1e-3;
    /// <summary>Learning rate of log Z for the objectives with one (TB; VarGrad's is unused: it has none to learn).</summary>
    public const double LogZLearningRate = 1e-1;
    /// <summary>Learning rate of the state flow (DB, SubTB).</summary>
    public const double FlowLearningRate = 1e-2;
    /// <summary>λ of SubTB's geometric weights λ^(j − i).</summary>
    public const double SubTbLambda = 2.0;
    /// <summary>K, trajectories per evaluation.</summary>
    public const int EvaluationSamples = 500;
}
