using System.Runtime.InteropServices;
using RateLab.Core.Diffusion;
using RateLab.Core.Samplers;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// A Gaussian problem reduced to its distinct coordinates. Every sampler here is rotation-equivariant and acts
/// coordinate-wise on a diagonal Gaussian, so (i) a full covariance Σ = Q diag(λ) Qᵀ is analysed in its eigenbasis
/// (μ' = Qᵀμ, start mean m' = Qᵀm; this needs an isotropic start covariance s²I, which Qᵀ leaves unchanged), and
/// (ii) coordinates with identical (μᵢ, λᵢ, mᵢ, sᵢ) evolve identically and are stored once with a multiplicity, so an
/// isotropic target costs O(1) in d.
/// </summary>
public sealed class GaussianReduction
{
    readonly Lazy<int[]> map;
    readonly StartLaw start;
    // Arrays only the public properties below need, made on first use: at d = 10⁶ each is 8 MB of fresh memory, whose
    // first touch costs more than the rest of a one-step analysis. A null multiplicity means every wᵢ = 1.
    double[]? startMean, startSd, multiplicity;
    DiagonalGaussian? targetScore;

    GaussianReduction(double[] mean, double[] variance, StartLaw start, double[]? multiplicity, Lazy<int[]> map)
    {
        Mean = mean; Variance = variance;
        this.start = start; this.multiplicity = multiplicity; this.map = map;
    }

    /// <summary>Distinct coordinates.</summary>
    public int Dimension => Mean.Length;
    /// <summary>Dimension of the original problem.</summary>
    public int OriginalDimension => CoordinateMap.Length;
    /// <summary>Target means μ of the distinct coordinates (eigenbasis).</summary>
    public double[] Mean { get; }
    /// <summary>Target variances λ of the distinct coordinates.</summary>
    public double[] Variance { get; }
    /// <summary>Start means of the distinct coordinates (a copy of <see cref="Start"/>'s).</summary>
    public double[] StartMean => LazyInitializer.EnsureInitialized(ref startMean, () => start.Mean.ToArray());
    /// <summary>Start standard deviations of the distinct coordinates (a copy of <see cref="Start"/>'s).</summary>
    public double[] StartSd => LazyInitializer.EnsureInitialized(ref startSd, () => start.Sd.ToArray());
    /// <summary>How many original coordinates each distinct one stands for.</summary>
    public double[] Multiplicity => LazyInitializer.EnsureInitialized(ref multiplicity, () => Ones(Dimension));
    /// <summary>For each original (eigenbasis) coordinate, its distinct coordinate; for a <see cref="Slice"/>, each
    /// original coordinate the slice stands for, in order, with its distinct coordinate within the slice.</summary>
    public int[] CoordinateMap => map.Value;

    /// <summary>The start law on the distinct coordinates (build the kernel with it).</summary>
    public StartLaw Start => start;
    /// <summary>The target N(μ, diag λ) as a weighted product law (the Langevin reference).</summary>
    public DiagonalLaw Target
    {
        get
        {
            var (mean, variance) = SharedTargetScore.SharedMoments;
            return DiagonalLaw.Adopt(mean, variance, MultiplicityCopy());
        }
    }
    /// <summary>Score of the reduced Langevin target (the same immutable instance on every call).</summary>
    public DiagonalGaussian TargetScore() => SharedTargetScore;
    /// <summary>The same score with μ = 0 (its linear part, for probing).</summary>
    public DiagonalGaussian CentredTargetScore() => SharedTargetScore.Centred();

    // The target on copies of Mean and Variance made on first use, whose arrays (never written) the three members above
    // share: ExactAnalysis asks every block for all three, which then cost one copy and one inversion instead of three.
    DiagonalGaussian SharedTargetScore =>
        LazyInitializer.EnsureInitialized(ref targetScore, () => DiagonalGaussian.Adopt(Copy(Mean), Copy(Variance)));
    /// <summary>Exact noised score of the reduced Gaussian data (diffusion samplers).</summary>
    public GaussianNoisedScore NoisedScore() => new(Mean, Variance);
    /// <summary>The noised score with μ = 0 (its linear part).</summary>
    public GaussianNoisedScore CentredNoisedScore() => new(new double[Dimension], Variance);

