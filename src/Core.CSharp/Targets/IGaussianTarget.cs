namespace RateLab.Core.Targets;

/// <summary>
/// A Gaussian target N(μ, Σ) with Σ = Q diag(λ) Qᵀ. Every sampler here is rotation-equivariant, so the exact analysis
/// works coordinate by coordinate in the eigenbasis of Σ.
/// </summary>
public interface IGaussianTarget : ITarget
{
    /// <summary>Mean μ in the standard basis.</summary>
    ReadOnlySpan<double> MeanVector { get; }

    /// <summary>Eigenvalues λ of Σ, in the order of <see cref="Eigenvectors"/>' columns.</summary>
    ReadOnlySpan<double> Eigenvalues { get; }

    /// <summary>Orthogonal Q (d × d, row-major, columns are eigenvectors); null when Σ is diagonal (Q = I).</summary>
    double[]? Eigenvectors { get; }
}
