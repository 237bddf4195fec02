using System.Globalization;
using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Targets;

/// <summary>
/// N(μ, Σ) with a full symmetric positive-definite Σ = C Cᵀ (Cholesky) = Q diag(λ) Qᵀ (docs/algorithms.md):
/// f(x) = ½ (x − μ)ᵀ Σ⁻¹ (x − μ), ∇log π(x) = −Σ⁻¹(x − μ), m = 1/λ_max, L = 1/λ_min. Log-density, score and exact
/// draws go through the Cholesky factor C (triangular solves, no explicit inverse); the eigendecomposition is kept for
/// the exact analysis, which works in the eigenbasis.
/// </summary>
public sealed class FullGaussian : IGaussianTarget, ITargetConstants, IExactSampler
{
    // Relative asymmetry tolerated before Σ is rejected: a few rounding errors of Q diag(λ) Qᵀ, far below any real
    // modelling mistake. Σ is then symmetrised so that C and Q describe the same matrix.
    const double SymmetryTolerance = 1e-12;

    readonly double[] mean, cholesky, eigenvalues, eigenvectors;
    [ThreadStatic] static double[]? whitened;

    /// <summary>N(<paramref name="mean"/>, <paramref name="covariance"/>); Σ must be symmetric positive definite.</summary>
    public FullGaussian(double[] mean, double[,] covariance, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(covariance);
        int d = Guard.AtLeast(mean.Length, 1, "d");
        if (covariance.GetLength(0) != d || covariance.GetLength(1) != d)
            throw new ArgumentException(
                $"covariance is {covariance.GetLength(0)} × {covariance.GetLength(1)}; allowed: exactly {d} × {d} (the length of mean).",
                nameof(covariance));
        Guard.AllFinite(mean, nameof(mean));
        var sigma = Symmetrised(covariance, d);
        var evd = sigma.Evd(Symmetricity.Symmetric);
        eigenvalues = new double[d];
        for (int i = 0; i < d; i++) eigenvalues[i] = evd.EigenValues[i].Real;
        double smallest = eigenvalues.Min();
        if (!(smallest > 0))
            throw new ArgumentException(
                $"covariance is not positive definite: its smallest eigenvalue is {Show(smallest)}; allowed: (0, ∞).",
                nameof(covariance));
        eigenvectors = evd.EigenVectors.ToRowMajorArray();
        cholesky = Factor(sigma, smallest);
        this.mean = (double[])mean.Clone();
        Name = name ?? $"full-gaussian(d={d})";
    }

