using System.Numerics.Tensors;
using RateLab.Core.Boltzmann;

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
            constant[j] = logNormaliser[j] - 0.5 * precisions[j] * TensorPrimitives.Dot(mu, mu);
        }
        return new MixtureRowScores(d, padded, byCoordinate, byComponent, precision, constant);
    }

    /// <summary>Writes the score of every row of <paramref name="rows"/> into <paramref name="scores"/>.</summary>
    public void Score(ReadOnlySpan<double> rows, Span<double> scores)
    {
        int n = rows.Length / d;
        int tileX = TileRows * d, tileG = TileRows * padded;
        if (work is not { } buffer || buffer.Length < 2 * tileX + tileG + TileRows) work = buffer = new double[2 * tileX + tileG + TileRows];
        for (int start = 0; start < n; start += TileRows)
        {
            int m = Math.Min(TileRows, n - start);
            var x = rows.Slice(start * d, m * d);
            x.CopyTo(buffer);
            MatrixKernels.Multiply(m, padded, d, buffer, 0, d, 1, meansByCoordinate, 0, padded, buffer, 2 * tileX, padded,
                accumulate: false);
            Weights(x, buffer.AsSpan(2 * tileX, m * padded), buffer.AsSpan(2 * tileX + tileG, m));
            MatrixKernels.Multiply(m, d, padded, buffer, 2 * tileX, padded, 1, meansByComponent, 0, d, buffer, tileX, d,
                accumulate: false);
            var totals = buffer.AsSpan(2 * tileX + tileG, m);
            for (int r = 0; r < m; r++)
            {
                var s = scores.Slice((start + r) * d, d);
                TensorPrimitives.MultiplyAdd(x.Slice(r * d, d), -totals[r], buffer.AsSpan(tileX + r * d, d), s);
            }
        }
    }

    // The cross terms g (m × padded) become the weights a_rj = softmax(ℓ_r)_j p_j in place; totals[r] = Σ_j a_rj.
    void Weights(ReadOnlySpan<double> x, Span<double> g, Span<double> totals)
    {
        for (int r = 0; r < totals.Length; r++)
        {
            var row = g.Slice(r * padded, padded);
            double xx = TensorPrimitives.Dot(x.Slice(r * d, d), x.Slice(r * d, d)), max = double.NegativeInfinity;
            for (int j = 0; j < padded; j++)
            {
                double l = precision[j] == 0 ? constant[j] : constant[j] - halfPrecision[j] * xx + precision[j] * row[j];
                row[j] = l;
                if (l > max) max = l;
            }
            for (int j = 0; j < padded; j++) row[j] -= max;
        }
        TensorPrimitives.Exp(g, g);
        for (int r = 0; r < totals.Length; r++)
        {
            var row = g.Slice(r * padded, padded);
            double inverse = 1 / TensorPrimitives.Sum(row), total = 0;
            for (int j = 0; j < padded; j++)
            {
                row[j] *= inverse * precision[j];
                total += row[j];
            }
            totals[r] = total;
        }
    }
}
