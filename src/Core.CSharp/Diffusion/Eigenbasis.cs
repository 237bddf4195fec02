using System.Buffers;
using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// Σ = Q diag(λ) Qᵀ for a symmetric positive-definite covariance, by MathNet's symmetric eigendecomposition. Rotating
/// into this basis makes every noised Gaussian quantity diagonal, since C_τ = (1−τ)Σ + τI shares Σ's eigenvectors.
/// </summary>
internal sealed class Eigenbasis
{
    // Qᵀ row-major: FromEigen reads Q's columns contiguously from it.
    readonly double[] qt;

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
        qt = evd.EigenVectors.ToColumnMajorArray();
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
        // Row by row, so Q is read contiguously; each y_j adds its terms Q_ij x_i in increasing i, the dot product's order.
        var yd = y[..D];
        yd.Clear();
        for (int i = 0; i < D; i++) TensorPrimitives.MultiplyAdd(Q.AsSpan(i * D, D), x[i], yd, yd);
    }

    /// <summary>x = Q y.</summary>
    public void FromEigen(ReadOnlySpan<double> y, Span<double> x)
    {
        // Column by column from Qᵀ, so Q is read contiguously; each x_i adds its terms Q_ij y_j in increasing j.
        var xd = x[..D];
        xd.Clear();
        for (int j = 0; j < D; j++) TensorPrimitives.MultiplyAdd(qt.AsSpan(j * D, D), y[j], xd, xd);
    }

    /// <summary>A d-vector of scratch without a heap allocation per call (stack for moderate d, pool otherwise).</summary>
    public static double[]? Rent(int d) => d > 256 ? ArrayPool<double>.Shared.Rent(d) : null;

    /// <summary>Returns a pooled vector from <see cref="Rent"/>.</summary>
    public static void Return(double[]? rented) { if (rented is not null) ArrayPool<double>.Shared.Return(rented); }
}
