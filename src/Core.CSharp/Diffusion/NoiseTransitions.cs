namespace RateLab.Core.Diffusion;

/// <summary>X_b | X_a ~ N(Scale·X_a, Variance·I): the exact forward transition between two noise levels.</summary>
/// <param name="Scale">√(ᾱ_b/ᾱ_a).</param>
/// <param name="Variance">(τ_b − τ_a)/(1 − τ_a) = (ᾱ_a − ᾱ_b)/ᾱ_a.</param>
public readonly record struct ForwardTransition(double Scale, double Variance)
{
    /// <summary>Noise standard deviation √Variance.</summary>
    public double NoiseSd => Math.Sqrt(Variance);
}

/// <summary>q(x_a | x_b, x₀) = N(CoefX0·x₀ + CoefXb·x_b, Variance·I), the DDPM posterior (a less noisy than b).</summary>
/// <param name="CoefX0">√ᾱ_a·β/(1−ᾱ_b).</param>
/// <param name="CoefXb">√α·(1−ᾱ_a)/(1−ᾱ_b).</param>
/// <param name="Variance">β̃ = β·(1−ᾱ_a)/(1−ᾱ_b).</param>
public readonly record struct DdpmPosterior(double CoefX0, double CoefXb, double Variance);

/// <summary>
/// Coefficients between two noise levels (docs/algorithms.md), all formed from the stored (ᾱ, τ) pairs through
/// <see cref="NoiseLevel.Gap"/>, never from 1 − (something close to 1).
/// </summary>
public static class NoiseTransitions
{
    /// <summary>The forward transition from level <paramref name="a"/> to the noisier level <paramref name="b"/>.</summary>
    public static ForwardTransition Forward(NoiseLevel a, NoiseLevel b)
    {
        RequireNoisier(a, b);
        return new(Math.Sqrt(b.AlphaBar / a.AlphaBar), NoiseLevel.Gap(a, b) / a.AlphaBar);
    }

    /// <summary>
    /// Effective step β = 1 − ᾱ_b/ᾱ_a = (ᾱ_a − ᾱ_b)/ᾱ_a from <paramref name="a"/> to the noisier <paramref name="b"/>;
    /// for respaced grids this is the DDPM step's β_{n→m} = 1 − ᾱ_n/ᾱ_m.
    /// </summary>
    public static double Beta(NoiseLevel a, NoiseLevel b)
    {
        RequireNoisier(a, b);
        return NoiseLevel.Gap(a, b) / a.AlphaBar;
    }

    /// <summary>The DDPM posterior of the less noisy level <paramref name="a"/> given level <paramref name="b"/> and x₀.</summary>
    public static DdpmPosterior Posterior(NoiseLevel a, NoiseLevel b)
    {
        RequireNoisier(a, b);
        double beta = NoiseLevel.Gap(a, b) / a.AlphaBar, alpha = b.AlphaBar / a.AlphaBar;
        return new(Math.Sqrt(a.AlphaBar) * beta / b.Tau, Math.Sqrt(alpha) * a.Tau / b.Tau, beta * a.Tau / b.Tau);
    }

    static void RequireNoisier(NoiseLevel a, NoiseLevel b)
    {
        if (!(b.Tau > a.Tau))
            throw new ArgumentException($"level b (τ = {b.Tau:R}) must be noisier than level a (τ = {a.Tau:R}); allowed: τ_b > τ_a.", nameof(b));
    }
}
