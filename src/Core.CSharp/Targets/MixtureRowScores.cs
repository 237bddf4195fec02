using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RateLab.Core.Numerics;

namespace RateLab.Core.Targets;

/// <summary>
/// Scores of an isotropic Gaussian mixture for a block of rows by two matrix products, as array libraries do: the
/// cross terms G = X Mᵀ give every logit ℓ_rj = c_j − ½p_j‖x_r‖² + p_j g_rj (p_j = σ_j⁻², c_j = log w_j − ½ log det Σ_j
/// − (d/2) log 2π − ½p_j‖μ_j‖²), a softmax per row gives the weights a_rj = r_rj p_j, and S = A M gives
/// score_r = S_r − (Σ_j a_rj) x_r. Components are padded to a multiple of 8 with weight zero (logit −∞).
/// </summary>
/// <remarks>
/// Every entry of both products sums over its depth in one fixed order (<see cref="MatrixKernels"/>) and all other
/// work is per row, so a row's score does not depend on the rows beside it. The expanded ‖x − μ‖² costs about
/// ε(‖x‖² + ‖μ‖²)p_j of absolute logit error (1e-13 at ‖x‖² = 10³), against the row-by-row form's ε‖x − μ‖²p_j; the
/// two agree to that bound (tested), not bit for bit.
/// </remarks>
sealed class MixtureRowScores
{
    /// <summary>Rows per product: 32 rows × 64 coordinates keep X, G and S of a tile within the L1/L2 caches.</summary>
    const int TileRows = 32;
    readonly int d, padded;
    readonly double[] meansByCoordinate, meansByComponent, precision, halfPrecision, constant;
    /// <summary>
    /// Shifted logits are clamped here before the vector exponential: e^−600 ≈ 3e−261 vanishes against the largest
    /// term 1 of every row sum, and inputs beyond about ±708 (padding's −∞ included) would send the whole vector to a
    /// slower path with other rounding, so a row's weights would depend on the rows sharing its vectors.
    /// </summary>
    const double ExpFloor = -600;
    [ThreadStatic] static double[]? work;

    MixtureRowScores(int d, int padded, double[] meansByCoordinate, double[] meansByComponent, double[] precision,
        double[] constant)
    {
        this.d = d; this.padded = padded;
        this.meansByCoordinate = meansByCoordinate; this.meansByComponent = meansByComponent;
        this.precision = precision; this.constant = constant;
        halfPrecision = Array.ConvertAll(precision, p => 0.5 * p);
    }

    /// <summary>The blocked scorer of K isotropic components with row-major means (K × d), per-component precisions
    /// and log-normalisers; null where the products do not apply (d not a multiple of 8).</summary>
    public static MixtureRowScores? Create(int d, int k, ReadOnlySpan<double> means, ReadOnlySpan<double> precisions,
        ReadOnlySpan<double> logNormaliser)
    {
        if (d % 8 != 0) return null;
        int padded = (k + 7) / 8 * 8;
        var byCoordinate = new double[d * padded];
        var byComponent = new double[padded * d];
        var precision = new double[padded];
        var constant = new double[padded];
        Array.Fill(constant, double.NegativeInfinity);
        for (int j = 0; j < k; j++)
        {
            var mu = means.Slice(j * d, d);
            mu.CopyTo(byComponent.AsSpan(j * d, d));
            for (int i = 0; i < d; i++) byCoordinate[i * padded + j] = mu[i];
            precision[j] = precisions[j];
            constant[j] = logNormaliser[j] - 0.5 * precisions[j] * SquaredNorm(mu);
        }
        return new MixtureRowScores(d, padded, byCoordinate, byComponent, precision, constant);
    }

