namespace RateLab.Core.Targets.Benchmarks;

/// <summary>
/// A target whose reward R = exp(LogDensity) has a known normalising constant Z = ∫R (docs/algorithms.md), so
/// estimators of log Z can be scored as Δlog Z = |log Z − log Ẑ|.
/// </summary>
public interface IKnownLogNormaliser
{
    /// <summary>Exact log Z = log ∫ exp(LogDensity(x)) dx.</summary>
    double LogNormaliser { get; }
}
