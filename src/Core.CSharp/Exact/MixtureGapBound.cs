using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// Upper bounds on KL(p‖q) and W₂(p, q) for a Gaussian mixture p = E_ω N(μ_ω, S_ω) against a product Gaussian q, as
/// tight as the moment-matched lower bounds KL(p_G‖q) and Gelbrich's W₂ up to the non-Gaussian part of p
/// (docs/background.md; the A9 study's upper evidence).
/// <para>
/// Pythagorean identity (exact). p_G has p's per-coordinate means and variances; log q and log p_G are sums of
/// per-coordinate quadratics, so their expectations under p and p_G agree. Then
/// KL(p‖q) − KL(p‖p_G) = E_p[log p_G − log q] = E_{p_G}[log p_G − log q] = KL(p_G‖q), i.e.
/// KL(p‖q) = KL(p‖p_G) + KL(p_G‖q), whatever the correlations the shared draws give p across coordinates.
/// </para>
/// <para>
/// χ² bound. By Jensen (log concave), KL(p‖p_G) = E_p log(p/p_G) ≤ log E_p(p/p_G) = log(1 + χ²(p‖p_G)) ≤ χ²(p‖p_G),
/// and χ² is estimated without bias by <see cref="MixtureChiSquare"/>. So
/// KL_up = KL(p_G‖q) + max(0, Û) + z·SE is a one-sided upper confidence bound on KL(p‖q) at the level Φ(z) (z = 1.645:
/// 95 %), valid as far as Û is normal with the (conservative) jackknife error: a Monte Carlo estimate, reported with SE.
/// </para>
/// <para>
/// Talagrand. A Gaussian q = N(m, Σ_q) is 1/λ_max(Σ_q)-strongly log-concave, so by Bakry–Émery and Otto–Villani it
/// satisfies T₂: W₂(p, q)² ≤ 2 λ_max(Σ_q) KL(p‖q) for every p. Hence W2_up = (2 λ_max KL_up)^½. For nearby Gaussians
/// KL and W₂² are both quadratic in the moment gaps, so W2_up has W₂'s order when the χ² part is of higher order.
/// </para>
/// </summary>
/// <param name="KlMatched">KL(p_G‖q), exact.</param>
/// <param name="ChiSquare">The χ²(p‖p_G) estimate.</param>
/// <param name="Z">The one-sided normal quantile added in standard errors.</param>
/// <param name="LargestVariance">λ_max(Σ_q).</param>
public sealed record MixtureGapBound(double KlMatched, ChiSquareEstimate ChiSquare, double Z, double LargestVariance)
{
    /// <summary>z of a one-sided 95 % upper bound, Φ⁻¹(0.95).</summary>
    public const double OneSided95 = 1.6448536269514722;

    /// <summary>The bounds from KL(p_G‖q) and the χ² estimate of p against p_G, against the reference
    /// <paramref name="reference"/> (q, with positive variances).</summary>
    public static MixtureGapBound Of(double klMatched, ChiSquareEstimate chiSquare, DiagonalLaw reference,
        double z = OneSided95)
    {
        Guard.NonNegative(klMatched, nameof(klMatched));
        Guard.NonNegative(z, nameof(z));
        ArgumentNullException.ThrowIfNull(reference);
        reference.CheckNondegenerate(nameof(reference));
        if (double.IsNaN(chiSquare.Value) || !(chiSquare.StandardError >= 0) || chiSquare.Replicates < 3)
            throw new ArgumentOutOfRangeException(nameof(chiSquare), $"chiSquare = {chiSquare} is out of range; allowed: a value, SE ≥ 0 and ≥ 3 replicates.");
        double largest = 0;
        foreach (double v in reference.Variance) largest = Math.Max(largest, v);
        return new MixtureGapBound(klMatched, chiSquare, z, largest);
    }

    /// <summary>KL_up = KL(p_G‖q) + max(0, Û) + z·SE (+∞ when the χ² integral diverges).</summary>
    public double Kl => KlMatched + Math.Max(0, ChiSquare.Value) + Z * ChiSquare.StandardError;

    /// <summary>The standard error of <see cref="Kl"/>: Û's.</summary>
    public double KlStandardError => ChiSquare.StandardError;

    /// <summary>W2_up = (2 λ_max(Σ_q) KL_up)^½ (Talagrand's T₂ for the Gaussian q).</summary>
    public double W2 => Math.Sqrt(2 * LargestVariance * Kl);

    /// <summary>Delta-method standard error of <see cref="W2"/>: W2_up · SE / (2 KL_up).</summary>
    public double W2StandardError => Kl > 0 && double.IsFinite(Kl) ? W2 * KlStandardError / (2 * Kl) : 0;
}
