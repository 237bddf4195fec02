using RateLab.Core.Numerics;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// One noise level of X_τ = √(1−τ) X₀ + √τ Z (docs/algorithms.md), carrying ᾱ = 1−τ and τ = 1−ᾱ as two separately
/// computed numbers so neither is ever formed by subtraction near 0 or 1. Conversions follow the table of
/// docs/algorithms.md, 'Noise levels and grids': log-SNR λ = log(ᾱ/τ), VE level σ = √(τ/ᾱ) = e^{−λ/2}, OU time t
/// with ᾱ = e^{−2t}.
/// τ = 0 (clean data, ᾱ = 1) is allowed as the end of a grid; τ = 1 is not (pure noise has no finite λ, σ or t).
/// </summary>
public readonly record struct NoiseLevel
{
    NoiseLevel(double alphaBar, double tau) { AlphaBar = alphaBar; Tau = tau; }

    /// <summary>Signal variance ᾱ = 1−τ ∈ (0, 1].</summary>
    public double AlphaBar { get; }

    /// <summary>Noise variance τ = 1−ᾱ ∈ [0, 1).</summary>
    public double Tau { get; }

    /// <summary>The clean end τ = 0.</summary>
    public static NoiseLevel Zero => new(1.0, 0.0);

    /// <summary>From τ ∈ [0, 1). 1−τ is exact for τ ≥ ½ (Sterbenz) and relatively exact for τ &lt; ½.</summary>
    public static NoiseLevel FromTau(double tau) => new(1.0 - HalfOpen.ClosedOpen(tau, 0, 1, nameof(tau)), tau);

    /// <summary>
    /// From both members, each computed to full relative precision by the caller: τ ∈ [0, 1) and ᾱ ∈ (0, 1] summing to 1
    /// up to round-off (ᾱ = 1 in float64 once τ &lt; 1.1e-16, the end of Li–Jiao grids with large c₁).
    /// </summary>
    public static NoiseLevel FromTauAndAlphaBar(double tau, double alphaBar)
    {
        HalfOpen.ClosedOpen(tau, 0, 1, nameof(tau));
        Guard.InClosed(alphaBar, double.Epsilon, 1, nameof(alphaBar));
        if (Math.Abs(tau + alphaBar - 1) > 1e-12)
            throw new ArgumentException($"tau + alphaBar = {tau + alphaBar:R}; allowed: 1 within 1e-12.", nameof(alphaBar));
        return new(alphaBar, tau);
    }

    /// <summary>From ᾱ ∈ (0, 1].</summary>
    public static NoiseLevel FromAlphaBar(double alphaBar) =>
        new(alphaBar, 1.0 - HalfOpen.OpenClosed(alphaBar, 0, 1, nameof(alphaBar)));

    /// <summary>From log ᾱ ≤ 0: τ = −expm1(log ᾱ), exact near both ends.</summary>
    public static NoiseLevel FromLogAlphaBar(double logAlphaBar)
    {
        HalfOpen.OpenClosed(logAlphaBar, double.NegativeInfinity, 0, nameof(logAlphaBar));
        double alphaBar = Math.Exp(logAlphaBar);
        if (!(alphaBar > 0)) throw new ArgumentOutOfRangeException(nameof(logAlphaBar),
            $"logAlphaBar = {logAlphaBar} is out of range; allowed: (log(double.Epsilon), 0] so that ᾱ > 0.");
        return new(alphaBar, -StableMath.Expm1(logAlphaBar));
    }

    /// <summary>From log-SNR λ ∈ ℝ: τ = 1/(1+e^λ), ᾱ = 1/(1+e^{−λ}) (both without cancellation).</summary>
    public static NoiseLevel FromLogSnr(double lambda)
    {
        Guard.Finite(lambda, nameof(lambda));
        var level = new NoiseLevel(1.0 / (1.0 + Math.Exp(-lambda)), 1.0 / (1.0 + Math.Exp(lambda)));
        if (!(level.AlphaBar > 0)) throw new ArgumentOutOfRangeException(nameof(lambda),
            $"lambda = {lambda} is out of range; allowed: values with ᾱ = 1/(1+e^(−λ)) > 0 in float64 (λ > −709).");
        return level;
    }

    /// <summary>From the VE level σ ∈ [0, ∞): τ = σ²/(1+σ²), ᾱ = 1/(1+σ²).</summary>
    public static NoiseLevel FromSigma(double sigma)
    {
        Guard.NonNegative(sigma, nameof(sigma));
        double s2 = sigma * sigma;
        var level = new NoiseLevel(1.0 / (1.0 + s2), s2 / (1.0 + s2));
        if (!(level.AlphaBar > 0) || !(level.Tau < 1)) throw new ArgumentOutOfRangeException(nameof(sigma),
            $"sigma = {sigma} is out of range; allowed: [0, 1e150] so that τ < 1 in float64.");
        return level;
    }

    /// <summary>From OU time t ∈ [0, ∞): ᾱ = e^{−2t}, τ = −expm1(−2t).</summary>
    public static NoiseLevel FromOuTime(double t) => FromLogAlphaBar(-2.0 * Guard.NonNegative(t, nameof(t)));

    /// <summary>log ᾱ, computed as log1p(−τ) when τ is small so it keeps full relative accuracy.</summary>
    public double LogAlphaBar => Tau < 0.5 ? StableMath.Log1p(-Tau) : Math.Log(AlphaBar);

    /// <summary>log τ (−∞ at τ = 0).</summary>
    public double LogTau => Tau > 0.5 ? StableMath.Log1p(-AlphaBar) : Math.Log(Tau);

    /// <summary>Log-SNR λ = log ᾱ − log τ (+∞ at τ = 0).</summary>
    public double LogSnr => LogAlphaBar - LogTau;

    /// <summary>VE/EDM level σ = √(τ/ᾱ).</summary>
    public double Sigma => Math.Sqrt(Tau / AlphaBar);

    /// <summary>OU time t = −½ log ᾱ.</summary>
    public double OuTime => -0.5 * LogAlphaBar;

    /// <summary>Signal scale √ᾱ = √(1−τ).</summary>
    public double SignalScale => Math.Sqrt(AlphaBar);

    /// <summary>Noise scale √τ.</summary>
    public double NoiseScale => Math.Sqrt(Tau);

    /// <summary>
    /// ᾱ_a − ᾱ_b = τ_b − τ_a, taken from whichever stored pair has no cancellation: the τ's when both are small, the
    /// ᾱ's otherwise.
    /// </summary>
    /// <remarks>
    /// A commonly quoted rule (docs/algorithms.md, 'Corrections to commonly quoted formulas') is to always form it as
    /// ᾱ_a − ᾱ_b. That is right near τ → 1 but wrong near τ → 0: for τ_a = 1e-10, τ_b = 2e-10 the stored ᾱ's are
    /// 1 − τ rounded to 1.1e-16, so their difference keeps only ~6 digits, while τ_b − τ_a is exact to rounding. The
    /// early-stopping end levels live exactly there.
    /// </remarks>
    public static double Gap(NoiseLevel a, NoiseLevel b) =>
        Math.Max(a.Tau, b.Tau) <= 0.5 ? b.Tau - a.Tau : a.AlphaBar - b.AlphaBar;
}
