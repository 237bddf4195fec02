using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// N(μ, Q diag(λ) Qᵀ) given in its eigenbasis: the early-stopped law of full-covariance Gaussian data, in the form the
/// exact analysis consumes (<see cref="IGaussianTarget"/>).
/// </summary>
public sealed class EigenGaussian : IGaussianTarget
{
    readonly double[] mean, lambda, q;

    /// <summary>N(<paramref name="mean"/>, Q diag(<paramref name="eigenvalues"/>) Qᵀ), Q row-major with orthonormal columns.</summary>
    public EigenGaussian(double[] mean, double[] eigenvalues, double[] eigenvectors, string name)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(eigenvalues);
        ArgumentNullException.ThrowIfNull(eigenvectors);
        Guard.AtLeast(mean.Length, 1, "d");
        Guard.Length(eigenvalues.Length, mean.Length, nameof(eigenvalues));
        Guard.Length(eigenvectors.Length, mean.Length * mean.Length, nameof(eigenvectors));
        Guard.AllFinite(mean, nameof(mean));
        Guard.AllPositive(eigenvalues, nameof(eigenvalues));
        Guard.AllFinite(eigenvectors, nameof(eigenvectors));
        this.mean = (double[])mean.Clone();
        lambda = (double[])eigenvalues.Clone();
        q = (double[])eigenvectors.Clone();
        Name = name ?? throw new ArgumentNullException(nameof(name));
    }

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Dimension => mean.Length;
    /// <inheritdoc/>
    public ReadOnlySpan<double> MeanVector => mean;
    /// <inheritdoc/>
    public ReadOnlySpan<double> Eigenvalues => lambda;
    /// <inheritdoc/>
    public double[]? Eigenvectors => (double[])q.Clone();

    /// <inheritdoc/>
    public double LogDensity(ReadOnlySpan<double> x)
    {
        int d = Dimension;
        double s = 0;
        for (int j = 0; j < d; j++)
        {
            double y = 0;
            for (int i = 0; i < d; i++) y += q[i * d + j] * (x[i] - mean[i]);
            s += y * y / lambda[j];
        }
        return -0.5 * s;
    }

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<double> x, Span<double> score)
    {
        int d = Dimension;
        score.Clear();
        for (int j = 0; j < d; j++)
        {
            double y = 0;
            for (int i = 0; i < d; i++) y += q[i * d + j] * (x[i] - mean[i]);
            y /= lambda[j];
            for (int i = 0; i < d; i++) score[i] -= q[i * d + j] * y;
        }
    }
}
