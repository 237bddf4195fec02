namespace RateLab.Core.Targets;

/// <summary>
/// A score s(x, τ) = ∇ₓ log p_τ(x) at noise level τ. Langevin targets are the time-homogeneous case and ignore τ;
/// diffusion scores use the τ-parametrisation X_τ = √(1−τ) X₀ + √τ Z.
/// </summary>
public interface IScoreField
{
    /// <summary>Name shown in reports.</summary>
    string Name { get; }

    /// <summary>Dimension d.</summary>
    int Dimension { get; }

    /// <summary>Writes s(x, τ) into <paramref name="score"/> (both of length d).</summary>
    void Score(ReadOnlySpan<double> x, double tau, Span<double> score);
}
