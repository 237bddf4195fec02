using System.Numerics.Tensors;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// The conditional (or moment-matched) Gaussian law of a kernel's state blocks, coordinate by coordinate: for each of
/// the d coordinates, a mean in ℝ^m and an m × m covariance, m = Blocks ≤ 2 (x, or (x, v)). Means are block-major
/// like a kernel state (block j of coordinate i at j·d + i); covariances are packed as the upper triangle
/// (m = 1: [Var]; m = 2: [C₀₀, C₀₁, C₁₁]), each entry a block of d values.
/// </summary>
public sealed class GaussianState
{
    /// <summary>A zero law for <paramref name="blocks"/> blocks of <paramref name="dimension"/> coordinates.</summary>
    public GaussianState(int blocks, int dimension)
    {
        Blocks = (int)Guard.InClosed(blocks, 1, 2, nameof(blocks));
        Dimension = Guard.AtLeast(dimension, 1, nameof(dimension));
        Mean = new double[blocks * dimension];
        Covariance = new double[PackedEntries(blocks) * dimension];
    }

    /// <summary>Entries of the packed upper triangle: m(m+1)/2.</summary>
    public static int PackedEntries(int blocks) => blocks * (blocks + 1) / 2;

    /// <summary>Blocks m.</summary>
    public int Blocks { get; }
    /// <summary>Coordinates d.</summary>
    public int Dimension { get; }
    /// <summary>Block-major means (m·d).</summary>
    public double[] Mean { get; }
    /// <summary>Packed covariances (m(m+1)/2 · d).</summary>
    public double[] Covariance { get; }

    // The law keeps the copies made here (the public constructor would copy them again, for every draw of every block).
    /// <summary>The marginal of block 0 (the position) as a product law with the given multiplicities.</summary>
    public DiagonalLaw Position(ReadOnlySpan<double> multiplicity) =>
        DiagonalLaw.Adopt(Mean.AsSpan(0, Dimension).ToArray(), Covariance.AsSpan(0, Dimension).ToArray(), multiplicity.ToArray());

    /// <summary>True when every mean and covariance entry is finite (a sum is finite only then, or on overflow of
    /// entries near the largest double, which a diverging law reaches too).</summary>
    public bool IsFinite => double.IsFinite(TensorPrimitives.Sum(Mean)) && double.IsFinite(TensorPrimitives.Sum(Covariance));

    /// <summary>Writes this law into coordinates <paramref name="start"/> … of the larger law <paramref name="whole"/>
    /// with the same blocks.</summary>
    public void CopyTo(GaussianState whole, int start)
    {
        ArgumentNullException.ThrowIfNull(whole);
        Guard.Length(whole.Blocks, Blocks, "whole law blocks");
        Guard.InClosed(start, 0, whole.Dimension - Dimension, nameof(start));
        for (int j = 0; j < Blocks; j++)
            Mean.AsSpan(j * Dimension, Dimension).CopyTo(whole.Mean.AsSpan(j * whole.Dimension + start));
        for (int e = 0; e < PackedEntries(Blocks); e++)
            Covariance.AsSpan(e * Dimension, Dimension).CopyTo(whole.Covariance.AsSpan(e * whole.Dimension + start));
    }

    /// <summary>A deep copy.</summary>
    public GaussianState Clone()
    {
        var c = new GaussianState(Blocks, Dimension);
        Mean.CopyTo(c.Mean, 0);
        Covariance.CopyTo(c.Covariance, 0);
        return c;
    }
}
