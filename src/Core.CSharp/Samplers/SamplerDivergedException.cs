namespace RateLab.Core.Samplers;

/// <summary>A sampler produced NaN or ±∞: names the sampler, the step and the chain so the run can be reproduced.</summary>
public sealed class SamplerDivergedException(string sampler, long step, long chain)
    : Exception($"sampler '{sampler}' produced a non-finite state at step {step} of chain {chain}; " +
                "reduce the step size or check the target's parameters.")
{
    /// <summary>The sampler's name.</summary>
    public string Sampler { get; } = sampler;
    /// <summary>The step at which the state stopped being finite.</summary>
    public long StepIndex { get; } = step;
    /// <summary>The chain that diverged.</summary>
    public long Chain { get; } = chain;
}