    /// <summary>Writes the score of every row of <paramref name="rows"/> into <paramref name="scores"/>.</summary>
    public void Score(ReadOnlySpan<double> rows, Span<double> scores)
    {
        int n = rows.Length / d;
        int tileX = TileRows * d, tileG = TileRows * padded;
        int size = 2 * tileX + tileG + TileRows;
        if (work is not { } buffer || buffer.Length < size) work = buffer = new double[size];
        for (int start = 0; start < n; start += TileRows)
        {
            int m = Math.Min(TileRows, n - start);
            var x = rows.Slice(start * d, m * d);
            x.CopyTo(buffer);
            MatrixKernels.Multiply(m, n: padded, depth: d, a: buffer, aOff: 0, ars: d, aps: 1, b: meansByCoordinate,
                bOff: 0, ldb: padded, c: buffer, cOff: 2 * tileX, ldc: padded, accumulate: false);
            Weights(x, buffer.AsSpan(2 * tileX, m * padded), buffer.AsSpan(2 * tileX + tileG, m));
            MatrixKernels.Multiply(m, n: d, depth: padded, a: buffer, aOff: 2 * tileX, ars: padded, aps: 1,
                b: meansByComponent, bOff: 0, ldb: d, c: buffer, cOff: tileX, ldc: d, accumulate: false);
            var totals = buffer.AsSpan(2 * tileX + tileG, m);
            for (int r = 0; r < m; r++)
            {
                var s = scores.Slice((start + r) * d, d);
                TensorPrimitives.MultiplyAdd(x.Slice(r * d, d), -totals[r], buffer.AsSpan(tileX + r * d, d), s);
            }
        }
    }

    // ‖x‖² in one fixed order (8 lane sums, then the lanes in turn): the library reductions split their input by its
    // address's alignment, which the garbage collector may change between calls.
    static double SquaredNorm(ReadOnlySpan<double> x)
    {
        var acc = Vector512<double>.Zero;
        for (int i = 0; i < x.Length; i += 8)
        {
            var v = Vector512.Create(x.Slice(i, 8));
            acc = Vector512.FusedMultiplyAdd(v, v, acc);
        }
        return SumLanes(acc);
    }

    // The cross terms g (m × padded) become the weights a_rj = softmax(ℓ_r)_j p_j in place; totals[r] = Σ_j a_rj.
    // Eight components per vector; every sum runs over the vectors, then over the lanes, in one fixed order. A padded
    // component has p = 0 and c = −∞, so its logit is −∞ and its weight 0.
    void Weights(ReadOnlySpan<double> x, Span<double> g, Span<double> totals)
    {
        ref double c = ref MemoryMarshal.GetArrayDataReference(constant);
        ref double p = ref MemoryMarshal.GetArrayDataReference(precision);
        ref double half = ref MemoryMarshal.GetArrayDataReference(halfPrecision);
        var floor = Vector512.Create(ExpFloor);
        for (int r = 0; r < totals.Length; r++)
        {
            ref double row = ref g[r * padded];
            var xx = Vector512.Create(SquaredNorm(x.Slice(r * d, d)));
            var max = Vector512.Create(double.NegativeInfinity);
            for (int j = 0; j < padded; j += 8)
            {
                var shift = Load(ref c, j) - Load(ref half, j) * xx;
                var l = Vector512.FusedMultiplyAdd(Load(ref p, j), Load(ref row, j), shift);
                l.StoreUnsafe(ref row, (nuint)j);
                max = Vector512.Max(max, l);
            }
            var top = Vector512.Create(MaxLanes(max));
            for (int j = 0; j < padded; j += 8)
                Vector512.Max(Load(ref row, j) - top, floor).StoreUnsafe(ref row, (nuint)j);
        }
        TensorPrimitives.Exp(g, g);
        for (int r = 0; r < totals.Length; r++)
        {
            ref double row = ref g[r * padded];
            var sum = Vector512<double>.Zero;
            for (int j = 0; j < padded; j += 8) sum += Load(ref row, j);
            var inverse = Vector512.Create(1 / SumLanes(sum));
            var total = Vector512<double>.Zero;
            for (int j = 0; j < padded; j += 8)
            {
                var a = Load(ref row, j) * inverse * Load(ref p, j);
                a.StoreUnsafe(ref row, (nuint)j);
                total += a;
            }
            totals[r] = SumLanes(total);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> Load(ref double source, int offset) =>
        Vector512.LoadUnsafe(ref source, (nuint)offset);

    // The lanes added left to right.
    static double SumLanes(Vector512<double> v)
    {
        double sum = v[0];
        for (int lane = 1; lane < 8; lane++) sum += v[lane];
        return sum;
    }

    static double MaxLanes(Vector512<double> v)
    {
        double max = v[0];
        for (int lane = 1; lane < 8; lane++) max = Math.Max(max, v[lane]);
        return max;
    }
}
