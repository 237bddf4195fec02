using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RateLab.Core.Randomness;

/// <summary>
/// Philox4x32-10 and the Box–Muller transform evaluated for 8 (AVX-512) or <see cref="Vector{T}"/>.Count counter blocks
/// at once. Lanes hold 32-bit words in 64-bit lanes so the 32×32→64 products of a Philox round are vector multiplies.
/// Every normal, including those of a partial last vector, is produced by the same vector code, and both paths use
/// only lane-wise IEEE operations in the same order (Philox is integer, Log is the runtime's width-generic
/// polynomial), so a value depends only on its key and index, never on the span length, the lane or the vector width.
/// </summary>
static class VectorNormals
{
    const ulong M0 = 0xD2511F53, M1 = 0xCD9E8D57, Mask = 0xFFFFFFFF;
    const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    const double Inv53 = 1.0 / (1UL << 53);

    /// <summary>Fills <paramref name="destination"/>: block b yields normals 2b (cosine) and 2b + 1 (sine).</summary>
    public static void Fill(uint k0, uint k1, uint c1, uint c2, uint c3, Span<double> destination)
    {
        if (Avx512F.IsSupported && Avx512DQ.IsSupported) Fill512(k0, k1, c1, c2, c3, destination);
        else FillVector(k0, k1, c1, c2, c3, destination);
    }

