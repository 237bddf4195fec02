using System.Runtime.CompilerServices;

namespace RateLab.Core.Randomness;

/// <summary>
/// Counter-based draws keyed by (seed, chain, step, role, index). The Philox counter words carry
/// (index block, step low word, step high bits | role, chain); the key is the seed. Normals come in pairs from one
/// block by Box–Muller, uniforms are 53-bit and lie strictly inside (0, 1).
/// </summary>
public static class CounterRng
{
    const double Inv53 = 1.0 / (1UL << 53);
    /// <summary>Roles at or above this value are reserved for scalar uniforms.</summary>
    public const int UniformRoleBase = 0x8000;

    /// <summary>A 53-bit uniform in (0, 1) from two 32-bit words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToUniform(uint hi, uint lo) => ((((ulong)hi << 21) ^ (lo >> 11)) + 0.5) * Inv53;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint RoleWord(long step, int role) => ((uint)((ulong)step >> 32) << 16) | (uint)role;

    /// <summary>
    /// Fills <paramref name="destination"/> with standard normals for one (chain, step, role) key: Box–Muller on the
    /// two 53-bit uniforms of Philox block b gives normals 2b and 2b + 1 (vectorised; see <see cref="VectorNormals"/>).
    /// </summary>
    public static void Normals(ulong seed, long chain, long step, int role, Span<double> destination) =>
        VectorNormals.Fill((uint)seed, (uint)(seed >> 32), (uint)step, RoleWord(step, role), (uint)chain, destination);

    /// <summary>One uniform in (0, 1) for (chain, step, index).</summary>
    public static double Uniform(ulong seed, long chain, long step, int index)
    {
        uint block = (uint)(index >> 1);
        Philox4x32.Block(block, (uint)step, RoleWord(step, UniformRoleBase), (uint)chain, (uint)seed, (uint)(seed >> 32),
            out uint r0, out uint r1, out uint r2, out uint r3);
        return (index & 1) == 0 ? ToUniform(r0, r1) : ToUniform(r2, r3);
    }
}
