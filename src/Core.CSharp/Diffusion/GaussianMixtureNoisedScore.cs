using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// Exact noised score of a mixture p₀ = Σ_j w_j N(μ_j, diag(σ_j²)) (algorithms.md §4.2):
/// s_τ(x) = Σ_j r_j(x) g_j(x), g_j = −(x − m_j)/c_j, m_j = √(1−τ) μ_j, c_j = (1−τ) σ_j² + τ, with responsibilities
/// r = softmax_j(log w_j − ½ Σ log(2π c_j) − ½ Σ (x − m_j)²/c_j) by log-sum-exp; the log-det terms are kept because the
/// c_j differ. Zero variances are atoms, so the empirical law Σ_j w_j δ_{x_j} of §4.3 is the case σ_j = 0.
/// </summary>
public sealed class GaussianMixtureNoisedScore : INoisedData
{
    readonly double[] logWeight, weight, mu, variance;
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
        for (int i = 0; i < variances.Length; i++) Guard.NonNegative(variances[i], $"variances[{i}]");
        double total = weights.Sum();
        weight = Array.ConvertAll(weights, w => w / total);
        logWeight = Array.ConvertAll(weight, Math.Log);
        mu = (double[])means.Clone();
        variance = (double[])variances.Clone();
        hasAtoms = variance.Any(v => v == 0);
        Dimension = means.Length / weights.Length;
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
    /// log p_τ(x) and, when <paramref name="score"/> is non-empty, s_τ(x). Two passes over the components (maximum
    /// logit, then weighted sums) keep it allocation-free for any K.
    /// </summary>
    internal double Evaluate(ReadOnlySpan<double> x, NoiseLevel level, Span<double> score)
    {
        int k = weight.Length;
        double max = double.NegativeInfinity;
        for (int j = 0; j < k; j++) max = Math.Max(max, Logit(j, x, level));
        double sum = 0;
        if (!score.IsEmpty) score.Clear();
        double signal = level.SignalScale;
        for (int j = 0; j < k; j++)
        {
            double r = Math.Exp(Logit(j, x, level) - max);
            sum += r;
            if (score.IsEmpty) continue;
            int o = j * Dimension;
            for (int i = 0; i < Dimension; i++)
                score[i] -= r * (x[i] - signal * mu[o + i]) / (level.AlphaBar * variance[o + i] + level.Tau);
        }
        if (!score.IsEmpty) for (int i = 0; i < Dimension; i++) score[i] /= sum;
        return max + Math.Log(sum);
    }

    double Logit(int j, ReadOnlySpan<double> x, NoiseLevel level)
    {
        int o = j * Dimension;
        double signal = level.SignalScale, s = 0;
        for (int i = 0; i < Dimension; i++)
        {
            double c = level.AlphaBar * variance[o + i] + level.Tau, z = x[i] - signal * mu[o + i];
            s += z * z / c + Math.Log(2 * Math.PI * c);
        }
        return logWeight[j] - 0.5 * s;
    }

    /// <inheritdoc/>
    public double Weight(int j) => weight[j];

    /// <inheritdoc/>
    public void ComponentMean(int j, double tau, Span<double> m)
    {
        double signal = Math.Sqrt(1 - tau);
        for (int i = 0; i < Dimension; i++) m[i] = signal * mu[j * Dimension + i];
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
