using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Randomness;
using RateLab.Core.Validation;

namespace RateLab.Core.Targets;

/// <summary>
/// π = Σ_j w_j N(μ_j, diag(σ_j²)) with isotropic or diagonal components (docs/algorithms.md at τ = 0):
/// log π(x) = logsumexp_j ℓ_j(x) with ℓ_j = log w_j − ½ log det Σ_j − ½ (x − μ_j)ᵀ Σ_j⁻¹ (x − μ_j) − (d/2) log 2π, and
/// ∇log π(x) = Σ_j r_j(x) g_j(x), g_j = −Σ_j⁻¹ (x − μ_j), r = softmax(ℓ). The weights are normalised, so log π is the
/// normalised log-density (log Z = 0). The ½ log det Σ_j terms are kept because they differ between components.
/// </summary>
public sealed class GaussianMixture : ITarget, ITargetConstants, IExactSampler
{
    readonly double[] weights, cumulative, logNormaliser, means, variances, precisions, sds;
    /// <summary>Mixtures up to this many components keep their logits on the stack.</summary>
    const int StackComponents = 128;
    [ThreadStatic] static double[]? logits;
    // The blocked scorer of blocks of rows (isotropic components, d a multiple of 8); null where rows go one by one.
    readonly MixtureRowScores? rowScores;

    /// <summary>Isotropic components N(μ_j, σ_j² I): <paramref name="variances"/>[j] = σ_j².</summary>
    public GaussianMixture(double[] weights, double[][] means, double[] variances, string? name = null)
        : this(weights, means, Expand(variances, means), isotropic: true, name) { }

    /// <summary>Diagonal components N(μ_j, diag(σ_j²)): <paramref name="variances"/>[j] has length d.</summary>
    public GaussianMixture(double[] weights, double[][] means, double[][] variances, string? name = null)
        : this(weights, means, variances, isotropic: false, name) { }

