using System.Buffers;
using MathNet.Numerics.LinearAlgebra;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// Σ = Q diag(λ) Qᵀ for a symmetric positive-definite covariance, by MathNet's symmetric eigendecomposition. Rotating
/// into this basis makes every noised Gaussian quantity diagonal, since C_τ = (1−τ)Σ + τI shares Σ's eigenvectors.
/// </summary>
internal sealed class Eigenbasis
{
    /// <summary>Decomposes the row-major d×d <paramref name="covariance"/>; rejects asymmetric or non-positive-definite input.</summary>
    public Eigenbasis(double[] covariance, int d, string name)
    {
        Guard.Length(covariance.Length, d * d, name);
        Guard.AllFinite(covariance, name);
        double scale = 0;
        foreach (var c in covariance) scale = Math.Max(scale, Math.Abs(c));
        for (int i = 0; i < d; i++)
            for (int j = 0; j < i; j++)
                if (Math.Abs(covariance[i * d + j] - covariance[j * d + i]) > 1e-12 * scale)
                    throw new ArgumentException($"{name}[{i},{j}] = {covariance[i * d + j]:R} differs from {name}[{j},{i}] = {covariance[j * d + i]:R}; allowed: a symmetric matrix.", name);
        var evd = Matrix<double>.Build.DenseOfRowMajor(d, d, covariance).Evd(Symmetricity.Symmetric);
        Values = evd.EigenValues.Select(z => z.Real).ToArray();
        for (int i = 0; i < d; i++)
            if (!(Values[i] > 0)) throw new ArgumentException($"{name} has eigenvalue {Values[i]:R}; allowed: a positive-definite matrix.", name);
        Q = evd.EigenVectors.ToRowMajorArray();
        D = d;
    }

    /// <summary>Dimension d.</summary>
    public int D { get; }
    /// <summary>Eigenvalues λ.</summary>
    public double[] Values { get; }
    /// <summary>Q, row-major, columns are eigenvectors.</summary>
    public double[] Q { get; }

    /// <summary>y = Qᵀ x.</summary>
    public void ToEigen(ReadOnlySpan<double> x, Span<double> y)
    {
        for (int j = 0; j < D; j++)
        {
            double s = 0;
            for (int i = 0; i < D; i++) s += Q[i * D + j] * x[i];
            y[j] = s;
        }
    }

    /// <summary>x = Q y.</summary>
    public void FromEigen(ReadOnlySpan<double> y, Span<double> x)
    {
        for (int i = 0; i < D; i++)
        {
            double s = 0;
            for (int j = 0; j < D; j++) s += Q[i * D + j] * y[j];
            x[i] = s;
        }
    }

    /// <summary>A d-vector of scratch without a heap allocation per call (stack for moderate d, pool otherwise).</summary>
    public static double[]? Rent(int d) => d > 256 ? ArrayPool<double>.Shared.Rent(d) : null;

    /// <summary>Returns a pooled vector from <see cref="Rent"/>.</summary>
    public static void Return(double[]? rented) { if (rented is not null) ArrayPool<double>.Shared.Return(rented); }
}
