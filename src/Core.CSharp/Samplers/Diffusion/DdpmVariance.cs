namespace RateLab.Core.Samplers.Diffusion;

/// <summary>The per-step noise variance of DDPM ancestral sampling (docs/algorithms.md).</summary>
public enum DdpmVariance
{
    /// <summary>σ² = β ("fixed large", [HJA20]).</summary>
    Beta,
    /// <summary>σ² = β̃ = β(1−ᾱ_{n−1})/(1−ᾱ_n) ("fixed small", the posterior variance; latent-diffusion default).</summary>
    Posterior,
}
