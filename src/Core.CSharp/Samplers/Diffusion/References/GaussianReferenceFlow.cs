using RateLab.Core.Diffusion;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion.References;

/// <summary>
/// The exact PF-ODE flow for Gaussian data N(μ, Q diag(λ) Qᵀ) (docs/algorithms.md): with m_τ = √ᾱ μ and
/// C_τ = ᾱ Σ + τ I (all C_τ commute), Y_b = m_b + C_b^{1/2} C_a^{−1/2} (Y_a − m_a), applied in the eigenbasis of Σ.
/// </summary>
public sealed class GaussianReferenceFlow : IReferenceFlow
{
    readonly double[] mean, lambda;
    readonly double[]? q;

    /// <summary>Gaussian data with mean μ, eigenvalues λ and eigenvectors Q (row-major d × d, columns; null = identity).</summary>
    public GaussianReferenceFlow(double[] mean, double[] eigenvalues, double[]? eigenvectors = null)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(eigenvalues);
        Guard.AtLeast(eigenvalues.Length, 1, "d");
        Guard.Length(mean.Length, eigenvalues.Length, nameof(mean));
        Guard.AllFinite(mean, nameof(mean));
        Guard.AllPositive(eigenvalues, nameof(eigenvalues));
        if (eigenvectors is not null)
        {
            Guard.Length(eigenvectors.Length, eigenvalues.Length * eigenvalues.Length, nameof(eigenvectors));
            Guard.AllFinite(eigenvectors, nameof(eigenvectors));
        }
        this.mean = (double[])mean.Clone();
        lambda = (double[])eigenvalues.Clone();
        q = (double[]?)eigenvectors?.Clone();
    }

    /// <summary>The flow of the data law whose noised score is <paramref name="score"/>.</summary>
    public static GaussianReferenceFlow For(GaussianNoisedScore score)
    {
        ArgumentNullException.ThrowIfNull(score);
        return new(score.DataMean.ToArray(), score.DataVariances.ToArray());
    }

    /// <summary>The flow of Gaussian data distributed as <paramref name="data"/>.</summary>
    public static GaussianReferenceFlow For(IGaussianTarget data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new(data.MeanVector.ToArray(), data.Eigenvalues.ToArray(), data.Eigenvectors);
    }

    /// <inheritdoc/>
    public int Dimension => lambda.Length;

    /// <inheritdoc/>
    public void Transport(Span<double> y, NoiseLevel from, NoiseLevel to)
    {
        int d = Dimension;
        Guard.Length(y.Length, d, nameof(y));
        double ra = Math.Sqrt(from.AlphaBar), rb = Math.Sqrt(to.AlphaBar);
        for (int i = 0; i < d; i++) y[i] -= ra * mean[i];
        if (q is null) Scale(y, from, to);
        else
        {
            var z = new double[d];
            for (int c = 0; c < d; c++)
            {
                double acc = 0;
                for (int r = 0; r < d; r++) acc += q[r * d + c] * y[r];
                z[c] = acc;
            }
            Scale(z, from, to);
            for (int r = 0; r < d; r++)
            {
                double acc = 0;
                for (int c = 0; c < d; c++) acc += q[r * d + c] * z[c];
                y[r] = acc;
            }
        }
        for (int i = 0; i < d; i++) y[i] += rb * mean[i];
    }

    void Scale(Span<double> z, NoiseLevel from, NoiseLevel to)
    {
        for (int i = 0; i < z.Length; i++)
            z[i] *= Math.Sqrt((to.AlphaBar * lambda[i] + to.Tau) / (from.AlphaBar * lambda[i] + from.Tau));
    }
}
