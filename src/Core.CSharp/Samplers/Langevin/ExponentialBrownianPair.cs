using System.Numerics.Tensors;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// The Gaussian pair of Brownian integrals over an interval of length τ with rate γ (z = γτ), per coordinate:
/// D = ∫₀^τ (1 − e^{−γ(τ−r)}) dB_r and A = ∫₀^τ e^{−γ(τ−r)} dB_r, so D + A = ∫₀^τ dB_r (docs/algorithms.md).
/// Var D = Cubic(z)/γ, Var A = (1 − e^{−2z})/(2γ), Cov(D, A) = (1 − e^{−z})²/(2γ).
/// </summary>
/// <remarks>
/// The pair is drawn as D = ℓ_D ζ₁, A = ℓ_{A1} ζ₁ + ℓ_{A2} ζ₂. Factoring on D (not on ∫dB as in the textbook (A, H) form)
/// keeps the conditional variance Var A − Cov²/Var D free of cancellation: for small z it is ≈ z/(2γ) next to
/// Var A ≈ z/γ, whereas conditioning A on H subtracts two numbers of size z to get one of size z³.
/// </remarks>
public readonly struct ExponentialBrownianPair
{
    /// <summary>Loading of D on ζ₁.</summary>
    public readonly double Ld;
    /// <summary>Loading of A on ζ₁.</summary>
    public readonly double La1;
    /// <summary>Loading of A on ζ₂.</summary>
    public readonly double La2;

    ExponentialBrownianPair(double ld, double la1, double la2) { Ld = ld; La1 = la1; La2 = la2; }

    /// <summary>The loadings for rate γ &gt; 0 and interval length τ ≥ 0 (callers validate both).</summary>
    public static ExponentialBrownianPair For(double gamma, double tau)
    {
        double z = gamma * tau;
        double varD = OuIntegrals.Cubic(z) / gamma;
        double varA = OuIntegrals.OneMinusExp(2 * z) / (2 * gamma);
        double oneMinusE = OuIntegrals.OneMinusExp(z);
        double cov = oneMinusE * oneMinusE / (2 * gamma);
        // varD underflows to 0 only for z³ below the smallest double; then D is 0 to working precision.
        if (!(varD > 0)) return new(0, 0, Math.Sqrt(varA));
        double ld = Math.Sqrt(varD), la1 = cov / ld;
        return new(ld, la1, Math.Sqrt(Math.Max(0, varA - la1 * la1)));
    }

    /// <summary>D = ℓ_D ζ₁.</summary>
    public double D(double zeta1) => Ld * zeta1;

    /// <summary>A = ℓ_{A1} ζ₁ + ℓ_{A2} ζ₂.</summary>
    public double A(double zeta1, double zeta2) => La1 * zeta1 + La2 * zeta2;

    /// <summary>D = ℓ_D ζ₁ per coordinate; <paramref name="d"/> may be <paramref name="zeta1"/>.</summary>
    internal void D(ReadOnlySpan<double> zeta1, Span<double> d) => TensorPrimitives.Multiply(zeta1, Ld, d);

    /// <summary>
    /// A = ℓ_{A1} ζ₁ + ℓ_{A2} ζ₂ per coordinate, rounded as the scalar form; <paramref name="a"/> may be
    /// <paramref name="zeta2"/> but not <paramref name="zeta1"/>, which is read after ℓ_{A2} ζ₂ is written.
    /// </summary>
    internal void A(ReadOnlySpan<double> zeta1, ReadOnlySpan<double> zeta2, Span<double> a)
    {
        TensorPrimitives.Multiply(zeta2, La2, a);
        TensorPrimitives.MultiplyAdd(zeta1, La1, a, a);
    }
}
