using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// Drifts with no trainable parameters whose continuous-time quantities are known, used by the limit studies:
/// m(x, t) = a(t) ⊙ x + b(t) per coordinate. The raw log-variance outputs are 0.
/// </summary>
public abstract class AffineDrift : IDriftModel
{
    /// <summary>Drift over dimension <paramref name="d"/>.</summary>
    protected AffineDrift(int d) => StateDimension = Guard.AtLeast(d, 1, nameof(d));

    /// <inheritdoc/>
    public int StateDimension { get; }
    /// <inheritdoc/>
    public int OutputDimension => 2 * StateDimension;
    /// <inheritdoc/>
    public double[] Parameters { get; } = [];
    /// <inheritdoc/>
    public double[] Gradient { get; } = [];

    /// <summary>Slope aᵢ(t) and offset bᵢ(t) of coordinate i.</summary>
    protected abstract (double Slope, double Offset) Coefficients(int i, double t);

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<double> x, double t, Span<double> output)
    {
        int d = StateDimension;
        for (int i = 0; i < d; i++)
        {
            (double a, double b) = Coefficients(i, t);
            output[i] = a * x[i] + b;
            output[d + i] = 0;
        }
    }

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<double> x, double t, ReadOnlySpan<double> outputGradient, Span<double> stateGradient)
    {
        if (stateGradient.IsEmpty) return;
        for (int i = 0; i < StateDimension; i++) stateGradient[i] += Coefficients(i, t).Slope * outputGradient[i];
    }
}

/// <summary>m ≡ 0: the forward process is the reference σW itself.</summary>
public sealed class ZeroDrift(int d) : AffineDrift(d)
{
    /// <inheritdoc/>
    protected override (double Slope, double Offset) Coefficients(int i, double t) => (0, 0);
}

/// <summary>Time-constant linear drift m(x) = a ⊙ x + b.</summary>
public sealed class LinearDrift : AffineDrift
{
    readonly double[] slope, offset;

    /// <summary>m(x) = <paramref name="slope"/> ⊙ x + <paramref name="offset"/>.</summary>
    public LinearDrift(double[] slope, double[] offset) : base(slope?.Length ?? 0)
    {
        ArgumentNullException.ThrowIfNull(slope);
        ArgumentNullException.ThrowIfNull(offset);
        Guard.Length(offset.Length, slope.Length, nameof(offset));
        Guard.AllFinite(slope, nameof(slope));
        Guard.AllFinite(offset, nameof(offset));
        this.slope = (double[])slope.Clone();
        this.offset = (double[])offset.Clone();
    }

    /// <inheritdoc/>
    protected override (double Slope, double Offset) Coefficients(int i, double t) => (slope[i], offset[i]);
}

/// <summary>
/// The drift of P← (the reference σW from 0 with its time-1 marginal reweighted to the target) for a diagonal Gaussian
/// target N(μ, diag(s²)): m*(x, t) = σ² ∇ₓ log E[p(X₁)/N(X₁; 0, σ²) | X_t = x] = σ²(μ/s² − a x)/(1 + aσ²(1 − t)),
/// a = 1/s² − 1/σ² (Doob h-transform; the Gaussian integral over X₁ | X_t ~ N(x, σ²(1 − t))). With this drift
/// P→ = P←, so the continuous log-RND is the constant log Z of R and every divergence is 0.
/// </summary>
public sealed class GaussianOptimalDrift : AffineDrift
{
    readonly double[] mean, variance;
    readonly double sigma2;

    /// <summary>Optimal drift for target N(<paramref name="mean"/>, diag(<paramref name="variances"/>)) and diffusion σ = <paramref name="sigma"/>.</summary>
    public GaussianOptimalDrift(double[] mean, double[] variances, double sigma) : base(mean?.Length ?? 0)
    {
        Guard.DiagonalGaussian(mean, variances);
        sigma2 = Guard.Positive(sigma, nameof(sigma)) * sigma;
        this.mean = (double[])mean.Clone();
        variance = (double[])variances.Clone();
    }

    /// <inheritdoc/>
    protected override (double Slope, double Offset) Coefficients(int i, double t)
    {
        double a = 1 / variance[i] - 1 / sigma2, den = 1 + a * sigma2 * (1 - t);
        return (-sigma2 * a / den, sigma2 * mean[i] / variance[i] / den);
    }
}
