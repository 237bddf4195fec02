using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// A noise level carried as the pair (τ, ᾱ = 1 − τ), each stored to full relative precision, because forming one from
/// the other by subtraction loses digits near τ → 1 (the start) and τ → 0 (the end) (algorithms.md §7 item 2).
/// </summary>
public readonly record struct FlowLevel
{
    /// <summary>
    /// A level from both members, τ ∈ (0, 1) and ᾱ ∈ (0, 1], summing to 1 up to round-off (ᾱ = 1 in float64 when
    /// τ &lt; 1.1e-16, the end of Li–Jiao grids with large c₁).
    /// </summary>
    public FlowLevel(double tau, double alphaBar)
    {
        Guard.InOpen(tau, 0, 1, nameof(tau));
        Guard.InClosed(alphaBar, double.Epsilon, 1, nameof(alphaBar));
        if (Math.Abs(tau + alphaBar - 1) > 1e-12)
            throw new ArgumentException($"tau + alphaBar = {tau + alphaBar:R}; allowed: 1 within 1e-12.", nameof(alphaBar));
        Tau = tau;
        AlphaBar = alphaBar;
    }

    /// <summary>The level τ, ᾱ = 1 − τ formed by subtraction (exact enough when τ is given as a double).</summary>
    public static FlowLevel FromTau(double tau) => new(tau, 1 - Guard.InOpen(tau, 0, 1, nameof(tau)));

    /// <summary>The level at OU time s (algorithms.md §1.3): τ = 1 − e^{−2s} (by expm1), ᾱ = e^{−2s}.</summary>
    public static FlowLevel FromOuTime(double s) =>
        new(-StableMath.Expm1(-2 * Guard.Positive(s, nameof(s))), Math.Exp(-2 * s));

    /// <summary>Noise variance τ.</summary>
    public double Tau { get; }

    /// <summary>Signal variance ᾱ = 1 − τ.</summary>
    public double AlphaBar { get; }

    /// <summary>τ_b − τ_a for this level as a and <paramref name="b"/>, from whichever member keeps its digits.</summary>
    public double TauGapTo(FlowLevel b) => b.Tau < 0.5 ? b.Tau - Tau : AlphaBar - b.AlphaBar;

    /// <summary>
    /// The exact forward transition to a noisier level (algorithms.md §1.6): X_b = √(ᾱ_b/ᾱ_a) X_a + √((τ_b − τ_a)/ᾱ_a) Z.
    /// Returns (scale, noise standard deviation).
    /// </summary>
    public (double Scale, double NoiseSd) ForwardTo(FlowLevel noisier)
    {
        double gap = TauGapTo(noisier);
        if (!(gap >= 0))
            throw new ArgumentOutOfRangeException(nameof(noisier), $"noisier.Tau = {noisier.Tau:R} is out of range; allowed: ≥ {Tau:R}.");
        return (Math.Sqrt(noisier.AlphaBar / AlphaBar), Math.Sqrt(gap / AlphaBar));
    }
}
