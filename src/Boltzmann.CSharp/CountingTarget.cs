using RateLab.Core.Targets;

namespace RateLab.Boltzmann;

/// <summary>
/// Wraps a target and counts energy evaluations (log R calls) and gradient evaluations (∇log R calls), the cost
/// measure of the training study. Not thread-safe, like the trainer that uses it.
/// </summary>
public sealed class CountingTarget(ITarget inner) : ITarget
{
    readonly ITarget inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>Number of log R evaluations so far.</summary>
    public long EnergyEvaluations { get; private set; }
    /// <summary>Number of ∇log R evaluations so far.</summary>
    public long GradientEvaluations { get; private set; }
    /// <inheritdoc/>
    public string Name => inner.Name;
    /// <inheritdoc/>
    public int Dimension => inner.Dimension;

    /// <inheritdoc/>
    public double LogDensity(ReadOnlySpan<double> x) { EnergyEvaluations++; return inner.LogDensity(x); }

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<double> x, Span<double> score) { GradientEvaluations++; inner.Score(x, score); }
}
