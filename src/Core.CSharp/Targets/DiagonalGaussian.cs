using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Targets;

/// <summary>
/// N(μ, diag(σ²)): f(x) = ½ Σᵢ (xᵢ − μᵢ)²/σᵢ², so m = 1/max σ² and L = 1/min σ² (docs/algorithms.md).
/// The isotropic Gaussian is the case of equal variances.
/// </summary>
public sealed class DiagonalGaussian : IGaussianTarget, ITargetConstants, IExactSampler
{
    readonly double[] mean, variance, precision;
    // Only exact sampling needs σ: computed on first use, which the exact analysis (a score per block) never makes.
    double[]? sd;

    /// <summary>N(<paramref name="mean"/>, diag(<paramref name="variances"/>)).</summary>
    public DiagonalGaussian(double[] mean, double[] variances, string? name = null)
        : this(Checked(mean, variances, copy: true), name)
    {
    }

    // Keeps the arrays: they are never written after construction, so targets may share them.
    DiagonalGaussian((double[] Mean, double[] Variance) parameters, string? name, double[]? precision = null)
    {
        (mean, variance) = parameters;
        if (precision is null)
        {
            precision = new double[variance.Length];
            TensorPrimitives.Divide(1.0, variance, precision);
        }
        this.precision = precision;
        Name = name ?? $"diagonal-gaussian(d={Dimension})";
    }

    /// <summary>The target on arrays the caller gives up (validated, not copied).</summary>
    internal static DiagonalGaussian Adopt(double[] mean, double[] variances, string? name = null) =>
        new(Checked(mean, variances, copy: false), name);

    /// <summary>The same variances with mean 0 (the linear part of the score), sharing this target's arrays.</summary>
    internal DiagonalGaussian Centred() => new((new double[Dimension], variance), Name, precision);

    /// <summary>The mean and variance arrays themselves, not copies, for a law that shares them.</summary>
    internal (double[] Mean, double[] Variance) SharedMoments => (mean, variance);

    static (double[], double[]) Checked(double[] mean, double[] variances, bool copy)
    {
        Guard.DiagonalGaussian(mean, variances);
        return copy ? ((double[])mean.Clone(), (double[])variances.Clone()) : (mean, variances);
    }

    /// <summary>Isotropic N(0, σ² I_d).</summary>
    public static DiagonalGaussian Isotropic(int d, double variance = 1.0)
    {
        Guard.AtLeast(d, 1, nameof(d));
        Guard.Positive(variance, nameof(variance));
        var variances = new double[d];
        Array.Fill(variances, variance);
        return Adopt(new double[d], variances, $"isotropic-gaussian(d={d})");
    }

    /// <summary>N(0, diag(λ)) with λ log-spaced from 1 down to 1/κ: condition number κ.</summary>
    public static DiagonalGaussian IllConditioned(int d, double kappa)
    {
        Guard.AtLeast(d, 1, nameof(d));
        Guard.InClosed(kappa, 1, double.MaxValue, nameof(kappa));
        var lambda = new double[d];
        for (int i = 0; i < d; i++) lambda[i] = d == 1 ? 1 : Math.Pow(kappa, -(double)i / (d - 1));
        return Adopt(new double[d], lambda, $"ill-conditioned-gaussian(d={d},kappa={kappa})");
    }

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Dimension => variance.Length;
    /// <inheritdoc/>
    public ReadOnlySpan<double> MeanVector => mean;
    /// <inheritdoc/>
    public ReadOnlySpan<double> Eigenvalues => variance;
    /// <inheritdoc/>
    public double[]? Eigenvectors => null;
    /// <inheritdoc/>
    public double? StrongConvexity => 1 / variance.Max();
    /// <inheritdoc/>
    public double? Smoothness => 1 / variance.Min();
    /// <inheritdoc/>
    public double[]? Mean => (double[])mean.Clone();

    /// <inheritdoc/>
    public double LogDensity(ReadOnlySpan<double> x)
    {
        // Σ (xᵢ − μᵢ)² / σᵢ² over stack chunks, so a MALA step does not allocate. The sum adds lane-wise and so rounds
        // differently from a sequential loop; harmless for a log density.
        Span<double> z = stackalloc double[Math.Min(x.Length, 512)];
        double s = 0;
        for (int i = 0; i < x.Length; i += z.Length)
        {
            var chunk = z[..Math.Min(z.Length, x.Length - i)];
            TensorPrimitives.Subtract(x.Slice(i, chunk.Length), mean.AsSpan(i, chunk.Length), chunk);
            TensorPrimitives.Multiply(chunk, chunk, chunk);
            s += TensorPrimitives.Dot(chunk, precision.AsSpan(i, chunk.Length));
        }
        return -0.5 * s;
    }

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<double> x, Span<double> score)
    {
        var s = score[..x.Length];
        TensorPrimitives.Subtract(mean, x, s);
        TensorPrimitives.Multiply(s, precision, s);
    }

    /// <inheritdoc/>
    public void SampleExact(INoiseSource noise, long chain, long step, Span<double> x)
    {
        noise.Normals(chain, step, 0, x);
        TensorPrimitives.MultiplyAdd(x, sd ??= Array.ConvertAll(variance, Math.Sqrt), mean, x);
    }
}
