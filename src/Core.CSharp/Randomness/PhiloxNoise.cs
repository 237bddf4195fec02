using RateLab.Core.Contracts;

namespace RateLab.Core.Randomness;

/// <summary>
/// The standard noise source: Philox draws keyed by (seed, chain, step, role), Brownian increments by the stepwise
/// bridge of <see cref="StepwiseNoise"/>.
/// </summary>
public sealed class PhiloxNoise(ulong seed) : INoiseSource
{
    /// <summary>The key of every draw.</summary>
    public ulong Seed { get; } = seed;

    /// <inheritdoc/>
    public void Normals(long chain, long step, int role, Span<double> destination) =>
        CounterRng.Normals(Seed, chain, step, role, destination);

    /// <inheritdoc/>
    public double Uniform(long chain, long step, int index) => CounterRng.Uniform(Seed, chain, step, index);

    /// <inheritdoc/>
    public void BrownianIncrements(long chain, long step, double h, ReadOnlySpan<double> cuts, Span<double> increments) =>
        StepwiseNoise.BridgeIncrements(this, chain, step, h, cuts, increments);
}
