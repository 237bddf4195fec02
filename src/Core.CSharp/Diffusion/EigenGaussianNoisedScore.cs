using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// Exact noised score of Gaussian data p₀ = N(μ, Σ) with a full covariance (docs/algorithms.md):
/// s_τ(x) = −C_τ^{-1}(x − m_τ), C_τ = (1−τ)Σ + τI, evaluated as Q·s^{diag}_τ(Qᵀx) with Σ = Q diag(λ) Qᵀ.
/// </summary>
public sealed class EigenGaussianNoisedScore : INoisedData
{
    readonly Eigenbasis basis;
    readonly GaussianNoisedScore rotated;
    readonly double[] mean;

    /// <summary>N(<paramref name="mean"/>, <paramref name="covariance"/>) with Σ row-major d×d, symmetric positive definite.</summary>
    public EigenGaussianNoisedScore(double[] mean, double[] covariance)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(covariance);
        Guard.AtLeast(mean.Length, 1, "d");
        Guard.AllFinite(mean, nameof(mean));
        basis = new Eigenbasis(covariance, mean.Length, nameof(covariance));
        this.mean = (double[])mean.Clone();
        var rotatedMean = new double[mean.Length];
        basis.ToEigen(mean, rotatedMean);
        rotated = new GaussianNoisedScore(rotatedMean, basis.Values);
    }

    /// <summary>Eigenvalues λ of Σ.</summary>
    public ReadOnlySpan<double> Eigenvalues => basis.Values;
    /// <summary>Q (row-major, columns are eigenvectors of Σ).</summary>
    public ReadOnlySpan<double> Eigenvectors => basis.Q;
    /// <inheritdoc/>
    public string Name => $"gaussian-data-full(d={Dimension})";
    /// <inheritdoc/>
    public int Dimension => mean.Length;
    /// <inheritdoc/>
    public int Components => 1;

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<double> x, double tau, Span<double> score)
    {
        int d = Dimension;
        var rent = Eigenbasis.Rent(2 * d);
        Span<double> buf = rent is null ? stackalloc double[2 * d] : rent.AsSpan(0, 2 * d);
        var y = buf[..d];
        var sy = buf.Slice(d, d);
        basis.ToEigen(x, y);
        rotated.Score(y, tau, sy);
        basis.FromEigen(sy, score);
        Eigenbasis.Return(rent);
    }

    /// <inheritdoc/>
    public double LogDensity(ReadOnlySpan<double> x, double tau)
    {
        var rent = Eigenbasis.Rent(Dimension);
        Span<double> y = rent is null ? stackalloc double[Dimension] : rent.AsSpan(0, Dimension);
        basis.ToEigen(x, y[..Dimension]);
        double v = rotated.LogDensity(y[..Dimension], tau);
        Eigenbasis.Return(rent);
        return v;
    }

    /// <summary>Lipschitz constant of s_τ: 1/λ_min(C_τ).</summary>
    public double ScoreLipschitz(double tau) => rotated.ScoreLipschitz(tau);

    /// <inheritdoc/>
    public double Weight(int j) => 1.0;

    /// <inheritdoc/>
    public void ComponentMean(int j, double tau, Span<double> mean) => GaussianNoisedScore.SignalMean(this.mean, tau, mean);

    /// <inheritdoc/>
    public double QuadraticForm(int j, double tau, ReadOnlySpan<double> v)
    {
        var rent = Eigenbasis.Rent(Dimension);
        Span<double> y = rent is null ? stackalloc double[Dimension] : rent.AsSpan(0, Dimension);
        basis.ToEigen(v, y[..Dimension]);
        double q = rotated.QuadraticForm(0, tau, y[..Dimension]);
        Eigenbasis.Return(rent);
        return q;
    }

    /// <summary>q_δ = N(√(1−δ) μ, Q diag((1−δ)λ + δ) Qᵀ), δ ∈ [0, 1).</summary>
    public EigenGaussian EarlyStoppedGaussian(double delta)
    {
        var diag = rotated.EarlyStoppedGaussian(delta);
        var m = new double[Dimension];
        ComponentMean(0, delta, m);
        return new EigenGaussian(m, diag.Eigenvalues.ToArray(), basis.Q, $"q_delta(gaussian-data-full(d={Dimension}),delta={delta:R})");
    }

    /// <inheritdoc/>
    public ITarget EarlyStopped(double delta) => EarlyStoppedGaussian(delta);
}