    GaussianMixture(double[] weights, double[][] means, double[][] variances, bool isotropic, string? name)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(variances);
        int k = Guard.AtLeast(means.Length, 1, "components");
        Guard.Length(weights.Length, k, nameof(weights));
        Guard.Length(variances.Length, k, nameof(variances));
        ArgumentNullException.ThrowIfNull(means[0], "means[0]");
        int d = Guard.AtLeast(means[0].Length, 1, "d");
        Dimension = d;
        Components = k;
        IsIsotropic = isotropic;
        this.weights = Normalised(weights);
        this.means = new double[k * d];
        this.variances = new double[k * d];
        for (int j = 0; j < k; j++)
        {
            ArgumentNullException.ThrowIfNull(means[j], $"means[{j}]");
            ArgumentNullException.ThrowIfNull(variances[j], $"variances[{j}]");
            Guard.Length(means[j].Length, d, $"means[{j}]");
            Guard.Length(variances[j].Length, d, $"variances[{j}]");
            Guard.AllFinite(means[j], $"means[{j}]");
            Guard.AllPositive(variances[j], $"variances[{j}]");
            means[j].CopyTo(this.means, j * d);
            variances[j].CopyTo(this.variances, j * d);
        }
        precisions = Array.ConvertAll(this.variances, v => 1 / v);
        sds = Array.ConvertAll(this.variances, Math.Sqrt);
        logNormaliser = new double[k];
        cumulative = new double[k];
        double halfLog2Pi = 0.5 * Math.Log(2 * Math.PI), running = 0;
        for (int j = 0; j < k; j++)
        {
            double logDet = 0;
            for (int i = 0; i < d; i++) logDet += Math.Log(this.variances[j * d + i]);
            logNormaliser[j] = Math.Log(this.weights[j]) - 0.5 * logDet - d * halfLog2Pi;
            running += this.weights[j];
            cumulative[j] = running;
        }
        Name = name ?? $"gaussian-mixture(d={d},K={k})";
        if (isotropic)
        {
            var precision = new double[k];
            for (int j = 0; j < k; j++) precision[j] = precisions[j * d];
            rowScores = MixtureRowScores.Create(d, k, this.means, precision, logNormaliser);
        }
    }

    /// <summary>
    /// The 25GMM benchmark (docs/algorithms.md): equal-weight N(μ_k, 0.3 I₂) with μ_k ∈ {−10, −5, 0, 5, 10}²;
    /// normalised, so log Z = 0.
    /// </summary>
    public static GaussianMixture TwentyFive()
    {
        double[] grid = [-10, -5, 0, 5, 10];
        var means = (from a in grid from b in grid select new[] { a, b }).ToArray();
        return new GaussianMixture(Enumerable.Repeat(1.0, 25).ToArray(), means, Enumerable.Repeat(0.3, 25).ToArray(), "25gmm");
    }

    /// <summary>
    /// Equal-weight isotropic N(μ_j, σ² I_d), j &lt; <paramref name="components"/>, with μ_j i.i.d.
    /// N(0, separation²/(2d) I_d) so that E‖μ_j − μ_k‖² = separation²: the ratio separation²/σ⁴ sets the uniform L of
    /// the noised scores (docs/algorithms.md). μ_j uses the normals keyed by (<paramref name="seed"/>, chain j, step 0,
    /// role 0).
    /// </summary>
    public static GaussianMixture Random(int d, int components, double separation, double sigma, ulong seed = 0)
    {
        Guard.AtLeast(d, 1, nameof(d));
        Guard.AtLeast(components, 1, nameof(components));
        Guard.NonNegative(separation, nameof(separation));
        Guard.Positive(sigma, nameof(sigma));
        double scale = separation / Math.Sqrt(2.0 * d);
        var means = new double[components][];
        for (int j = 0; j < components; j++)
        {
            means[j] = new double[d];
            CounterRng.Normals(seed, j, 0, 0, means[j]);
            for (int i = 0; i < d; i++) means[j][i] *= scale;
        }
        return new GaussianMixture(Enumerable.Repeat(1.0, components).ToArray(), means,
            Enumerable.Repeat(sigma * sigma, components).ToArray(),
            string.Create(CultureInfo.InvariantCulture, $"random-gmm(d={d},K={components},sep={separation},sigma={sigma},seed={seed})"));
    }

    static double[][] Expand(double[] variances, double[][] means)
    {
        ArgumentNullException.ThrowIfNull(variances);
        ArgumentNullException.ThrowIfNull(means);
        Guard.AllPositive(variances, nameof(variances));
        int d = means.Length > 0 && means[0] is { } first ? first.Length : 0;
        return Array.ConvertAll(variances, v => Enumerable.Repeat(v, d).ToArray());
    }

    static double[] Normalised(double[] weights)
    {
        double total = 0;
        for (int j = 0; j < weights.Length; j++) total += Guard.NonNegative(weights[j], $"weights[{j}]");
        if (!(total > 0) || !double.IsFinite(total))
            throw new ArgumentOutOfRangeException(nameof(weights),
                $"sum(weights) = {total.ToString("R", CultureInfo.InvariantCulture)} is out of range; allowed: (0, ∞).");
        return Array.ConvertAll(weights, w => w / total);
    }

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <summary>Number of components K.</summary>
    public int Components { get; }
    /// <summary>True when every component is σ_j² I (the score then needs one scalar precision per component).</summary>
    public bool IsIsotropic { get; }
    /// <summary>Normalised weights w_j.</summary>
    public ReadOnlySpan<double> Weights => weights;
    /// <summary>Mean μ_j of component <paramref name="j"/>.</summary>
    public ReadOnlySpan<double> ComponentMean(int j) => means.AsSpan(CheckComponent(j) * Dimension, Dimension);
    /// <summary>Diagonal σ_j² of component <paramref name="j"/>.</summary>
    public ReadOnlySpan<double> ComponentVariances(int j) => variances.AsSpan(CheckComponent(j) * Dimension, Dimension);

    int CheckComponent(int j) => (int)Guard.InClosed(j, 0, Components - 1, nameof(j));

    /// <summary>Not strongly log-concave in general; for K = 1 it is the Gaussian's 1/max σ².</summary>
    public double? StrongConvexity => Components == 1 ? 1 / variances.Max() : null;
    /// <summary>For K = 1 the Gaussian's 1/min σ²; for K &gt; 1 the uniform bound depends on the geometry and is left unknown.</summary>
    public double? Smoothness => Components == 1 ? 1 / variances.Min() : null;
    /// <summary>Σ_j w_j μ_j.</summary>
    public double[]? Mean
    {
        get
        {
            var m = new double[Dimension];
            for (int j = 0; j < Components; j++) TensorPrimitives.MultiplyAdd(ComponentMean(j), weights[j], m, m);
            return m;
        }
    }

    /// <inheritdoc/>
    public double LogDensity(ReadOnlySpan<double> x)
    {
        Guard.Length(x.Length, Dimension, nameof(x));
        Span<double> l = Components <= StackComponents ? stackalloc double[StackComponents] : HeapLogits(Components);
        l = l[..Components];
        Logits(x, l);
        return LogSumExp(l);
    }

    /// <summary>
    /// Σ_j r_j g_j computed as (Σ_j e_j g_j) / Σ_j e_j with e_j = exp(ℓ_j − max ℓ): one vectorised exponential, then
    /// one vectorised pass over the coordinates whose inner loop runs over the components, so each output vector is
    /// written once. Isotropic: Σ_j e_j (μ_j − x)/σ_j² = Σ_j c_j μ_j − (Σ_j c_j) x with c_j = e_j/σ_j².
    /// </summary>
    public void Score(ReadOnlySpan<double> x, Span<double> score)
    {
        int d = Dimension, k = Components;
        Guard.Length(x.Length, d, nameof(x));
        Guard.Length(score.Length, d, nameof(score));
        Span<double> l = k <= StackComponents ? stackalloc double[StackComponents] : HeapLogits(Components);
        l = l[..k];
        Logits(x, l);
        // All K exponentials in one vectorised call (per-component Math.Exp costs more than the rest of the score at K = 16).
        TensorPrimitives.Subtract(l, TensorPrimitives.Max(l), l);
        TensorPrimitives.Exp(l, l);
        double sum = TensorPrimitives.Sum(l);
        if (IsIsotropic) IsotropicScore(x, l, 1 / sum, score);
        else DiagonalScore(x, l, 1 / sum, score);
    }

    /// <summary>
    /// The scores of a block of rows: by two matrix products over the whole block when the components are isotropic
    /// and d is a multiple of 8 (see <see cref="MixtureRowScores"/>; equal to <see cref="Score(ReadOnlySpan{double},
    /// Span{double})"/> to rounding), otherwise row by row.
    /// </summary>
    public void ScoreRows(ReadOnlySpan<double> rows, Span<double> scores)
    {
        int d = Dimension;
        if (rows.Length % d != 0)
            throw new ArgumentException($"rows.Length = {rows.Length} is not a multiple of d = {d}.", nameof(rows));
        Guard.Length(scores.Length, rows.Length, nameof(scores));
        if (rowScores is null)
            for (int r = 0; r < rows.Length / d; r++) Score(rows.Slice(r * d, d), scores.Slice(r * d, d));
        else rowScores.Score(rows, scores);
    }

    void IScoreField.ScoreRows(ReadOnlySpan<double> rows, double tau, Span<double> scores) => ScoreRows(rows, scores);

    // score = (Σ_j c_j μ_j − (Σ_j c_j) x)/Σ e, c_j = e_j/σ_j²; components whose e_j underflowed to 0 add nothing.
    void IsotropicScore(ReadOnlySpan<double> x, Span<double> e, double inverse, Span<double> score)
    {
        int d = Dimension, k = Components, width = Vector<double>.Count, i = 0;
        double total = 0;
        for (int j = 0; j < k; j++) { e[j] *= precisions[j * d]; total += e[j]; }
        var vTotal = new Vector<double>(total);
        var vInverse = new Vector<double>(inverse);
        for (; i <= d - width; i += width)
        {
            var acc = Vector<double>.Zero;
            for (int j = 0; j < k; j++)
                if (e[j] != 0) acc += new Vector<double>(e[j]) * new Vector<double>(means.AsSpan(j * d + i, width));
            ((acc - vTotal * new Vector<double>(x.Slice(i, width))) * vInverse).CopyTo(score.Slice(i, width));
        }
        for (; i < d; i++)
        {
            double acc = 0;
            for (int j = 0; j < k; j++) acc += e[j] * means[j * d + i];
            score[i] = (acc - total * x[i]) * inverse;
        }
    }

    // score = Σ_j e_j (μ_j − x) ⊙ σ_j⁻² / Σ e.
    void DiagonalScore(ReadOnlySpan<double> x, ReadOnlySpan<double> e, double inverse, Span<double> score)
    {
        int d = Dimension, k = Components, width = Vector<double>.Count, i = 0;
        var vInverse = new Vector<double>(inverse);
        for (; i <= d - width; i += width)
        {
            var xi = new Vector<double>(x.Slice(i, width));
            var acc = Vector<double>.Zero;
            for (int j = 0; j < k; j++)
                if (e[j] != 0)
                    acc += new Vector<double>(e[j]) * (new Vector<double>(means.AsSpan(j * d + i, width)) - xi)
                           * new Vector<double>(precisions.AsSpan(j * d + i, width));
            (acc * vInverse).CopyTo(score.Slice(i, width));
        }
        for (; i < d; i++)
        {
            double acc = 0;
            for (int j = 0; j < k; j++) if (e[j] != 0) acc += e[j] * (means[j * d + i] - x[i]) * precisions[j * d + i];
            score[i] = acc * inverse;
        }
    }

    /// <summary>Component j from the uniform of index 0 (inverse CDF of w), then x = μ_j + σ_j ⊙ ξ with ξ of role 0.</summary>
    public void SampleExact(INoiseSource noise, long chain, long step, Span<double> x)
    {
        ArgumentNullException.ThrowIfNull(noise);
        int d = Dimension;
        Guard.Length(x.Length, d, nameof(x));
        int j = Component(noise.Uniform(chain, step, 0));
        noise.Normals(chain, step, 0, x);
        for (int i = 0; i < d; i++) x[i] = means[j * d + i] + sds[j * d + i] * x[i];
    }

    // The first component whose cumulative weight reaches u, skipping zero weights; rounding in the running sum can leave
    // the last cumulative weight just below 1, so the fallback is the last component with positive weight.
    int Component(double u)
    {
        int last = 0;
        for (int j = 0; j < Components; j++)
        {
            if (weights[j] == 0) continue;
            if (u <= cumulative[j]) return j;
            last = j;
        }
        return last;
    }

    // The logits' buffer beyond StackComponents components: one per thread, grown once, so scores never allocate.
    static double[] HeapLogits(int k) => logits is { Length: var n } && n >= k ? logits : logits = new double[k];

    // ℓ_j(x) into l (length K). ‖x − μ_j‖² is summed directly rather than as ‖x‖² − 2 x·μ_j + ‖μ_j‖²: the same one
    // multiply-add per coordinate, without the cancellation that costs the expanded form ~‖x‖²·ε of absolute logit error.
    void Logits(ReadOnlySpan<double> x, Span<double> l)
    {
        int d = Dimension, k = Components;
        for (int j = 0; j < k; j++)
        {
            var mu = means.AsSpan(j * d, d);
            double q = IsIsotropic ? SquaredDistance(x, mu) * precisions[j * d] : WeightedSquaredDistance(x, mu, precisions.AsSpan(j * d, d));
            l[j] = logNormaliser[j] - 0.5 * q;
        }
    }

    static double SquaredDistance(ReadOnlySpan<double> x, ReadOnlySpan<double> mu)
    {
        int width = Vector<double>.Count, i = 0;
        var acc = Vector<double>.Zero;
        for (; i <= x.Length - width; i += width)
        {
            var z = new Vector<double>(x.Slice(i, width)) - new Vector<double>(mu.Slice(i, width));
            acc += z * z;
        }
        double q = Vector.Sum(acc);
        for (; i < x.Length; i++) { double z = x[i] - mu[i]; q += z * z; }
        return q;
    }

    static double WeightedSquaredDistance(ReadOnlySpan<double> x, ReadOnlySpan<double> mu, ReadOnlySpan<double> precision)
    {
        int width = Vector<double>.Count, i = 0;
        var acc = Vector<double>.Zero;
        for (; i <= x.Length - width; i += width)
        {
            var z = new Vector<double>(x.Slice(i, width)) - new Vector<double>(mu.Slice(i, width));
            acc += z * z * new Vector<double>(precision.Slice(i, width));
        }
        double q = Vector.Sum(acc);
        for (; i < x.Length; i++) { double z = x[i] - mu[i]; q += z * z * precision[i]; }
        return q;
    }

    // log Σ_j e^{ℓ_j}, shifted by the maximum so that no term overflows and the largest one is exactly 1.
    static double LogSumExp(ReadOnlySpan<double> l)
    {
        double max = TensorPrimitives.Max(l);
        double s = 0;
        for (int j = 0; j < l.Length; j++) s += Math.Exp(l[j] - max);
        return max + Math.Log(s);
    }
}
