using MathNet.Numerics;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// Exact TV between one-dimensional Gaussians N(μ₁, s₁²) and N(μ₂, s₂²) with unequal variances, via the two density
/// crossings r₁ &lt; r₂ (docs/background.md): TV = |P₁([r₁, r₂]) − P₂([r₁, r₂])|. Being a difference of
/// probabilities it is reliable in float64 only down to ≈ 1e-12; below that use the Hellinger sandwich.
/// </summary>
public static class GaussianTotalVariation
{
    /// <summary>TV(N(μ₁, s₁²), N(μ₂, s₂²)) for any s₁, s₂ &gt; 0 (equal variances use 2Φ(|Δμ|/(2s)) − 1).</summary>
    public static double OneDimensional(double mu1, double s1, double mu2, double s2)
    {
        Guard.Finite(mu1, nameof(mu1));
        Guard.Finite(mu2, nameof(mu2));
        Guard.Positive(s1, nameof(s1));
        Guard.Positive(s2, nameof(s2));
        if (s1 == s2) return SpecialFunctions.Erf(Math.Abs(mu1 - mu2) / (2 * Math.Sqrt(2) * s1));
        // log p₁ − log p₂ = αx² + βx + γ with the coefficients of §5.4.
        double alpha = 1 / (2 * s2 * s2) - 1 / (2 * s1 * s1);
        double beta = mu1 / (s1 * s1) - mu2 / (s2 * s2);
        double gamma = mu2 * mu2 / (2 * s2 * s2) - mu1 * mu1 / (2 * s1 * s1) - Math.Log(s1 / s2);
        // Two Gaussians with unequal variances always cross twice, so the discriminant is positive.
        double disc = beta * beta - 4 * alpha * gamma;
        double qq = -0.5 * (beta + Math.CopySign(Math.Sqrt(disc), beta));
        double x1 = qq / alpha, x2 = gamma / qq;
        double lo = Math.Min(x1, x2), hi = Math.Max(x1, x2);
        return Math.Abs(Mass(lo, hi, mu1, s1) - Mass(lo, hi, mu2, s2));
    }

    // P([lo, hi]) for N(mu, s²), taking the difference on the side of the smaller tail to keep relative accuracy.
    static double Mass(double lo, double hi, double mu, double s)
    {
        double zl = (lo - mu) / s, zh = (hi - mu) / s;
        return zl > 0 ? UpperTail(zl) - UpperTail(zh) : UpperTail(-zh) - UpperTail(-zl);
    }

    static double UpperTail(double z) => 0.5 * SpecialFunctions.Erfc(z / Math.Sqrt(2));
}
