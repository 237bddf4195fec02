using System.Numerics;
using System.Runtime.CompilerServices;

namespace RateLab.Core.Randomness;

/// <summary>
/// Philox4x32-10 and the Box–Muller transform evaluated for <see cref="Vector{T}"/>.Count counter blocks at once.
/// Lanes hold 32-bit words zero-extended to 64 bits so the 32×32→64 products of a Philox round are plain vector
/// multiplies. Every normal, including those of a partial last vector, is produced by the same vector code, so a value
/// depends only on its key and index, never on the span length or on which lane computed it.
/// </summary>
static class VectorNormals
{
    const ulong M0 = 0xD2511F53, M1 = 0xCD9E8D57, Mask = 0xFFFFFFFF;
    const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    const double Inv53 = 1.0 / (1UL << 53);

    /// <summary>Fills <paramref name="destination"/>: block b yields normals 2b (cosine) and 2b + 1 (sine).</summary>
    public static void Fill(uint k0, uint k1, uint c1, uint c2, uint c3, Span<double> destination)
    {
        int lanes = Vector<ulong>.Count, perVector = 2 * lanes, n = destination.Length;
        Span<double> cos = stackalloc double[lanes], sin = stackalloc double[lanes];
        var laneOffsets = LaneOffsets();
        for (int start = 0; start < n; start += perVector)
        {
            var counter0 = new Vector<ulong>((ulong)(start >> 1)) + laneOffsets;
            Transform(counter0, c1, c2, c3, k0, k1, out var radiusCos, out var radiusSin);
            radiusCos.CopyTo(cos);
            radiusSin.CopyTo(sin);
            int count = Math.Min(perVector, n - start);
            for (int j = 0; j < count; j++) destination[start + j] = (j & 1) == 0 ? cos[j >> 1] : sin[j >> 1];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector<ulong> LaneOffsets()
    {
        Span<ulong> offsets = stackalloc ulong[Vector<ulong>.Count];
        for (int i = 0; i < offsets.Length; i++) offsets[i] = (ulong)i;
        return new Vector<ulong>(offsets);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transform(Vector<ulong> c0, uint c1s, uint c2s, uint c3s, uint k0, uint k1,
        out Vector<double> radiusCos, out Vector<double> radiusSin)
    {
        var mask = new Vector<ulong>(Mask);
        Vector<ulong> c1 = new(c1s), c2 = new(c2s), c3 = new(c3s);
        for (int round = 0; round < 10; round++)
        {
            var p0 = c0 * new Vector<ulong>(M0);
            var p1 = c2 * new Vector<ulong>(M1);
            var n0 = (p1 >> 32) ^ c1 ^ new Vector<ulong>(k0);
            var n2 = (p0 >> 32) ^ c3 ^ new Vector<ulong>(k1);
            c0 = n0; c1 = p1 & mask; c2 = n2; c3 = p0 & mask;
            k0 += W0; k1 += W1;
        }
        var u1 = (Vector.ConvertToDouble(((c0 << 21) ^ (c1 >> 11))) + new Vector<double>(0.5)) * new Vector<double>(Inv53);
        var u2 = (Vector.ConvertToDouble(((c2 << 21) ^ (c3 >> 11))) + new Vector<double>(0.5)) * new Vector<double>(Inv53);
        var radius = Vector.SquareRoot(new Vector<double>(-2.0) * Vector.Log(u1));
        SinCosTurns(u2, out var s, out var c);
        radiusCos = radius * c;
        radiusSin = radius * s;
    }

    /// <summary>
    /// sin and cos of 2π·t for t in (0, 1). The runtime's vector SinCos takes a different path for a whole vector when
    /// one lane needs it, so a value would depend on its neighbours; this version is lane-independent: reduce to the
    /// nearest quarter turn q and φ = (4t − q)·π/2 ∈ [−π/4, π/4] (exact up to the last multiply), evaluate Taylor
    /// polynomials to degree 15/16 (truncation below 5e−17) and rotate by q.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SinCosTurns(Vector<double> t, out Vector<double> sin, out Vector<double> cos)
    {
        var t4 = t * new Vector<double>(4.0);
        var q = Vector.Floor(t4 + new Vector<double>(0.5));
        var phi = (t4 - q) * new Vector<double>(Math.PI / 2);
        var p = phi * phi;
        var sp = phi * (One + p * (new Vector<double>(-1.0 / 6) + p * (new Vector<double>(1.0 / 120) + p * (new Vector<double>(-1.0 / 5040)
            + p * (new Vector<double>(1.0 / 362880) + p * (new Vector<double>(-1.0 / 39916800) + p * (new Vector<double>(1.0 / 6227020800)
            + p * new Vector<double>(-1.0 / 1307674368000))))))));
        var cp = One + p * (new Vector<double>(-0.5) + p * (new Vector<double>(1.0 / 24) + p * (new Vector<double>(-1.0 / 720)
            + p * (new Vector<double>(1.0 / 40320) + p * (new Vector<double>(-1.0 / 3628800) + p * (new Vector<double>(1.0 / 479001600)
            + p * (new Vector<double>(-1.0 / 87178291200) + p * new Vector<double>(1.0 / 20922789888000))))))));
        var quadrant = Vector.ConvertToInt64(q) & new Vector<long>(3);
        var odd = Vector.Equals(quadrant & new Vector<long>(1), new Vector<long>(1));
        var negSin = Vector.GreaterThanOrEqual(quadrant, new Vector<long>(2));
        var negCos = Vector.Equals(quadrant, new Vector<long>(1)) | Vector.Equals(quadrant, new Vector<long>(2));
        var s = Vector.ConditionalSelect(odd, cp, sp);
        var c = Vector.ConditionalSelect(odd, sp, cp);
        sin = Vector.ConditionalSelect(negSin, -s, s);
        cos = Vector.ConditionalSelect(negCos, -c, c);
    }

    static Vector<double> One => Vector<double>.One;
}
