using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// Exact noised score of Gaussian data p₀ = N(μ, diag(λ)) (algorithms.md §4.1): X_τ ~ N(m_τ, C_τ) with
/// m_τ = √(1−τ) μ, C_τ = (1−τ) λ + τ, and s_τ(x) = −(x − m_τ)/C_τ. A full covariance reduces to this one in its
/// eigenbasis (every sampler is rotation-equivariant).
/// </summary>
public sealed class GaussianNoisedScore : IScoreField
{
    readonly double[] mean, lambda;

    /// <summary>The noised score of N(<paramref name="mean"/>, diag(<paramref name="variances"/>)).</summary>
    public GaussianNoisedScore(double[] mean, double[] variances)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(variances);
        Guard.AtLeast(variances.Length, 1, "d");
        Guard.Length(mean.Length, variances.Length, nameof(mean));
        Guard.AllFinite(mean, nameof(mean));
        Guard.AllPositive(variances, nameof(variances));
        this.mean = (double[])mean.Clone();
        lambda = (double[])variances.Clone();
    }

    /// <summary>Data mean μ.</summary>
    public ReadOnlySpan<double> DataMean => mean;
    /// <summary>Data variances λ.</summary>
    public ReadOnlySpan<double> DataVariances => lambda;
    /// <inheritdoc/>
    public string Name => $"gaussian-data(d={Dimension})";
    /// <inheritdoc/>
    public int Dimension => lambda.Length;

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<double> x, double tau, Span<double> score)
    {
        Guard.InOpen(tau, 0, 1, nameof(tau));
        double signal = Math.Sqrt(1 - tau);
        for (int i = 0; i < x.Length; i++)
            score[i] = -(x[i] - signal * mean[i]) / ((1 - tau) * lambda[i] + tau);
    }
}
