using RateLab.Core.Contracts;
using RateLab.Core.Targets;

namespace RateLab.Core.Diffusion;

/// <summary>
/// A data law p₀ whose noised laws p_τ = law(√(1−τ) X₀ + √τ Z) are known exactly as finite Gaussian mixtures
/// Σ_j w_j N(m_j(τ), C_j(τ)) (docs/algorithms.md): the score s_τ = ∇log p_τ, the normalised log-density, and the
/// component moments that closed-form expectations under p_τ need. <see cref="IScoreField.Score"/> requires τ ∈ (0, 1).
/// </summary>
public interface INoisedData : IScoreField
{
    /// <summary>Normalised log p_τ(x), τ ∈ (0, 1).</summary>
    double LogDensity(ReadOnlySpan<double> x, double tau);

    /// <summary>Number of Gaussian components of p_τ.</summary>
    int Components { get; }

    /// <summary>Weight w_j of component j.</summary>
    double Weight(int j);

    /// <summary>Writes m_j(τ) = √(1−τ) μ_j.</summary>
    void ComponentMean(int j, double tau, Span<double> mean);

    /// <summary>vᵀ C_j(τ) v with C_j(τ) = (1−τ) Σ_j + τ I.</summary>
    double QuadraticForm(int j, double tau, ReadOnlySpan<double> v);

    /// <summary>The early-stopped law q_δ = p_δ, δ ∈ [0, 1) (δ = 0 only where p₀ has a density), as a target.</summary>
    ITarget EarlyStopped(double delta);
}
