using System.Buffers;
using System.Numerics.Tensors;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// Exact noised score of a mixture p₀ = Σ_j w_j N(μ_j, diag(σ_j²)) (docs/algorithms.md):
/// s_τ(x) = Σ_j r_j(x) g_j(x), g_j = −(x − m_j)/c_j, m_j = √(1−τ) μ_j, c_j = (1−τ) σ_j² + τ, with responsibilities
/// r = softmax_j(log w_j − ½ Σ log(2π c_j) − ½ Σ (x − m_j)²/c_j) by log-sum-exp; the log-det terms are kept because the
/// c_j differ. Zero variances are atoms, so the empirical law Σ_j w_j δ_{x_j} of §4.3 is the case σ_j = 0.
/// </summary>
public sealed class GaussianMixtureNoisedScore : INoisedData
{
    readonly double[] logWeight, weight, mu, variance;
    // σ_j² when component j is isotropic (one variance for every coordinate), NaN otherwise: then c_j is a scalar and
    // the logit needs one log instead of d.
    readonly double[] isotropicVariance;
    readonly bool hasAtoms;

    /// <summary>
    /// Mixture with weights w (positive; normalised here), means μ (K×d row-major) and per-coordinate variances
    /// σ² ≥ 0 (K×d row-major; 0 = atom along that coordinate).
    /// </summary>
    public GaussianMixtureNoisedScore(double[] weights, double[] means, double[] variances, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(variances);
        Guard.AtLeast(weights.Length, 1, "K");
        Guard.AllPositive(weights, nameof(weights));
        if (means.Length == 0 || means.Length % weights.Length != 0)
            throw new ArgumentException($"means has length {means.Length}; allowed: K·d with K = {weights.Length} and d ≥ 1.", nameof(means));
        Guard.Length(variances.Length, means.Length, nameof(variances));
        Guard.AllFinite(means, nameof(means));
        Guard.AllNonNegative(variances, nameof(variances));
        double total = weights.Sum();
        weight = Array.ConvertAll(weights, w => w / total);
        logWeight = Array.ConvertAll(weight, Math.Log);
        mu = (double[])means.Clone();
        variance = (double[])variances.Clone();
        hasAtoms = variance.Any(v => v == 0);
        Dimension = means.Length / weights.Length;
        int dim = Dimension;
        isotropicVariance = Enumerable.Range(0, weights.Length).Select(j =>
        {
            var v = variance.AsSpan(j * dim, dim);
            return v.IndexOfAnyExcept(v[0]) < 0 ? v[0] : double.NaN;
        }).ToArray();
        Name = name ?? $"gaussian-mixture(K={weights.Length},d={Dimension})";
    }