    /// <summary>
    /// N(μ, Q diag(λ) Qᵀ) with Q = <see cref="RandomRotation.Create"/>(d, <paramref name="seed"/>): a diagonal spectrum
    /// seen in a random basis, for rotation-equivariance tests.
    /// </summary>
    public static FullGaussian Rotated(double[] mean, double[] eigenvalues, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(eigenvalues);
        int d = Guard.AtLeast(eigenvalues.Length, 1, "d");
        Guard.Length(mean.Length, d, nameof(mean));
        Guard.AllPositive(eigenvalues, nameof(eigenvalues));
        var q = RandomRotation.Create(d, seed);
        var sigma = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++) s += q[i * d + k] * eigenvalues[k] * q[j * d + k];
                sigma[i, j] = s;
            }
        return new FullGaussian(mean, sigma, $"rotated-gaussian(d={d},seed={seed})");
    }

    static string Show(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    static Matrix<double> Symmetrised(double[,] covariance, int d)
    {
        double scale = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double v = covariance[i, j];
                if (!double.IsFinite(v))
                    throw new ArgumentOutOfRangeException(nameof(covariance),
                        $"covariance[{i},{j}] = {Show(v)} is out of range; allowed: a finite number.");
                scale = Math.Max(scale, Math.Abs(v));
            }
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++)
            {
                double gap = Math.Abs(covariance[i, j] - covariance[j, i]), allowed = SymmetryTolerance * scale;
                if (gap > allowed)
                    throw new ArgumentException(
                        $"covariance is not symmetric: |covariance[{i},{j}] − covariance[{j},{i}]| = {Show(gap)}; allowed: [0, {Show(allowed)}].",
                        nameof(covariance));
            }
        return Matrix<double>.Build.Dense(d, d, (i, j) => 0.5 * (covariance[i, j] + covariance[j, i]));
    }

    // Positive eigenvalues can still defeat the Cholesky factorisation when Σ is singular to working precision.
    static double[] Factor(Matrix<double> sigma, double smallest)
    {
        try
        {
            return sigma.Cholesky().Factor.ToRowMajorArray();
        }
        catch (ArgumentException)
        {
            throw new ArgumentException(
                $"covariance is numerically singular: its smallest eigenvalue is {Show(smallest)}, too small relative to the largest for a Cholesky factor; allowed: (0, ∞) with a condition number below 1/ε ≈ 4.5e15.",
                "covariance");
        }
    }

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Dimension => mean.Length;
    /// <inheritdoc/>
    public ReadOnlySpan<double> MeanVector => mean;
    /// <inheritdoc/>
    public ReadOnlySpan<double> Eigenvalues => eigenvalues;
    /// <inheritdoc/>
    public double[]? Eigenvectors => (double[])eigenvectors.Clone();
    /// <inheritdoc/>
    public double? StrongConvexity => 1 / eigenvalues.Max();
    /// <inheritdoc/>
    public double? Smoothness => 1 / eigenvalues.Min();
    /// <inheritdoc/>
    public double[]? Mean => (double[])mean.Clone();

    /// <summary>The lower Cholesky factor C of Σ = C Cᵀ, row-major.</summary>
    public ReadOnlySpan<double> CholeskyFactor => cholesky;

    /// <summary>log π(x) = −½ ‖C⁻¹(x − μ)‖² (the normalising constant is dropped).</summary>
    public double LogDensity(ReadOnlySpan<double> x)
    {
        int d = Dimension;
        Guard.Length(x.Length, d, nameof(x));
        var z = (whitened is { Length: var n } && n >= d ? whitened : whitened = new double[d]).AsSpan(0, d);
        TensorPrimitives.Subtract(x, mean, z);
        ForwardSolve(z);
        double s = 0;
        for (int i = 0; i < d; i++) s += z[i] * z[i];
        return -0.5 * s;
    }

    /// <summary>∇log π(x) = −C⁻ᵀ C⁻¹ (x − μ), solved in place in <paramref name="score"/>.</summary>
    public void Score(ReadOnlySpan<double> x, Span<double> score)
    {
        int d = Dimension;
        Guard.Length(x.Length, d, nameof(x));
        Guard.Length(score.Length, d, nameof(score));
        TensorPrimitives.Subtract(mean, x, score);
        ForwardSolve(score);
        BackwardSolve(score);
    }

    /// <summary>x = μ + C ξ with ξ the normals of role 0; rows are filled bottom-up so ξ is read before it is overwritten.</summary>
    public void SampleExact(INoiseSource noise, long chain, long step, Span<double> x)
    {
        ArgumentNullException.ThrowIfNull(noise);
        int d = Dimension;
        Guard.Length(x.Length, d, nameof(x));
        noise.Normals(chain, step, 0, x);
        for (int i = d - 1; i >= 0; i--)
        {
            double s = 0;
            for (int j = 0; j <= i; j++) s += cholesky[i * d + j] * x[j];
            x[i] = mean[i] + s;
        }
    }

    // z ← C⁻¹ z.
    void ForwardSolve(Span<double> z)
    {
        int d = z.Length;
        for (int i = 0; i < d; i++)
        {
            double s = z[i];
            for (int j = 0; j < i; j++) s -= cholesky[i * d + j] * z[j];
            z[i] = s / cholesky[i * d + i];
        }
    }

    // z ← C⁻ᵀ z.
    void BackwardSolve(Span<double> z)
    {
        int d = z.Length;
        for (int i = d - 1; i >= 0; i--)
        {
            double s = z[i];
            for (int j = i + 1; j < d; j++) s -= cholesky[j * d + i] * z[j];
            z[i] = s / cholesky[i * d + i];
        }
    }
}
