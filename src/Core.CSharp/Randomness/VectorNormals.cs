using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RateLab.Core.Randomness;

/// <summary>
/// Philox4x32-10 and the Box–Muller transform evaluated for 8 (AVX-512), 4 (AVX2) or <see cref="Vector{T}"/>.Count
/// counter blocks at once. Lanes hold 32-bit words in 64-bit lanes so the 32×32→64 products of a Philox round are
/// vector multiplies. Every normal, including those of a partial last vector, is produced by the same vector code, and
/// all paths use only lane-wise IEEE operations in the same order (Philox is integer, Log is the runtime's width-generic
/// polynomial), so a value depends only on its key and index, never on the span length, the lane or the vector width.
/// The runtime's Log itself rounds differently on x86 without AVX2, so there the bits differ (docs/algorithms.md).
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
        else if (Avx2.IsSupported && Vector<double>.Count == 4) Fill256(k0, k1, c1, c2, c3, destination);
        else FillVector(k0, k1, c1, c2, c3, destination);
    }

    /// <summary>
    /// The AVX-512 path, in chunks of up to 16 vectors (256 normals) and three short loops — Philox, then the runtime's
    /// Log (a call), then radius·(cos, sin) — so each loop's iterations are independent and overlap in the core instead
    /// of one 16-normal vector waiting out the whole dependent chain. Philox runs four vectors' rounds side by side
    /// (a round is a chain of multiply, shift and xor, so one vector alone leaves the multipliers idle); a chunk's
    /// last group of four may run past its end, and those lanes are never read. Cosines and sines are interleaved by
    /// one two-source permute per 8 normals.
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
            for (int v = 0; v < vectors; v += 4)
                PhiloxFour(Vector512.Create((ulong)((chunk >> 1) + 8 * v)) + offsets, w1, w2, w3, keys, u1[v..(v + 4)], u2[v..(v + 4)]);
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

    /// <summary>
    /// Philox4x32-10 of 32 counters (four vectors of 8: <paramref name="first"/> + 8g for group g; c1..c3 shared) to
    /// the two 53-bit uniforms of each block. vpmuludq multiplies the low 32 bits of each lane, so the words need no
    /// masking inside the rounds (only their low halves are read; the high halves of c1 and c3 carry junk until the
    /// final mask), and each round's two xors are one three-input vpternlogq.
    /// </summary>
    static void PhiloxFour(Vector512<ulong> first, Vector512<ulong> c1, Vector512<ulong> c2, Vector512<ulong> c3,
        ReadOnlySpan<Vector512<ulong>> keys, Span<Vector512<double>> u1, Span<Vector512<double>> u2)
    {
        var m0 = Vector512.Create(M0).AsUInt32();
        var m1 = Vector512.Create(M1).AsUInt32();
        Vector512<ulong> a0 = first, a1 = c1, a2 = c2, a3 = c3;
        Vector512<ulong> b0 = first + Vector512.Create(8UL), b1 = c1, b2 = c2, b3 = c3;
        Vector512<ulong> e0 = first + Vector512.Create(16UL), e1 = c1, e2 = c2, e3 = c3;
        Vector512<ulong> f0 = first + Vector512.Create(24UL), f1 = c1, f2 = c2, f3 = c3;
        ref Vector512<ulong> k = ref MemoryMarshal.GetReference(keys);
        for (int round = 0; round < 10; round++)
        {
            var k0 = Unsafe.Add(ref k, 2 * round);
            var k1 = Unsafe.Add(ref k, 2 * round + 1);
            Round(ref a0, ref a1, ref a2, ref a3, m0, m1, k0, k1);
            Round(ref b0, ref b1, ref b2, ref b3, m0, m1, k0, k1);
            Round(ref e0, ref e1, ref e2, ref e3, m0, m1, k0, k1);
            Round(ref f0, ref f1, ref f2, ref f3, m0, m1, k0, k1);
        }
        Uniforms(a0, a1, a2, a3, out u1[0], out u2[0]);
        Uniforms(b0, b1, b2, b3, out u1[1], out u2[1]);
        Uniforms(e0, e1, e2, e3, out u1[2], out u2[2]);
        Uniforms(f0, f1, f2, f3, out u1[3], out u2[3]);
    }

    /// <summary>One Philox4x32 round on 8 blocks: (c0, c1, c2, c3) ← (hi(M1·c2) ⊕ c1 ⊕ k0, M1·c2, hi(M0·c0) ⊕ c3 ⊕ k1, M0·c0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Round(ref Vector512<ulong> c0, ref Vector512<ulong> c1, ref Vector512<ulong> c2, ref Vector512<ulong> c3,
        Vector512<uint> m0, Vector512<uint> m1, Vector512<ulong> k0, Vector512<ulong> k1)
    {
        const byte Xor3 = 0x96;
        var p0 = Avx512F.Multiply(c0.AsUInt32(), m0);
        var p1 = Avx512F.Multiply(c2.AsUInt32(), m1);
        c0 = Avx512F.TernaryLogic(Vector512.ShiftRightLogical(p1, 32), c1, k0, Xor3);
        c2 = Avx512F.TernaryLogic(Vector512.ShiftRightLogical(p0, 32), c3, k1, Xor3);
        c1 = p1; c3 = p0;
    }

    /// <summary>The two 53-bit uniforms in (0, 1) of each block's final words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Uniforms(Vector512<ulong> c0, Vector512<ulong> c1, Vector512<ulong> c2, Vector512<ulong> c3,
        out Vector512<double> u1, out Vector512<double> u2)
    {
        var mask = Vector512.Create(Mask);
        c0 &= mask; c1 &= mask; c2 &= mask; c3 &= mask;
        u1 = (Vector512.ConvertToDouble((c0 << 21) ^ (c1 >> 11)) + Vector512.Create(0.5)) * Vector512.Create(Inv53);
        u2 = (Vector512.ConvertToDouble((c2 << 21) ^ (c3 >> 11)) + Vector512.Create(0.5)) * Vector512.Create(Inv53);
    }

    /// <summary>
    /// The AVX2 path (no AVX-512): <see cref="Fill512"/>'s three loops on 4 blocks per vector. AVX2 has neither a 64-bit
    /// integer-to-double conversion nor a three-input xor, so each 53-bit integer c·2²¹ + (c′ ≫ 11) is assembled exactly
    /// in double from its two parts (each below 2³², converted by the 2⁵² bias trick), which rounds nothing, so the
    /// uniforms, and with them the normals, equal the other paths' bit for bit. sin and cos are
    /// <see cref="SinCosTurns"/>, whose <see cref="Vector{T}"/> is this width here.
    /// </summary>
    internal static void Fill256(uint k0, uint k1, uint c1, uint c2, uint c3, Span<double> destination)
    {
        const int ChunkVectors = 16, PerVector = 8;
        Span<Vector256<ulong>> keys = stackalloc Vector256<ulong>[20];
        for (int round = 0; round < 10; round++)
        {
            keys[2 * round] = Vector256.Create((ulong)k0);
            keys[2 * round + 1] = Vector256.Create((ulong)k1);
            k0 += W0; k1 += W1;
        }
        Span<Vector256<double>> u1 = stackalloc Vector256<double>[ChunkVectors], u2 = stackalloc Vector256<double>[ChunkVectors];
        Span<double> tail = stackalloc double[PerVector];
        var offsets = Vector256.Create(0UL, 1, 2, 3);
        Vector256<ulong> w1 = Vector256.Create((ulong)c1), w2 = Vector256.Create((ulong)c2), w3 = Vector256.Create((ulong)c3);
        ref double d = ref MemoryMarshal.GetReference(destination);
        int n = destination.Length;
        for (int chunk = 0; chunk < n; chunk += ChunkVectors * PerVector)
        {
            int vectors = Math.Min(ChunkVectors, (n - chunk + PerVector - 1) / PerVector);
            for (int v = 0; v < vectors; v += 4)
                PhiloxFour(Vector256.Create((ulong)((chunk >> 1) + 4 * v)) + offsets, w1, w2, w3, keys, u1[v..(v + 4)], u2[v..(v + 4)]);
            for (int v = 0; v < vectors; v++) u1[v] = Vector256.Sqrt(Vector256.Create(-2.0) * Vector256.Log(u1[v]));
            for (int v = 0; v < vectors; v++)
            {
                SinCosTurns(u2[v].AsVector(), out var sin, out var cos);
                var radiusCos = u1[v] * cos.AsVector256();
                var radiusSin = u1[v] * sin.AsVector256();
                // unpack gives (c0, s0, c2, s2) and (c1, s1, c3, s3); the 128-bit halves then go in order.
                var even = Avx.UnpackLow(radiusCos, radiusSin);
                var odd = Avx.UnpackHigh(radiusCos, radiusSin);
                var normalsLo = Avx.Permute2x128(even, odd, 0x20);
                var normalsHi = Avx.Permute2x128(even, odd, 0x31);
                int start = chunk + v * PerVector;
                if (n - start >= PerVector)
                {
                    normalsLo.StoreUnsafe(ref d, (nuint)start);
                    normalsHi.StoreUnsafe(ref d, (nuint)start + 4);
                    continue;
                }
                normalsLo.CopyTo(tail);
                normalsHi.CopyTo(tail[4..]);
                tail[..(n - start)].CopyTo(destination[start..]);
            }
        }
    }

    /// <summary>Philox4x32-10 of 16 counters (four vectors of 4, as the 512-bit overload's four of 8) to their uniforms.</summary>
    static void PhiloxFour(Vector256<ulong> first, Vector256<ulong> c1, Vector256<ulong> c2, Vector256<ulong> c3,
        ReadOnlySpan<Vector256<ulong>> keys, Span<Vector256<double>> u1, Span<Vector256<double>> u2)
    {
        var m0 = Vector256.Create(M0).AsUInt32();
        var m1 = Vector256.Create(M1).AsUInt32();
        Vector256<ulong> a0 = first, a1 = c1, a2 = c2, a3 = c3;
        Vector256<ulong> b0 = first + Vector256.Create(4UL), b1 = c1, b2 = c2, b3 = c3;
        Vector256<ulong> e0 = first + Vector256.Create(8UL), e1 = c1, e2 = c2, e3 = c3;
        Vector256<ulong> f0 = first + Vector256.Create(12UL), f1 = c1, f2 = c2, f3 = c3;
        ref Vector256<ulong> k = ref MemoryMarshal.GetReference(keys);
        for (int round = 0; round < 10; round++)
        {
            var k0 = Unsafe.Add(ref k, 2 * round);
            var k1 = Unsafe.Add(ref k, 2 * round + 1);
            Round(ref a0, ref a1, ref a2, ref a3, m0, m1, k0, k1);
            Round(ref b0, ref b1, ref b2, ref b3, m0, m1, k0, k1);
            Round(ref e0, ref e1, ref e2, ref e3, m0, m1, k0, k1);
            Round(ref f0, ref f1, ref f2, ref f3, m0, m1, k0, k1);
        }
        Uniforms(a0, a1, a2, a3, out u1[0], out u2[0]);
        Uniforms(b0, b1, b2, b3, out u1[1], out u2[1]);
        Uniforms(e0, e1, e2, e3, out u1[2], out u2[2]);
        Uniforms(f0, f1, f2, f3, out u1[3], out u2[3]);
    }

    /// <summary>One Philox4x32 round on 4 blocks (vpmuludq, as on 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Round(ref Vector256<ulong> c0, ref Vector256<ulong> c1, ref Vector256<ulong> c2, ref Vector256<ulong> c3,
        Vector256<uint> m0, Vector256<uint> m1, Vector256<ulong> k0, Vector256<ulong> k1)
    {
        var p0 = Avx2.Multiply(c0.AsUInt32(), m0);
        var p1 = Avx2.Multiply(c2.AsUInt32(), m1);
        c0 = Vector256.ShiftRightLogical(p1, 32) ^ c1 ^ k0;
        c2 = Vector256.ShiftRightLogical(p0, 32) ^ c3 ^ k1;
        c1 = p1; c3 = p0;
    }

    /// <summary>The two 53-bit uniforms of each of 4 blocks, the integer assembled exactly in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Uniforms(Vector256<ulong> c0, Vector256<ulong> c1, Vector256<ulong> c2, Vector256<ulong> c3,
        out Vector256<double> u1, out Vector256<double> u2)
    {
        var mask = Vector256.Create(Mask);
        u1 = (Exact53(c0 & mask, (c1 & mask) >> 11) + Vector256.Create(0.5)) * Vector256.Create(Inv53);
        u2 = (Exact53(c2 & mask, (c3 & mask) >> 11) + Vector256.Create(0.5)) * Vector256.Create(Inv53);
    }

    /// <summary>hi·2²¹ + lo as a double for hi &lt; 2³², lo &lt; 2²¹: every step is exact, so it equals the conversion.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<double> Exact53(Vector256<ulong> hi, Vector256<ulong> lo)
    {
        var bias = Vector256.Create(0x4330000000000000UL);
        var twoTo52 = Vector256.Create(4503599627370496.0);
        var h = (hi | bias).AsDouble() - twoTo52;
        var l = (lo | bias).AsDouble() - twoTo52;
        return h * Vector256.Create(2097152.0) + l;
    }

    /// <summary>
    /// <see cref="SinCosTurns"/> on 8 lanes: the same floating-point operations in the same order; the quarter-turn
    /// index takes AVX-512's vector conversion instead (an integer either way, so the same selections follow).
    /// </summary>
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
        // q mod 4 in double: AVX2 has no vector double-to-int64 conversion, and the runtime's fallback is scalar.
        var quadrant = q - Vector.Floor(q * new Vector<double>(0.25)) * new Vector<double>(4.0);
        var odd = Vector.Equals(quadrant, One) | Vector.Equals(quadrant, new Vector<double>(3.0));
        var negSin = Vector.GreaterThanOrEqual(quadrant, new Vector<double>(2.0));
        var negCos = Vector.Equals(quadrant, One) | Vector.Equals(quadrant, new Vector<double>(2.0));
        var s = Vector.ConditionalSelect(odd, cp, sp);
        var c = Vector.ConditionalSelect(odd, sp, cp);
        sin = Vector.ConditionalSelect(negSin, -s, s);
        cos = Vector.ConditionalSelect(negCos, -c, c);
    }

    static Vector<double> One => Vector<double>.One;
}