    /// <summary>Isotropic components N(μ_j, s_j² I).</summary>
    public static GaussianMixtureNoisedScore Isotropic(double[] weights, double[] means, double[] sds)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(sds);
        Guard.Length(sds.Length, weights.Length, nameof(sds));
        for (int j = 0; j < sds.Length; j++) Guard.NonNegative(sds[j], $"sds[{j}]");
        int d = weights.Length == 0 ? 0 : means.Length / weights.Length;
        var v = new double[means.Length];
        for (int j = 0; j < sds.Length; j++) v.AsSpan(j * d, d).Fill(sds[j] * sds[j]);
        return new(weights, means, v, $"isotropic-gaussian-mixture(K={weights.Length},d={d})");
    }

    /// <summary>The empirical (atomic) law Σ_j w_j δ_{x_j} of §4.3 (points K×d row-major; weights null = uniform).</summary>
    public static GaussianMixtureNoisedScore Atomic(double[] points, double[]? weights = null, int dimension = 1)
    {
        ArgumentNullException.ThrowIfNull(points);
        Guard.AtLeast(dimension, 1, nameof(dimension));
        if (points.Length == 0 || points.Length % dimension != 0)
            throw new ArgumentException($"points has length {points.Length}; allowed: a positive multiple of d = {dimension}.", nameof(points));
        int k = points.Length / dimension;
        weights ??= Enumerable.Repeat(1.0, k).ToArray();
        return new(weights, points, new double[points.Length], $"atomic(K={k},d={dimension})");
    }

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <inheritdoc/>
    public int Components => weight.Length;

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<double> x, double tau, Span<double> score) =>
        Evaluate(x, NoiseLevel.FromTau(Guard.InOpen(tau, 0, 1, nameof(tau))), score);

    /// <inheritdoc/>
    public double LogDensity(ReadOnlySpan<double> x, double tau) =>
        Evaluate(x, NoiseLevel.FromTau(Guard.InOpen(tau, 0, 1, nameof(tau))), default);

    /// <summary>
    /// log p_τ(x) and, when <paramref name="score"/> is non-empty, s_τ(x). One vectorised pass per component keeps
    /// g_j·(−1) = (x − m_j)/c_j for the score and forms the logit from it (log(2π c) summed as d·log 2π + Σ log c, one
    /// log for an isotropic component); scratch lives on the stack (pooled for large K·d), so no call allocates.
    /// </summary>
    internal double Evaluate(ReadOnlySpan<double> x, NoiseLevel level, Span<double> score)
    {
        int k = weight.Length, d = Dimension, need = k + (k + 2) * d;
        double[]? rented = null;
        Span<double> buffer = need <= 4096 ? stackalloc double[need] : (rented = ArrayPool<double>.Shared.Rent(need));
        Span<double> logits = buffer[..k], w = buffer.Slice(k, k * d), z = buffer.Slice(k + k * d, d), c = buffer.Slice(k + (k + 1) * d, d);
        double max = double.NegativeInfinity;
        for (int j = 0; j < k; j++)
        {
            var wj = w.Slice(j * d, d);
            TensorPrimitives.MultiplyAdd(mu.AsSpan(j * d, d), -level.SignalScale, x, z);
            double logDet;
            if (!double.IsNaN(isotropicVariance[j]))
            {
                double cj = level.AlphaBar * isotropicVariance[j] + level.Tau;
                TensorPrimitives.Divide(z, cj, wj);
                logDet = d * Math.Log(cj);
            }
            else
            {
                TensorPrimitives.Multiply(variance.AsSpan(j * d, d), level.AlphaBar, c);
                TensorPrimitives.Add(c, level.Tau, c);
                TensorPrimitives.Divide(z, c, wj);
                TensorPrimitives.Log(c, c);
                logDet = TensorPrimitives.Sum(c);
            }
            logits[j] = logWeight[j] - 0.5 * (TensorPrimitives.Dot(wj, z) + logDet + d * Log2Pi);
            max = Math.Max(max, logits[j]);
        }
        double sum = 0;
        if (!score.IsEmpty) score.Clear();
        for (int j = 0; j < k; j++)
        {
            double r = Math.Exp(logits[j] - max);
            sum += r;
            if (!score.IsEmpty) TensorPrimitives.MultiplyAdd(w.Slice(j * d, d), -r, score, score);
        }
        if (!score.IsEmpty) TensorPrimitives.Divide(score, sum, score);
        if (rented is not null) ArrayPool<double>.Shared.Return(rented);
        return max + Math.Log(sum);
    }

    static readonly double Log2Pi = Math.Log(2 * Math.PI);

    /// <inheritdoc/>
    public double Weight(int j) => weight[j];

    /// <inheritdoc/>
    public void ComponentMean(int j, double tau, Span<double> mean)
    {
        double signal = Math.Sqrt(1 - tau);
        for (int i = 0; i < Dimension; i++) mean[i] = signal * mu[j * Dimension + i];
    }

    /// <inheritdoc/>
    public double QuadraticForm(int j, double tau, ReadOnlySpan<double> v)
    {
        var level = NoiseLevel.FromTau(tau);
        double s = 0;
        for (int i = 0; i < Dimension; i++) s += v[i] * v[i] * (level.AlphaBar * variance[j * Dimension + i] + level.Tau);
        return s;
    }

    /// <summary>q_δ = the noised mixture at δ as a target; δ = 0 is allowed only when no component is an atom.</summary>
    public ITarget EarlyStopped(double delta)
    {
        if (hasAtoms) Guard.InOpen(delta, 0, 1, nameof(delta));
        else HalfOpen.ClosedOpen(delta, 0, 1, nameof(delta));
        return new NoisedLaw(this, NoiseLevel.FromTau(delta));
    }

    /// <summary>p_δ of a mixture as a fixed target (log-density normalised).</summary>
    sealed class NoisedLaw(GaussianMixtureNoisedScore data, NoiseLevel level) : ITarget
    {
        public string Name => $"q_delta({data.Name},delta={level.Tau:R})";
        public int Dimension => data.Dimension;
        public double LogDensity(ReadOnlySpan<double> x) => data.Evaluate(x, level, default);
        public void Score(ReadOnlySpan<double> x, Span<double> score) => data.Evaluate(x, level, score);
    }
}
