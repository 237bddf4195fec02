namespace RateLab.Core.Contracts;

/// <summary>
/// Where a sampler's randomness comes from. Every draw is addressed by (chain, step, role or index), never by call
/// order, so the same seed yields the same numbers whatever the thread count or batch split, and two runs that ask for
/// the same address see the same draw.
/// </summary>
public interface INoiseSource
{
    /// <summary>Standard normals for (chain, step, role); roles below <c>Randomness.CounterRng.UniformRoleBase</c>.</summary>
    void Normals(long chain, long step, int role, Span<double> destination);

    /// <summary>A uniform in (0, 1) for (chain, step, index); scalar draws shared by all coordinates of a chain.</summary>
    double Uniform(long chain, long step, int index);

    /// <summary>
    /// Increments of a standard Brownian motion W over step <paramref name="step"/> = [k h, (k+1) h], split at the
    /// fractions <paramref name="cuts"/> (increasing, inside (0, 1)). <paramref name="increments"/> holds
    /// (cuts.Length + 1) consecutive blocks of length d: W(t_{j+1}) − W(t_j) for each sub-interval.
    /// </summary>
    void BrownianIncrements(long chain, long step, double h, ReadOnlySpan<double> cuts, Span<double> increments);
}
