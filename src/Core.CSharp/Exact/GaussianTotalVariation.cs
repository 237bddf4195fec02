using MathNet.Numerics;
using MathNet.Numerics.Integration;
using RateLab.Core.Numerics;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// TV between Gaussians where it reduces to one dimension. Between N(μ₁, s₁²) and N(μ₂, s₂²) with unequal variances,
/// via the two density crossings r₁ &lt; r₂ (docs/background.md): TV = |P₁([r₁, r₂]) − P₂([r₁, r₂])|; being a
/// difference of probabilities it is reliable in float64 only down to ≈ 1e-12. Between centred isotropic laws, via the
/// law of the squared norm (<see cref="Isotropic"/>); and for a block of identical coordinates, a lower bound from two
/// such one-dimensional statistics (<see cref="GroupLowerBound"/>).
/// </summary>
public static class GaussianTotalVariation
{
    // Gauss–Legendre nodes per panel of the Gamma-density integral; a panel spans at most half a standard deviation,
    // where 20 nodes integrate the smooth density to round-off.
    const int NodesPerPanel = 20;
    // Beyond this many panels the crossing interval spans ≥ 8 standard deviations, TV is close to 1, and the difference
    // of the two distribution functions loses nothing that matters.
    const int MaxPanels = 16;

    /// <summary>TV(N(μ₁, s₁²), N(μ₂, s₂²)) for any s₁, s₂ &gt; 0 (equal variances use 2Φ(|Δμ|/(2s)) − 1).</summary>
    public static double OneDimensional(double mu1, double s1, double mu2, double s2)
    {
        Guard.Finite(mu1, nameof(mu1));
        Guard.Finite(mu2, nameof(mu2));
        Guard.Positive(s1, nameof(s1));
        Guard.Positive(s2, nameof(s2));
        if (s1 == s2) return SpecialFunctions.Erf(Math.Abs(mu1 - mu2) / (2 * Math.Sqrt(2) * s1));
        // log p₁ − log p₂ = αx² + βx + γ; its two roots are the density crossings.
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

    /// <summary>
    /// TV(N(0, A I_k), N(0, B I_k)) exactly. Both laws are spherical, so TV is that of ‖x‖², i.e. of A χ²_k against
    /// B χ²_k, whose densities cross once, at r* = k log(A/B)/(1/B − 1/A). TV is the Gamma(k/2) mass between
    /// r*/(2 max(A, B)) and r*/(2 min(A, B)), integrated as such (not as a difference of distribution functions, which
    /// cancels to ≈ 1e-11 absolute at k = 10⁴), so a small TV keeps its relative accuracy.
    /// </summary>
    public static double Isotropic(int k, double varianceP, double varianceQ)
    {
        Guard.AtLeast(k, 1, nameof(k));
        Guard.Positive(varianceP, nameof(varianceP));
        Guard.Positive(varianceQ, nameof(varianceQ));
        if (varianceP == varianceQ) return 0;
        if (k == 1) return OneDimensional(0, Math.Sqrt(varianceP), 0, Math.Sqrt(varianceQ));
        double ratio = varianceP / varianceQ;
        // In the Gamma(k/2) scale the crossing interval is [x₁, ρ x₁] with ρ = max/min > 1 and
        // x₁ = (k/2)·log ρ/(ρ − 1), taken with log1p so no digits cancel when the variances are close.
        double excess = Math.Max(ratio, 1 / ratio) - 1, shape = 0.5 * k;
        // Variances more than 1e308 apart: ρ overflows, x₁ underflows to 0 and ρ x₁ = (k/2)·log ρ.
        if (!double.IsFinite(excess))
            return SpecialFunctions.GammaLowerRegularized(shape,
                shape * Math.Abs(Math.Log(varianceP) - Math.Log(varianceQ)));
        // The interval's length is formed directly: as a difference of its ends it would carry their rounding, a
        // relative error of 1e-16/excess.
        double lower = shape * StableMath.Log1p(excess) / excess, length = lower * excess;
        double sd = Math.Sqrt(shape), width = 0.5 * Math.Min(sd, lower);
        // Counted in double: a ratio far from 1 asks for more panels than an int holds.
        double panelCount = Math.Ceiling(length / width);
        if (panelCount > MaxPanels)
            return Math.Max(0, SpecialFunctions.GammaLowerRegularized(shape, lower + length)
                - SpecialFunctions.GammaLowerRegularized(shape, lower));
        int panels = (int)panelCount;
        double logNorm = -0.5 * Math.Log(2 * Math.PI * shape) - StirlingError(shape), step = length / panels, sum = 0;
        for (int i = 0; i < panels; i++)
            sum += GaussLegendreRule.Integrate(s => GammaDensity(lower + s, shape, logNorm), i * step,
                i == panels - 1 ? length : (i + 1) * step, NodesPerPanel);
        return Math.Min(1, sum);
    }

    /// <summary>
    /// A lower bound on TV(N(a, A)^{⊗w}, N(b, B)^{⊗w}), the laws of w identical coordinates (a multiplicity left by
    /// <see cref="GaussianReduction"/>), by data processing: no statistic separates two laws more than the laws do. Two
    /// statistics are independent under both laws: the mean along (1, …, 1)/√w, N(√w a, A) against N(√w b, B), and
    /// the squared norm of the orthogonal part, centred in both laws, A χ²_k against B χ²_k with k = w − 1. When a = b
    /// the whole block is centred (k = w) and the bound is the block's exact TV; when A = B the mean alone is, as it is
    /// for w = 1. A multiplicity that is not a whole number gets the mean's bound alone.
    /// </summary>
    public static double GroupLowerBound(double a, double varianceP, double b, double varianceQ, double multiplicity)
    {
        Guard.Positive(multiplicity, nameof(multiplicity));
        double root = Math.Sqrt(multiplicity);
        double mean = OneDimensional(root * a, Math.Sqrt(varianceP), root * b, Math.Sqrt(varianceQ));
        bool whole = multiplicity == Math.Floor(multiplicity) && multiplicity >= 2 && multiplicity <= int.MaxValue;
        if (!whole || varianceP == varianceQ) return mean;
        if (a == b) return Isotropic((int)multiplicity, varianceP, varianceQ);
        return Math.Max(mean, Isotropic((int)multiplicity - 1, varianceP, varianceQ));
    }

    // The Gamma(shape) density at x, from log g = −½ log(2π shape) − stirling(shape) − log(1 + t) − shape·(t − log1p t)
    // with x = shape·(1 + t): the large terms of log Γ and of x^{shape−1} e^{−x} cancel analytically, not in float64.
    static double GammaDensity(double x, double shape, double logNorm)
    {
        double t = x / shape - 1;
        return Math.Exp(logNorm - StableMath.Log1p(t) - shape * GaussianDistances.RMinusLog1p(t));
    }

    // log Γ(s) − [(s − ½) log s − s + ½ log 2π]: its asymptotic series from s = 15 on (the next term is below 2e-16),
    // the direct difference below (where its terms are small enough that round-off stays near 1e-15).
    static double StirlingError(double s)
    {
        if (s < 15) return SpecialFunctions.GammaLn(s) - ((s - 0.5) * Math.Log(s) - s + 0.5 * Math.Log(2 * Math.PI));
        double inv = 1 / s, inv2 = inv * inv;
        return inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 - inv2 / 1188))));
    }

    // P([lo, hi]) for N(mu, s²), taking the difference on the side of the smaller tail to keep relative accuracy.
    static double Mass(double lo, double hi, double mu, double s)
    {
        double zl = (lo - mu) / s, zh = (hi - mu) / s;
        return zl > 0 ? UpperTail(zl) - UpperTail(zh) : UpperTail(-zh) - UpperTail(-zl);
    }

    static double UpperTail(double z) => 0.5 * SpecialFunctions.Erfc(z / Math.Sqrt(2));
}