    /// <summary>q_δ = N(√(1−δ) μ, (1−δ) λ + δ), the early-stopped diffusion reference (docs/algorithms.md).</summary>
    public DiagonalLaw NoisedData(double delta)
    {
        Guard.InOpen(delta, 0, 1, nameof(delta));
        double signal = Math.Sqrt(1 - delta);
        return DiagonalLaw.Adopt(Array.ConvertAll(Mean, m => signal * m),
            Array.ConvertAll(Variance, v => (1 - delta) * v + delta), MultiplicityCopy());
    }

    static double[] Copy(double[] values) => (double[])values.Clone();

    double[] MultiplicityCopy() => multiplicity is { } w ? Copy(w) : Ones(Dimension);

    static double[] Ones(int d)
    {
        var ones = new double[d];
        Array.Fill(ones, 1.0);
        return ones;
    }

    /// <summary>
    /// The distinct coordinates <paramref name="start"/> … <paramref name="start"/> + <paramref name="count"/> − 1 as a
    /// reduction of their own (a block of <see cref="ExactAnalysis"/>). Its <see cref="CoordinateMap"/> is formed only
    /// when asked for, as it costs a pass over the whole original dimension.
    /// </summary>
    public GaussianReduction Slice(int start, int count)
    {
        Guard.InClosed(count, 1, Dimension, nameof(count));
        Guard.InClosed(start, 0, Dimension - count, nameof(start));
        if (count == Dimension) return this;
        var range = new Range(start, start + count);
        return new GaussianReduction(Mean[range], Variance[range], this.start.Slice(range), multiplicity?[range],
            new Lazy<int[]>(() => CoordinateMap.Where(k => k >= start && k < start + count).Select(k => k - start).ToArray()));
    }

    /// <summary>
    /// <paramref name="copies"/> side-by-side copies of every coordinate, copy c at [c·d, (c + 1)·d): the dimension a
    /// kernel needs to run several probes of one step at once (see <see cref="AffinePropagator"/>). Its coordinate map
    /// is the identity; only kernels are built on it.
    /// </summary>
    internal GaussianReduction Repeat(int copies)
    {
        Guard.AtLeast(copies, 1, nameof(copies));
        return new GaussianReduction(Tile(Mean, copies), Tile(Variance, copies),
            StartLaw.Adopt(Tile(start.Mean, copies), Tile(start.Sd, copies)),
            multiplicity is { } w ? Tile(w, copies) : null,
            new Lazy<int[]>(() => Enumerable.Range(0, copies * Dimension).ToArray()));
    }

    static double[] Tile(ReadOnlySpan<double> values, int copies)
    {
        var tiled = new double[copies * values.Length];
        for (int c = 0; c < copies; c++) values.CopyTo(tiled.AsSpan(c * values.Length));
        return tiled;
    }

    /// <summary>Reduces the diagonal problem N(<paramref name="mean"/>, diag <paramref name="variances"/>) started
    /// from <paramref name="start"/>.</summary>
    public static GaussianReduction Diagonal(ReadOnlySpan<double> mean, ReadOnlySpan<double> variances, StartLaw start)
    {
        ArgumentNullException.ThrowIfNull(start);
        Guard.AtLeast(variances.Length, 1, "d");
        Guard.Length(mean.Length, variances.Length, nameof(mean));
        Guard.Length(start.Mean.Length, variances.Length, "start law dimension");
        Guard.AllFinite(mean, nameof(mean));
        Guard.AllPositive(variances, nameof(variances));
        return Dedupe(mean, variances, start);
    }

