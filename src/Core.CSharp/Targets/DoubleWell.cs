using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Targets;

/// <summary>
/// π ∝ e^{−f}, f(x) = a (x₁² − 1)² + ½ Σ_{i≥2} x_i²: two modes at x₁ = ±1 separated by a barrier of height a at
/// x₁ = 0, Gaussian in the other coordinates. f is not convex in x₁ (f''(0) = −4a), so there is no m, and f'' = 12a x₁²
/// − 4a is unbounded, so there is no global L. The law is symmetric under x ↦ −x, so its mean is 0.
/// </summary>
public sealed class DoubleWell : ITarget, ITargetConstants, IExactSampler
{
    /// <summary>The double well of barrier height <paramref name="a"/> in dimension <paramref name="d"/>.</summary>
    public DoubleWell(int d, double a = 1.0)
    {
        Dimension = Guard.AtLeast(d, 1, nameof(d));
        A = Guard.Positive(a, nameof(a));
        Name = $"double-well(d={d},a={a.ToString("R", System.Globalization.CultureInfo.InvariantCulture)})";
        proposalSd = BestProposalSd(A);
        logBound = LogBound(A, proposalSd);
    }

    /// <summary>Rejection attempts per draw before giving up (acceptance is above 1 % for a ≤ 10⁴).</summary>
    public const int MaxAttempts = 1 << 16;

    readonly double proposalSd, logBound;

    // With u = x², log[e^{−a(u−1)²} / e^{−u/(2s²)}] is concave in u, largest at u* = 1 + 1/(4as²), where it equals
    // 1/(2s²) + 1/(16as⁴): the envelope M·N(0, s²) with this log M covers the first coordinate's density everywhere.
    static double LogBound(double a, double s) => 1 / (2 * s * s) + 1 / (16 * a * s * s * s * s);

    // The acceptance rate is ∝ 1/(M s); the best s on a fine logarithmic grid (any s is exact, this one is fast).
    static double BestProposalSd(double a)
    {
        double best = 1, cost = double.PositiveInfinity;
        for (int i = -200; i <= 200; i++)
        {
            double s = Math.Exp(i / 100.0), c = LogBound(a, s) + Math.Log(s);
            if (c < cost) (best, cost) = (s, c);
        }
        return best;
    }

    /// <summary>
    /// Exact draw: x₂…x_d from the normals of role 0; x₁ by rejection from N(0, s²) under the envelope above, attempt k
    /// using the uniforms at indices 3k, 3k+1 (Box–Muller) and 3k+2 (acceptance).
    /// </summary>
    public void SampleExact(INoiseSource noise, long chain, long step, Span<double> x)
    {
        ArgumentNullException.ThrowIfNull(noise);
        Guard.Length(x.Length, Dimension, nameof(x));
        noise.Normals(chain, step, 0, x);
        for (int k = 0; k < MaxAttempts; k++)
        {
            double r = Math.Sqrt(-2 * Math.Log(noise.Uniform(chain, step, 3 * k)));
            double y = proposalSd * r * Math.Cos(2 * Math.PI * noise.Uniform(chain, step, 3 * k + 1));
            double w = y * y - 1, logRatio = -A * w * w + y * y / (2 * proposalSd * proposalSd) - logBound;
            if (Math.Log(noise.Uniform(chain, step, 3 * k + 2)) < logRatio) { x[0] = y; return; }
        }
        throw new InvalidOperationException(
            $"double-well rejection sampler exceeded {MaxAttempts} attempts (a = {A}).");
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
