using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// A product Gaussian ⊗ᵢ N(meanᵢ, varianceᵢ)^{⊗wᵢ}: coordinate i stands for wᵢ identical coordinates (the multiplicity
/// left by <see cref="GaussianReduction"/>), so divergences that add over coordinates are weighted by wᵢ. A zero
/// variance is a point mass (e.g. a deterministic start before any noise); a reference law needs positive variances.
/// </summary>
public sealed class DiagonalLaw
{
    readonly double[] mean, variance, multiplicity;
    // Σᵢ wᵢ, summed on first use (NaN: not yet); one 8-byte field, so a race at worst sums twice.
    double dimension = double.NaN;

    /// <summary>The law with the given per-coordinate moments; <paramref name="multiplicity"/> null means all ones.</summary>
    public DiagonalLaw(double[] mean, double[] variance, double[]? multiplicity = null)
        : this(Validated(mean, variance, multiplicity, copy: true))
    {
    }

    DiagonalLaw((double[] Mean, double[] Variance, double[] Multiplicity) moments) =>
        (mean, variance, multiplicity) = moments;

    /// <summary>
    /// The law on arrays the caller gives up: validated like the public constructor but not copied, for the laws a
    /// d = 10⁶ analysis builds per block from arrays it has just computed.
    /// </summary>
    internal static DiagonalLaw Adopt(double[] mean, double[] variance, double[] multiplicity) =>
        new(Validated(mean, variance, multiplicity, copy: false));

    // Checks the moments and returns the arrays to keep: copies of the caller's when copy, else the arrays themselves.
    static (double[], double[], double[]) Validated(double[] mean, double[] variance, double[]? multiplicity, bool copy)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(variance);
        Guard.AtLeast(mean.Length, 1, "d");
        Guard.Length(variance.Length, mean.Length, nameof(variance));
        Guard.AllFinite(mean, nameof(mean));
        Guard.AllNonNegative(variance, nameof(variance));
        if (multiplicity is null)
        {
            multiplicity = new double[mean.Length];
            Array.Fill(multiplicity, 1.0);
        }
        else
        {
            Guard.Length(multiplicity.Length, mean.Length, nameof(multiplicity));
            Guard.AllPositive(multiplicity, nameof(multiplicity));
            if (copy) multiplicity = (double[])multiplicity.Clone();
        }
        return copy ? ((double[])mean.Clone(), (double[])variance.Clone(), multiplicity) : (mean, variance, multiplicity);
    }

    /// <summary>Number of distinct coordinates stored.</summary>
    public int Count => mean.Length;
    /// <summary>Per-coordinate means.</summary>
    public ReadOnlySpan<double> Mean => mean;
    /// <summary>Per-coordinate variances.</summary>
    public ReadOnlySpan<double> Variance => variance;
    /// <summary>Per-coordinate multiplicities wᵢ.</summary>
    public ReadOnlySpan<double> Multiplicity => multiplicity;
    /// <summary>The dimension Σᵢ wᵢ of the law represented.</summary>
    public double Dimension => double.IsNaN(dimension) ? dimension = multiplicity.Sum() : dimension;

    /// <summary>True when some coordinate is a point mass.</summary>
    public bool HasPointMass => variance.Contains(0.0);

    /// <summary>Throws unless every variance is positive (required of a reference law).</summary>
    public void CheckNondegenerate(string name)
    {
        for (int i = 0; i < variance.Length; i++)
            if (!(variance[i] > 0))
                throw new ArgumentOutOfRangeException(name, $"{name}.Variance[{i}] = {variance[i]} is out of range; allowed: (0, ∞) for a reference law.");
    }

    /// <summary>Throws unless <paramref name="other"/> stores the same coordinates with the same multiplicities.</summary>
    public void CheckCompatible(DiagonalLaw other, string name)
    {
        ArgumentNullException.ThrowIfNull(other);
        Guard.Length(other.Count, Count, name);
        if (!other.Multiplicity.SequenceEqual(multiplicity))
            throw new ArgumentException($"{name} has different multiplicities; both laws must come from the same reduction.", name);
    }

    /// <summary>The product of <paramref name="parts"/> over consecutive coordinate blocks, in order (a single part is
    /// returned as it is: laws are immutable).</summary>
    public static DiagonalLaw Concatenate(IReadOnlyList<DiagonalLaw> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        Guard.AtLeast(parts.Count, 1, nameof(parts));
        if (parts.Count == 1) return parts[0];
        return Adopt([.. parts.SelectMany(p => p.mean)], [.. parts.SelectMany(p => p.variance)],
            [.. parts.SelectMany(p => p.multiplicity)]);
    }

    /// <summary>
    /// The moment-matched law of the equally weighted mixture of <paramref name="laws"/>, coordinate by coordinate: the
    /// mean of the means, and the mean of the variances plus the variance of the means (two passes, so no
    /// E x² − (E x)² cancels), with the laws' common multiplicities.
    /// </summary>
    public static DiagonalLaw MomentMatched(IReadOnlyList<DiagonalLaw> laws)
    {
        ArgumentNullException.ThrowIfNull(laws);
        Guard.AtLeast(laws.Count, 1, nameof(laws));
        var first = laws[0];
        foreach (var law in laws) first.CheckCompatible(law, nameof(laws));
        int n = first.Count;
        var (mean, variance) = (new double[n], new double[n]);
        foreach (var law in laws)
            for (int i = 0; i < n; i++) mean[i] += law.mean[i] / laws.Count;
        foreach (var law in laws)
            for (int i = 0; i < n; i++)
            {
                double offset = law.mean[i] - mean[i];
                variance[i] += (law.variance[i] + offset * offset) / laws.Count;
            }
        return Adopt(mean, variance, (double[])first.multiplicity.Clone());
    }
}
