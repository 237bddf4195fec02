using RateLab.Core.Numerics;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// Cancellation-free scalar functions of z = γη that appear in exponential integrators of Langevin dynamics
/// (docs/algorithms.md). Below z = 1 they are summed as power series, because the closed forms subtract
/// quantities of size z to get results of size z² or z³.
/// </summary>
/// <remarks>
/// The commonly quoted recipe (docs/algorithms.md, 'Corrections to commonly quoted formulas') switches to a three-term
/// series only below z = 10⁻³, but its expm1 form of the cubic still cancels there (relative error ≈ 10⁻¹⁶·3/z², i.e.
/// ≈ 3·10⁻¹⁰ at z = 10⁻³), and the truncated series is only ≈ 10⁻¹⁰ accurate at the switch; summing the series to
/// convergence up to z = 1 keeps both functions within a few ulps.
/// </remarks>
public static class OuIntegrals
{
    const double SeriesLimit = 1.0;

    /// <summary>1 − e^{−z} = −expm1(−z).</summary>
    public static double OneMinusExp(double z) => -StableMath.Expm1(-z);

    /// <summary>z − (1 − e^{−z}) = Σ_{n≥2} (−z)ⁿ/n!: the frozen-drift weight γ(η − (1−e^{−γη})/γ).</summary>
    public static double Phi2(double z)
    {
        if (z >= SeriesLimit) return z + StableMath.Expm1(-z);
        double term = -z, sum = 0;
        for (int n = 2; n < 40; n++)
        {
            term *= -z / n;
            sum += term;
            if (Math.Abs(term) <= 1e-17 * Math.Abs(sum)) break;
        }
        return sum;
    }

    /// <summary>
    /// z − 2(1 − e^{−z}) + ½(1 − e^{−2z}) = Σ_{n≥3} (−1)ⁿ (2 − 2ⁿ⁻¹) zⁿ/n! = z³/3 − z⁴/4 + 7z⁵/60 − …:
    /// γ times the variance of ∫₀^η (1 − e^{−γ(η−r)}) dB_r.
    /// </summary>
    public static double Cubic(double z)
    {
        if (z >= SeriesLimit) return z + 2 * StableMath.Expm1(-z) - 0.5 * StableMath.Expm1(-2 * z);
        // power = (−z)ⁿ/n!, pow2 = 2ⁿ⁻¹; the n = 1, 2 terms vanish.
        double power = -z * z * z / 6, pow2 = 4, sum = 0;
        for (int n = 3; n < 60; n++)
        {
            double term = (2 - pow2) * power;
            sum += term;
            if (Math.Abs(term) <= 1e-17 * Math.Abs(sum)) break;
            power *= -z / (n + 1);
            pow2 *= 2;
        }
        return sum;
    }
}
