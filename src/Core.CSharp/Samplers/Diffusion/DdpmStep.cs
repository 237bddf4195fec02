using RateLab.Core.Diffusion;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// The coefficients of one DDPM ancestral step from level <c>from</c> down to level <c>to</c> (docs/algorithms.md):
/// x ← a·x + a·β·s(x) + σ·z with a = √(ᾱ_to/ᾱ_from), β = 1 − ᾱ_from/ᾱ_to and σ² = β or the posterior β̃. One place
/// for both kernels that take such steps: DDPM on a noise grid and the fine steps of PLMC on DDPM.
/// </summary>
public readonly record struct DdpmStep(double Scale, double Beta, double Variance)
{
    /// <summary>The step from <paramref name="from"/> to <paramref name="to"/> with the given variance choice.</summary>
    public static DdpmStep Between(NoiseLevel to, NoiseLevel from, DdpmVariance variance)
    {
        if (!Enum.IsDefined(variance))
            throw new ArgumentOutOfRangeException(nameof(variance),
                $"variance = {variance} is out of range; allowed: {string.Join(", ", Enum.GetNames<DdpmVariance>())}.");
        double beta = NoiseTransitions.Beta(to, from);
        double s2 = variance == DdpmVariance.Beta ? beta : NoiseTransitions.Posterior(to, from).Variance;
        return new DdpmStep(Math.Sqrt(to.AlphaBar / from.AlphaBar), beta, s2);
    }
}
