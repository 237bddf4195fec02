using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using RateLab.Core.Validation;

namespace RateLab.Core.Numerics;

/// <summary>
/// The one matrix product the blocked mixture scores (<c>RateLab.Core.Targets</c>) and the batched network of
/// RateLab.Boltzmann need, C (+)= A·B with A read through strides (so Aᵀ costs nothing) and B, C row-major with a
/// column count that is a multiple of 8. Register tiles of 4 rows × 32 columns keep 16 accumulators of eight doubles
/// each; every entry of C sums its products over p in increasing order, so results never depend on how rows are split
/// between threads.
/// </summary>
/// <remarks>
/// Public, not internal with <c>InternalsVisibleTo</c>: RateLab.Boltzmann is its own assembly and package, and a
/// package that reached into another's internals would break whenever the two were not built together. Being public,
/// <see cref="Multiply"/> checks its arguments once per call (a few comparisons against a product of m·n·depth
/// multiply-adds): the tiles read and write through unchecked references, so a wrong stride or a short array must be
/// refused before them.
/// </remarks>
public static class MatrixKernels
{
    /// <summary>
    /// C[i, j] = (accumulate ? C[i, j] : 0) + Σ_{p &lt; depth} A(i, p) B[p, j] for i &lt; m, j &lt; n, with
    /// A(i, p) = a[aOff + i·ars + p·aps], B[p, j] = b[bOff + p·ldb + j], C[i, j] = c[cOff + i·ldc + j].
    /// </summary>
    /// <param name="m">Rows of A and C, ≥ 0.</param>
    /// <param name="n">Columns of B and C, a multiple of 8 (≥ 0).</param>
    /// <param name="depth">Columns of A and rows of B, ≥ 0.</param>
    /// <param name="a">A's storage.</param>
    /// <param name="aOff">Index of A(0, 0) in <paramref name="a"/>.</param>
    /// <param name="ars">Step between A's rows, ≥ 0.</param>
    /// <param name="aps">Step between A's columns, ≥ 0 (1 for row-major A, the row length for Aᵀ).</param>
    /// <param name="b">B's storage, row-major.</param>
    /// <param name="bOff">Index of B[0, 0] in <paramref name="b"/>.</param>
    /// <param name="ldb">Step between B's rows, ≥ 0.</param>
    /// <param name="c">C's storage, row-major; must not overlap the parts of A and B that are read.</param>
    /// <param name="cOff">Index of C[0, 0] in <paramref name="c"/>.</param>
    /// <param name="ldc">Step between C's rows, ≥ 0.</param>
    /// <param name="accumulate">Add to C's entries (true) or overwrite them (false).</param>
    /// <exception cref="ArgumentException">A size or step is out of range, or an array is too short for the product.</exception>
    public static void Multiply(int m, int n, int depth, double[] a, int aOff, int ars, int aps,
        double[] b, int bOff, int ldb, double[] c, int cOff, int ldc, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        Guard.AtLeast(m, 0, nameof(m));
        Guard.AtLeast(depth, 0, nameof(depth));
        if (n < 0 || n % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(n), $"n = {n} is out of range; allowed: a multiple of 8, ≥ 0.");
        Guard.AtLeast(ars, 0, nameof(ars)); Guard.AtLeast(aps, 0, nameof(aps));
        Guard.AtLeast(ldb, 0, nameof(ldb)); Guard.AtLeast(ldc, 0, nameof(ldc));
        Guard.AtLeast(aOff, 0, nameof(aOff)); Guard.AtLeast(bOff, 0, nameof(bOff)); Guard.AtLeast(cOff, 0, nameof(cOff));
        // An empty C needs no storage at all; an empty sum reads neither A nor B (C = C, or C = 0).
        if (m == 0 || n == 0) return;
        Reaches(c, cOff, cOff + (m - 1L) * ldc + n - 1, nameof(c));
        if (depth == 0)
        {
            if (!accumulate)
                for (int r = 0; r < m; r++) Array.Clear(c, cOff + r * ldc, n);
            return;
        }
        Reaches(a, aOff, aOff + (m - 1L) * ars + (depth - 1L) * aps, nameof(a));
        Reaches(b, bOff, bOff + (depth - 1L) * ldb + n - 1, nameof(b));
        ref double a0 = ref a[aOff]; ref double b0 = ref b[bOff]; ref double c0 = ref c[cOff];
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            ref double ai = ref Unsafe.Add(ref a0, (nint)i * ars);
            ref double ci = ref Unsafe.Add(ref c0, (nint)i * ldc);
            int j = 0;
            for (; j + 32 <= n; j += 32)
                Tile4x32(depth, ref ai, ars, aps, ref Unsafe.Add(ref b0, j), ldb, ref Unsafe.Add(ref ci, j), ldc,
                    accumulate);
            for (; j < n; j += 8)
                Tile4x8(depth, ref ai, ars, aps, ref Unsafe.Add(ref b0, j), ldb, ref Unsafe.Add(ref ci, j), ldc,
                    accumulate);
        }
        for (; i < m; i++)
        {
            ref double ai = ref Unsafe.Add(ref a0, (nint)i * ars);
            ref double ci = ref Unsafe.Add(ref c0, (nint)i * ldc);
            for (int j = 0; j < n; j += 8)
                Tile1x8(depth, ref ai, aps, ref Unsafe.Add(ref b0, j), ldb, ref Unsafe.Add(ref ci, j), accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile4x32(int depth, ref double a, nint ars, nint aps, ref double b, nint ldb, ref double c, nint ldc,
        bool accumulate)
    {
        Vector512<double> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<double> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<double> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<double> c30 = default, c31 = default, c32 = default, c33 = default;
        if (accumulate)
        {
            c00 = Load(ref c, 0); c01 = Load(ref c, 8); c02 = Load(ref c, 16); c03 = Load(ref c, 24);
            c10 = Load(ref c, ldc); c11 = Load(ref c, ldc + 8);
            c12 = Load(ref c, ldc + 16); c13 = Load(ref c, ldc + 24);
            c20 = Load(ref c, 2 * ldc); c21 = Load(ref c, 2 * ldc + 8);
            c22 = Load(ref c, 2 * ldc + 16); c23 = Load(ref c, 2 * ldc + 24);
            c30 = Load(ref c, 3 * ldc); c31 = Load(ref c, 3 * ldc + 8);
            c32 = Load(ref c, 3 * ldc + 16); c33 = Load(ref c, 3 * ldc + 24);
        }
        for (int p = 0; p < depth; p++)
        {
            ref double bp = ref Unsafe.Add(ref b, p * ldb);
            var b0 = Load(ref bp, 0); var b1 = Load(ref bp, 8); var b2 = Load(ref bp, 16); var b3 = Load(ref bp, 24);
            ref double ap = ref Unsafe.Add(ref a, p * aps);
            var x = Vector512.Create(ap);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
            x = Vector512.Create(Unsafe.Add(ref ap, ars));
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
            x = Vector512.Create(Unsafe.Add(ref ap, 2 * ars));
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
            x = Vector512.Create(Unsafe.Add(ref ap, 3 * ars));
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
        }
        Store(c00, ref c, 0); Store(c01, ref c, 8); Store(c02, ref c, 16); Store(c03, ref c, 24);
        Store(c10, ref c, ldc); Store(c11, ref c, ldc + 8); Store(c12, ref c, ldc + 16); Store(c13, ref c, ldc + 24);
        Store(c20, ref c, 2 * ldc); Store(c21, ref c, 2 * ldc + 8);
        Store(c22, ref c, 2 * ldc + 16); Store(c23, ref c, 2 * ldc + 24);
        Store(c30, ref c, 3 * ldc); Store(c31, ref c, 3 * ldc + 8);
        Store(c32, ref c, 3 * ldc + 16); Store(c33, ref c, 3 * ldc + 24);
    }

    static void Tile4x8(int depth, ref double a, nint ars, nint aps, ref double b, nint ldb, ref double c, nint ldc,
        bool accumulate)
    {
        Vector512<double> c0 = default, c1 = default, c2 = default, c3 = default;
        if (accumulate)
        {
            c0 = Load(ref c, 0); c1 = Load(ref c, ldc); c2 = Load(ref c, 2 * ldc); c3 = Load(ref c, 3 * ldc);
        }
        for (int p = 0; p < depth; p++)
        {
            var bp = Load(ref b, p * ldb);
            ref double ap = ref Unsafe.Add(ref a, p * aps);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(ap), bp, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref ap, ars)), bp, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref ap, 2 * ars)), bp, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref ap, 3 * ars)), bp, c3);
        }
        Store(c0, ref c, 0); Store(c1, ref c, ldc); Store(c2, ref c, 2 * ldc); Store(c3, ref c, 3 * ldc);
    }

    static void Tile1x8(int depth, ref double a, nint aps, ref double b, nint ldb, ref double c, bool accumulate)
    {
        var acc = accumulate ? Load(ref c, 0) : default;
        for (int p = 0; p < depth; p++)
            acc = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a, p * aps)), Load(ref b, p * ldb), acc);
        Store(acc, ref c, 0);
    }

    /// <summary>Requires the indices the product touches, <paramref name="first"/> to <paramref name="last"/>, inside the array.</summary>
    static void Reaches(double[] array, int first, long last, string name)
    {
        if (last >= array.Length)
            throw new ArgumentException(
                $"{name}.Length = {array.Length} is too short: the product touches indices {first} to {last}; " +
                $"allowed: a length above {last}.", name);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> Load(ref double r, nint offset) => Vector512.LoadUnsafe(ref Unsafe.Add(ref r, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector512<double> v, ref double r, nint offset) => v.StoreUnsafe(ref Unsafe.Add(ref r, offset));
}