    /// <summary>
    /// The AVX-512 path, in chunks of up to 16 vectors (256 normals) and three short loops — Philox, then the runtime's
    /// Log (a call), then radius·(cos, sin) — so each loop's iterations are independent and overlap in the core instead
    /// of one 16-normal vector waiting out the whole dependent chain. vpmuludq multiplies the low 32 bits of each lane,
    /// so the words need no masking inside the rounds (only their low halves are read; the high halves of c1 and c3
    /// carry junk until the final mask); cosines and sines are interleaved by one two-source permute per 8 normals.
    /// </summary>
    internal static void Fill512(uint k0, uint k1, uint c1, uint c2, uint c3, Span<double> destination)
    {
        const int ChunkVectors = 16, PerVector = 16;
        Span<Vector512<ulong>> keys = stackalloc Vector512<ulong>[20];
        for (int round = 0; round < 10; round++)
        {
            keys[2 * round] = Vector512.Create((ulong)k0);
            keys[2 * round + 1] = Vector512.Create((ulong)k1);
            k0 += W0; k1 += W1;
        }
        Span<Vector512<double>> u1 = stackalloc Vector512<double>[ChunkVectors], u2 = stackalloc Vector512<double>[ChunkVectors];
        Span<double> tail = stackalloc double[PerVector];
        var lo = Vector512.Create(0L, 8, 1, 9, 2, 10, 3, 11);
        var hi = Vector512.Create(4L, 12, 5, 13, 6, 14, 7, 15);
        var offsets = Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7);
        Vector512<ulong> w1 = Vector512.Create((ulong)c1), w2 = Vector512.Create((ulong)c2), w3 = Vector512.Create((ulong)c3);
        ref double d = ref MemoryMarshal.GetReference(destination);
        int n = destination.Length;
        for (int chunk = 0; chunk < n; chunk += ChunkVectors * PerVector)
        {
            int vectors = Math.Min(ChunkVectors, (n - chunk + PerVector - 1) / PerVector);
            for (int v = 0; v < vectors; v++)
                Philox512(Vector512.Create((ulong)((chunk >> 1) + 8 * v)) + offsets, w1, w2, w3, keys, out u1[v], out u2[v]);
            for (int v = 0; v < vectors; v++) u1[v] = Vector512.Sqrt(Vector512.Create(-2.0) * Vector512.Log(u1[v]));
            for (int v = 0; v < vectors; v++)
            {
                SinCosTurns512(u2[v], out var sin, out var cos);
                var normalsLo = Avx512F.PermuteVar8x64x2(u1[v] * cos, lo, u1[v] * sin);
                var normalsHi = Avx512F.PermuteVar8x64x2(u1[v] * cos, hi, u1[v] * sin);
                int start = chunk + v * PerVector;
                if (n - start >= PerVector)
                {
                    normalsLo.StoreUnsafe(ref d, (nuint)start);
                    normalsHi.StoreUnsafe(ref d, (nuint)start + 8);
                    continue;
                }
                normalsLo.CopyTo(tail);
                normalsHi.CopyTo(tail[8..]);
                tail[..(n - start)].CopyTo(destination[start..]);
            }
        }
    }

    /// <summary>Philox4x32-10 of 8 counters (c0 per lane, c1..c3 shared) to the two 53-bit uniforms of each block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Philox512(Vector512<ulong> c0, Vector512<ulong> c1, Vector512<ulong> c2, Vector512<ulong> c3,
        ReadOnlySpan<Vector512<ulong>> keys, out Vector512<double> u1, out Vector512<double> u2)
    {
        var m0 = Vector512.Create(M0).AsUInt32();
        var m1 = Vector512.Create(M1).AsUInt32();
        for (int round = 0; round < 10; round++)
        {
            var p0 = Avx512F.Multiply(c0.AsUInt32(), m0);
            var p1 = Avx512F.Multiply(c2.AsUInt32(), m1);
            c0 = Vector512.ShiftRightLogical(p1, 32) ^ c1 ^ keys[2 * round];
            c2 = Vector512.ShiftRightLogical(p0, 32) ^ c3 ^ keys[2 * round + 1];
            c1 = p1; c3 = p0;
        }
        var mask = Vector512.Create(Mask);
        c0 &= mask; c1 &= mask; c2 &= mask; c3 &= mask;
        u1 = (Vector512.ConvertToDouble((c0 << 21) ^ (c1 >> 11)) + Vector512.Create(0.5)) * Vector512.Create(Inv53);
        u2 = (Vector512.ConvertToDouble((c2 << 21) ^ (c3 >> 11)) + Vector512.Create(0.5)) * Vector512.Create(Inv53);
    }

    /// <summary><see cref="SinCosTurns"/> on 8 lanes: the same operations in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void SinCosTurns512(Vector512<double> t, out Vector512<double> sin, out Vector512<double> cos)
    {
        var t4 = t * Vector512.Create(4.0);
        var q = Vector512.Floor(t4 + Vector512.Create(0.5));
        var phi = (t4 - q) * Vector512.Create(Math.PI / 2);
        var p = phi * phi;
        var one = Vector512<double>.One;
        var sp = phi * (one + p * (Vector512.Create(-1.0 / 6) + p * (Vector512.Create(1.0 / 120) + p * (Vector512.Create(-1.0 / 5040)
            + p * (Vector512.Create(1.0 / 362880) + p * (Vector512.Create(-1.0 / 39916800) + p * (Vector512.Create(1.0 / 6227020800)
            + p * Vector512.Create(-1.0 / 1307674368000))))))));
        var cp = one + p * (Vector512.Create(-0.5) + p * (Vector512.Create(1.0 / 24) + p * (Vector512.Create(-1.0 / 720)
            + p * (Vector512.Create(1.0 / 40320) + p * (Vector512.Create(-1.0 / 3628800) + p * (Vector512.Create(1.0 / 479001600)
            + p * (Vector512.Create(-1.0 / 87178291200) + p * Vector512.Create(1.0 / 20922789888000))))))));
        var quadrant = Vector512.ConvertToInt64(q) & Vector512.Create(3L);
        var odd = Vector512.Equals(quadrant & Vector512.Create(1L), Vector512.Create(1L)).AsDouble();
        var negSin = Vector512.GreaterThanOrEqual(quadrant, Vector512.Create(2L)).AsDouble();
        var negCos = (Vector512.Equals(quadrant, Vector512.Create(1L)) | Vector512.Equals(quadrant, Vector512.Create(2L))).AsDouble();
        var s = Vector512.ConditionalSelect(odd, cp, sp);
        var c = Vector512.ConditionalSelect(odd, sp, cp);
        sin = Vector512.ConditionalSelect(negSin, -s, s);
        cos = Vector512.ConditionalSelect(negCos, -c, c);
    }

    /// <summary>The portable path over <see cref="Vector{T}"/>.</summary>
    internal static void FillVector(uint k0, uint k1, uint c1, uint c2, uint c3, Span<double> destination)
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
