using System.Numerics.Tensors;

namespace RateLab.Core.Exact;

/// <summary>
/// Weighted total moments of a mixture of per-coordinate Gaussians N(μ_ω, S_ω) with weights w_ω: mean E μ and
/// covariance E S + Var μ (law of total covariance), the spread of the means accumulated by West's weighted update
/// (δ = μ − mean, mean += (w/W) δ, C += w(1 − w/W) δδᵀ) so the central moment is formed without cancellation.
/// </summary>
public sealed class MomentAccumulator
{
    readonly int m, d;
    readonly double[] mean, spread, within, delta, product;
    double total;

    /// <summary>An empty accumulator for laws of <paramref name="blocks"/> × <paramref name="dimension"/>.</summary>
    public MomentAccumulator(int blocks, int dimension)
    {
        var shape = new GaussianState(blocks, dimension);
        (m, d) = (shape.Blocks, shape.Dimension);
        mean = new double[m * d];
        spread = new double[GaussianState.PackedEntries(m) * d];
        within = new double[spread.Length];
        delta = new double[m * d];
        product = new double[d];
    }

    /// <summary>Forgets everything added.</summary>
    public void Clear()
    {
        total = 0;
        Array.Clear(mean); Array.Clear(spread); Array.Clear(within);
    }

    /// <summary>Adds the component N(<paramref name="componentMean"/>, <paramref name="covariance"/>) with weight
    /// <paramref name="weight"/> &gt; 0.</summary>
    public void Add(double weight, ReadOnlySpan<double> componentMean, ReadOnlySpan<double> covariance)
    {
        Validation.Guard.Positive(weight, nameof(weight));
        Validation.Guard.Length(componentMean.Length, mean.Length, nameof(componentMean));
        Validation.Guard.Length(covariance.Length, within.Length, nameof(covariance));
        total += weight;
        TensorPrimitives.MultiplyAdd(covariance, weight, within, within);
        TensorPrimitives.Subtract(componentMean, mean, delta);
        TensorPrimitives.MultiplyAdd(delta, weight / total, mean, mean);
        double f = weight * (1 - weight / total);
        int entry = 0;
        for (int p = 0; p < m; p++)
            for (int q = p; q < m; q++, entry++)
            {
                TensorPrimitives.Multiply(delta.AsSpan(p * d, d), delta.AsSpan(q * d, d), product);
                TensorPrimitives.MultiplyAdd(product, f, spread.AsSpan(entry * d, d), spread.AsSpan(entry * d, d));
            }
    }

    /// <summary>Writes the moment-matched law N(E μ, (E S + Var μ)) into <paramref name="law"/>.</summary>
    public void WriteTo(GaussianState law)
    {
        ArgumentNullException.ThrowIfNull(law);
        if (!(total > 0)) throw new InvalidOperationException("no component was added.");
        Validation.Guard.Length(law.Mean.Length, mean.Length, "law mean");
        mean.CopyTo(law.Mean, 0);
        TensorPrimitives.Add(within, spread, law.Covariance);
        TensorPrimitives.Divide(law.Covariance, total, law.Covariance);
    }
}
