using System.Numerics.Tensors;
using RateLab.Core.Validation;

namespace RateLab.Core.Targets;

/// <summary>
/// π ∝ e^{−f}, f(x) = a (x₁² − 1)² + ½ Σ_{i≥2} x_i²: two modes at x₁ = ±1 separated by a barrier of height a at
/// x₁ = 0, Gaussian in the other coordinates. f is not convex in x₁ (f''(0) = −4a), so there is no m, and f'' = 12a x₁²
/// − 4a is unbounded, so there is no global L. The law is symmetric under x ↦ −x, so its mean is 0.
/// </summary>
public sealed class DoubleWell : ITarget, ITargetConstants
{
    /// <summary>The double well of barrier height <paramref name="a"/> in dimension <paramref name="d"/>.</summary>
    public DoubleWell(int d, double a = 1.0)
    {
        Dimension = Guard.AtLeast(d, 1, nameof(d));
        A = Guard.Positive(a, nameof(a));
        Name = $"double-well(d={d},a={a.ToString("R", System.Globalization.CultureInfo.InvariantCulture)})";
    }

    /// <summary>Barrier height a.</summary>
    public double A { get; }
    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <summary>None: f is not convex.</summary>
    public double? StrongConvexity => null;
    /// <summary>None: ∇f is not globally Lipschitz.</summary>
    public double? Smoothness => null;
    /// <summary>0, by the symmetry x ↦ −x.</summary>
    public double[]? Mean => new double[Dimension];

    /// <summary>log π(x) = −f(x).</summary>
    public double LogDensity(ReadOnlySpan<double> x)
    {
        Guard.Length(x.Length, Dimension, nameof(x));
        // The sum of squares adds lane-wise and so rounds differently from a sequential loop; harmless for a log density.
        double w = x[0] * x[0] - 1, s = TensorPrimitives.SumOfSquares(x[1..]);
        return -A * w * w - 0.5 * s;
    }

    /// <summary>∇log π(x) = (−4a x₁ (x₁² − 1), −x₂, …, −x_d).</summary>
    public void Score(ReadOnlySpan<double> x, Span<double> score)
    {
        Guard.Length(x.Length, Dimension, nameof(x));
        Guard.Length(score.Length, Dimension, nameof(score));
        score[0] = -4 * A * x[0] * (x[0] * x[0] - 1);
        TensorPrimitives.Negate(x[1..], score[1..]);
    }
}
