using System.Globalization;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// Settings of one training run (docs/algorithms.md). Constructing it validates everything: σ &gt; 0,
/// N ≥ 1, ρ ≥ 1, a known objective, batch ≥ 2, learning rates &gt; 0, exploration f ≥ 0 (not allowed with KL, whose
/// reparameterised gradient needs on-policy samples), λ &gt; 0.
/// </summary>
public sealed record TrainingSettings
{
    /// <summary>
    /// Validated settings, with the defaults of <see cref="TrainingDefaults"/>; the log Z learning rate for TB (and
    /// VarGrad, which has no log Z to learn), the flow's for DB and SubTB
    /// (docs/algorithms.md, 'Trained samplers (Berner et al.)').
    /// </summary>
    public TrainingSettings(Objective objective, double sigma, GridKind gridKind, int steps, ulong seed,
        double ratio = TrainingDefaults.Ratio, int batchSize = TrainingDefaults.BatchSize, bool learnedVariance = false,
        double exploration = 0, double policyLearningRate = TrainingDefaults.PolicyLearningRate,
        double? flowLearningRate = null, double subTbLambda = TrainingDefaults.SubTbLambda,
        bool forwardLookingFlow = true, int width = TrainingDefaults.Width, int harmonics = TrainingDefaults.Harmonics)
    {
        if (!Enum.IsDefined(objective))
            throw new ArgumentOutOfRangeException(nameof(objective), $"objective = {objective} is out of range; allowed: {string.Join(", ", Enum.GetNames<Objective>())}.");
        Objective = objective;
        Sigma = Guard.Positive(sigma, nameof(sigma));
        Grid = new TimeGrid(gridKind, Guard.AtLeast(steps, 1, nameof(steps)), Guard.InClosed(ratio, 1, double.MaxValue, nameof(ratio)));
        Seed = seed;
        BatchSize = Guard.AtLeast(batchSize, 2, nameof(batchSize));
        LearnedVariance = learnedVariance;
        Exploration = Guard.NonNegative(exploration, nameof(exploration));
        if (objective == Objective.KullbackLeibler && exploration > 0)
            throw new ArgumentOutOfRangeException(nameof(exploration), $"exploration = {exploration} is out of range for KL; allowed: 0 (reparameterisation needs on-policy samples).");
        PolicyLearningRate = Guard.Positive(policyLearningRate, nameof(policyLearningRate));
        FlowLearningRate = Guard.Positive(flowLearningRate ?? (objective is Objective.TrajectoryBalance or Objective.VarGrad ? TrainingDefaults.LogZLearningRate : TrainingDefaults.FlowLearningRate), nameof(flowLearningRate));
        SubTbLambda = Guard.Positive(subTbLambda, nameof(subTbLambda));
        ForwardLookingFlow = forwardLookingFlow;
        Width = Guard.AtLeast(width, 1, nameof(width));
        Harmonics = Guard.AtLeast(harmonics, 1, nameof(harmonics));
    }

    /// <summary>Objective.</summary>
    public Objective Objective { get; }
    /// <summary>σ.</summary>
    public double Sigma { get; }
    /// <summary>Training grid family (kind, N_train, ρ).</summary>
    public TimeGrid Grid { get; }
    /// <summary>Seed of parameters and all draws.</summary>
    public ulong Seed { get; }
    /// <summary>B.</summary>
    public int BatchSize { get; }
    /// <summary>Learned log-variance correction.</summary>
    public bool LearnedVariance { get; }
    /// <summary>Exploration standard deviation f per step (constant; any decay schedule is up to the caller).</summary>
    public double Exploration { get; }
    /// <summary>Policy learning rate.</summary>
    public double PolicyLearningRate { get; }
    /// <summary>Flow / log Z learning rate.</summary>
    public double FlowLearningRate { get; }
    /// <summary>SubTB λ.</summary>
    public double SubTbLambda { get; }
    /// <summary>Use the forward-looking flow for DB / SubTB.</summary>
    public bool ForwardLookingFlow { get; }
    /// <summary>Network width.</summary>
    public int Width { get; }
    /// <summary>Number of Fourier harmonics.</summary>
    public int Harmonics { get; }

    /// <summary>A one-line fingerprint stored in checkpoints, so a checkpoint is never resumed under other settings.
    /// DB and SubTB carry the flow's architecture: their flow head shares the policy's trunk (<see cref="SharedTrunk"/>),
    /// and runs trained with a separate flow network must not be read back as theirs.</summary>
    public string Fingerprint() => FormattableString.Invariant(
        $"{Objective}|{Sigma:R}|{Grid.Kind}|{Grid.Steps}|{Grid.Ratio:R}|{Seed}|{BatchSize}|{LearnedVariance}|{Exploration:R}|{PolicyLearningRate:R}|{FlowLearningRate:R}|{SubTbLambda:R}|{ForwardLookingFlow}|{Width}|{Harmonics}")
        + (Objective is Objective.DetailedBalance or Objective.SubTrajectoryBalance ? "|flow-head-on-policy-trunk" : "");

    /// <summary>The settings whose <see cref="Fingerprint"/> is <paramref name="fingerprint"/> (a checkpoint's); a
    /// fingerprint these settings cannot reproduce exactly, such as one of a DB or SubTB run trained with a separate
    /// flow network, is refused.</summary>
    public static TrainingSettings FromFingerprint(string fingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        var f = fingerprint.Split('|');
        TrainingSettings settings;
        try
        {
            var c = CultureInfo.InvariantCulture;
            settings = new TrainingSettings(Enum.Parse<Objective>(f[0]), double.Parse(f[1], c), Enum.Parse<GridKind>(f[2]),
                int.Parse(f[3], c), ulong.Parse(f[5], c), ratio: double.Parse(f[4], c), batchSize: int.Parse(f[6], c),
                learnedVariance: bool.Parse(f[7]), exploration: double.Parse(f[8], c),
                policyLearningRate: double.Parse(f[9], c), flowLearningRate: double.Parse(f[10], c),
                subTbLambda: double.Parse(f[11], c), forwardLookingFlow: bool.Parse(f[12]), width: int.Parse(f[13], c),
                harmonics: int.Parse(f[14], c));
        }
        catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException or ArgumentException)
        {
            throw new ArgumentException($"fingerprint = '{fingerprint}' is out of range; allowed: a fingerprint of these settings ({e.Message}).", nameof(fingerprint));
        }
        if (settings.Fingerprint() != fingerprint)
            throw new ArgumentException($"fingerprint = '{fingerprint}' is out of range; allowed: a fingerprint of these settings (it reads back as '{settings.Fingerprint()}').", nameof(fingerprint));
        return settings;
    }
}
