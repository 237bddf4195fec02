using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// Forward policy (docs/algorithms.md): π→ₙ(x' | x) = N(x'; x + Δₙ m_θ(x, tₙ), Δₙ σ² e^{ℓ_θ(x, tₙ)} I), with
/// ℓ = 4 tanh(raw) when the variance is learned and ℓ = 0 otherwise; x₀ = 0.
/// Backward policy: the exact bridge of σW pinned at 0, π←ₙ(x | x') = N(x; (tₙ/tₙ₊₁) x', σ²Δₙ tₙ/tₙ₊₁ I) for
/// n ≥ 1 and a point mass at 0 for n = 0 (log π←₀ = 0).
/// </summary>
public sealed class EulerMaruyamaPolicy
{
    /// <summary>Range of the learned log-variance correction (`log_var_range`).</summary>
    public const double LogVarianceRange = 4.0;
    internal static readonly double Log2Pi = Math.Log(2 * Math.PI);
    /// <summary>Rows per batched drift call; callers split larger batches into chunks of this many rows.</summary>
    public const int ChunkRows = 1024;
    ITimeStateBatch? batch;

    /// <summary>Policy with drift model <paramref name="drift"/>, diffusion σ = <paramref name="sigma"/> &gt; 0.</summary>
    public EulerMaruyamaPolicy(IDriftModel drift, double sigma, bool learnedVariance = false)
    {
        ArgumentNullException.ThrowIfNull(drift);
        Guard.Length(drift.OutputDimension, 2 * drift.StateDimension, "drift.OutputDimension");
        Drift = drift;
        Sigma = Guard.Positive(sigma, nameof(sigma));
        LearnedVariance = learnedVariance;
    }

    /// <summary>m_θ.</summary>
    public IDriftModel Drift { get; }
    /// <summary>σ (σ² is `t_scale`).</summary>
    public double Sigma { get; }
    /// <summary>Whether ℓ_θ = 4 tanh(raw) is used.</summary>
    public bool LearnedVariance { get; }
    /// <summary>d.</summary>
    public int Dimension => Drift.StateDimension;
    /// <summary>The drift's batch workspace of <see cref="ChunkRows"/> rows, created on first use, then reused.</summary>
    public ITimeStateBatch DriftBatch => batch ??= Drift.CreateBatch(ChunkRows);

    /// <summary>ℓᵢ from the network output (0 with fixed variance).</summary>
    public double LogVarianceCorrection(ReadOnlySpan<double> output, int i) =>
        LearnedVariance ? LogVarianceRange * Math.Tanh(output[Dimension + i]) : 0.0;

    /// <summary>log π→ at the transition x → x' over Δ given the network output y = m_θ(x, t) (length 2d).</summary>
    public double LogForward(ReadOnlySpan<double> x, ReadOnlySpan<double> next, double delta, ReadOnlySpan<double> output)
    {
        // log v = log(Δσ²) + ℓ and 1/v = e^{−ℓ}/(Δσ²): one exponential per coordinate, none with fixed variance.
        double s = 0, v0 = delta * Sigma * Sigma, logV0 = Math.Log(v0);
        for (int i = 0; i < Dimension; i++)
        {
            double l = LogVarianceCorrection(output, i), r = next[i] - x[i] - delta * output[i];
            double inverse = LearnedVariance ? Math.Exp(-l) / v0 : 1 / v0;
            s += -0.5 * (Log2Pi + logV0 + l) - 0.5 * r * r * inverse;
        }
        return s;
    }

    /// <summary>
    /// Writes ∂ log π→/∂y into <paramref name="outputGradient"/> (length 2d) scaled by <paramref name="weight"/>:
    /// ∂/∂mᵢ = rᵢ/(σ²e^{ℓᵢ}), ∂/∂rawᵢ = (−½ + rᵢ²/(2vᵢ))·4(1 − tanh²rawᵢ), r = x' − x − Δm, v = Δσ²e^ℓ.
    /// </summary>
    public void LogForwardOutputGradient(ReadOnlySpan<double> x, ReadOnlySpan<double> next, double delta,
        ReadOnlySpan<double> output, double weight, Span<double> outputGradient)
    {
        double v0 = delta * Sigma * Sigma;
        for (int i = 0; i < Dimension; i++)
        {
            double r = next[i] - x[i] - delta * output[i];
            if (LearnedVariance)
            {
                double th = Math.Tanh(output[Dimension + i]), inverse = Math.Exp(-LogVarianceRange * th) / v0;
                outputGradient[i] = weight * delta * r * inverse;
                double dl = LogVarianceRange * (1 - th * th);
                outputGradient[Dimension + i] = weight * (-0.5 + 0.5 * r * r * inverse) * dl;
            }
            else
            {
                outputGradient[i] = weight * delta * r / v0;
                outputGradient[Dimension + i] = 0;
            }
        }
    }

    /// <summary>log π←ₙ(x | x') of the exact bridge between times t &lt; t'; 0 when t = 0.</summary>
    public double LogBackward(ReadOnlySpan<double> x, ReadOnlySpan<double> next, double t, double tNext)
    {
        if (t == 0) return 0;
        double c = t / tNext, v = Sigma * Sigma * (tNext - t) * c, s = 0;
        for (int i = 0; i < Dimension; i++) { double r = x[i] - c * next[i]; s += r * r; }
        return -0.5 * Dimension * (Log2Pi + Math.Log(v)) - 0.5 * s / v;
    }

    /// <summary>Adds w·∂ log π←ₙ/∂x to <paramref name="gx"/> and w·∂ log π←ₙ/∂x' to <paramref name="gNext"/> (either may be empty).</summary>
    public void LogBackwardStateGradient(ReadOnlySpan<double> x, ReadOnlySpan<double> next, double t, double tNext, double weight,
        Span<double> gx, Span<double> gNext)
    {
        if (t == 0) return;
        double c = t / tNext, v = Sigma * Sigma * (tNext - t) * c;
        for (int i = 0; i < Dimension; i++)
        {
            double r = (x[i] - c * next[i]) / v;
            if (!gx.IsEmpty) gx[i] -= weight * r;
            if (!gNext.IsEmpty) gNext[i] += weight * c * r;
        }
    }
}