    /// <summary>
    /// Reduces <paramref name="target"/> (rotated into its eigenbasis when it has eigenvectors). A non-diagonal target
    /// needs a start law with equal standard deviations in every coordinate (a point mass included).
    /// </summary>
    public static GaussianReduction FromTarget(IGaussianTarget target, StartLaw start)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(start);
        var q = target.Eigenvectors;
        if (q is null) return Diagonal(target.MeanVector, target.Eigenvalues, start);
        int d = target.Dimension;
        Guard.Length(q.Length, d * d, "Eigenvectors");
        Guard.Length(start.Mean.Length, d, "start law dimension");
        var sd = start.Sd;
        for (int i = 1; i < d; i++)
            if (sd[i] != sd[0])
                throw new ArgumentException(
                    $"start law sd[0] = {sd[0]} but sd[{i}] = {sd[i]}: a full-covariance target is analysed in its eigenbasis, " +
                    "which needs an isotropic start covariance (equal sd in every coordinate, or a point mass).", nameof(start));
        return Dedupe(RotateTransposed(q, target.MeanVector), target.Eigenvalues,
            StartLaw.Adopt(RotateTransposed(q, start.Mean), sd.ToArray()));
    }

    // y = Qᵀx for Q row-major with eigenvectors as columns.
    static double[] RotateTransposed(double[] q, ReadOnlySpan<double> x)
    {
        int d = x.Length;
        var y = new double[d];
        for (int i = 0; i < d; i++)
        {
            double xi = x[i];
            var row = q.AsSpan(i * d, d);
            for (int j = 0; j < d; j++) y[j] += row[j] * xi;
        }
        return y;
    }

    static GaussianReduction Dedupe(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, StartLaw start)
    {
        int d = mean.Length, count = 0;
        if (StrictlyMonotone(variance))
        {
            // Distinct λ's make every coordinate distinct: skip the hashing, which dominates at d = 10⁶. The start law
            // is immutable, so the reduction keeps it rather than a copy.
            return new GaussianReduction(mean.ToArray(), variance.ToArray(), start, null,
                new Lazy<int[]>(() => Enumerable.Range(0, d).ToArray()));
        }
        ReadOnlySpan<double> m0 = start.Mean, s0 = start.Sd;
        // Sized up front: at d = 10⁶ distinct coordinates rehashing while growing costs more than the lookups.
        var index = new Dictionary<Coordinate, int>(d);
        var map = new int[d];
        var (mu, lambda, sm, ss, w) = (new double[d], new double[d], new double[d], new double[d], new double[d]);
        for (int i = 0; i < d; i++)
        {
            var key = new Coordinate(mean[i], variance[i], m0[i], s0[i]);
            ref int k = ref CollectionsMarshal.GetValueRefOrAddDefault(index, key, out bool seen);
            if (!seen)
            {
                k = count++;
                (mu[k], lambda[k], sm[k], ss[k]) = (key.Mu, key.Lambda, key.M0, key.S0);
            }
            w[k]++;
            map[i] = k;
        }
        return new GaussianReduction(mu[..count], lambda[..count], StartLaw.Adopt(sm[..count], ss[..count]), w[..count],
            new Lazy<int[]>(map));
    }

    static bool StrictlyMonotone(ReadOnlySpan<double> x)
    {
        bool up = true, down = true;
        for (int i = 1; i < x.Length && (up || down); i++)
        {
            up &= x[i] > x[i - 1];
            down &= x[i] < x[i - 1];
        }
        return x.Length > 1 && (up || down);
    }

    // Bitwise identity of (μ, λ, m₀, s₀): two coordinates merge only when every parameter is the same double.
    readonly record struct Coordinate(double Mu, double Lambda, double M0, double S0)
    {
        public bool Equals(Coordinate o) =>
            BitConverter.DoubleToInt64Bits(Mu) == BitConverter.DoubleToInt64Bits(o.Mu)
            && BitConverter.DoubleToInt64Bits(Lambda) == BitConverter.DoubleToInt64Bits(o.Lambda)
            && BitConverter.DoubleToInt64Bits(M0) == BitConverter.DoubleToInt64Bits(o.M0)
            && BitConverter.DoubleToInt64Bits(S0) == BitConverter.DoubleToInt64Bits(o.S0);

        public override int GetHashCode() =>
            HashCode.Combine(BitConverter.DoubleToInt64Bits(Mu), BitConverter.DoubleToInt64Bits(Lambda),
                BitConverter.DoubleToInt64Bits(M0), BitConverter.DoubleToInt64Bits(S0));
    }
}
