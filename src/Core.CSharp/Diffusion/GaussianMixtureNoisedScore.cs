using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// Exact noised score of a mixture p₀ = Σ_j w_j N(μ_j, diag(σ_j²)) (docs/algorithms.md):
/// s_τ(x) = Σ_j r_j(x) g_j(x), g_j = −(x − m_j)/c_j, m_j = √(1−τ) μ_j, c_j = (1−τ) σ_j² + τ, with responsibilities
/// r = softmax_j(log w_j − ½ Σ log(2π c_j) − ½ Σ (x − m_j)²/c_j) by log-sum-exp; the log-det terms are kept because the
/// c_j differ. Zero variances are atoms, so the empirical law Σ_j w_j δ_{x_j} is the case σ_j = 0.
/// </summary>
public sealed class GaussianMixtureNoisedScore : INoisedData
{
    readonly double[] logWeight, weight, mu, variance;
    // σ_j² when component j is isotropic (one variance for every coordinate), NaN otherwise: then c_j is a scalar and
    // the logit needs one log instead of d.
    readonly double[] isotropicVariance;
    readonly bool hasAtoms;
    // Component j takes c_j and log c_j from component sameVariance[j], the first with its σ² (isotropic mixtures).
    readonly int[] sameVariance;
    // Whether ScoreRowsAt may use the fused row kernel: every component isotropic, d a multiple of 8 and Vector512
    // accelerated (the width TensorPrimitives works in, whose summation order the kernel repeats).
    readonly bool fusedRows;
    [ThreadStatic] static double[]? rowScratch;

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
        sameVariance = Enumerable.Range(0, weights.Length)
            .Select(j => Array.FindIndex(isotropicVariance, v => v.Equals(isotropicVariance[j]))).ToArray();
        fusedRows = Vector512.IsHardwareAccelerated && dim % Vector512<double>.Count == 0
            && !isotropicVariance.Any(double.IsNaN);
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

    /// <summary>The empirical (atomic) law Σ_j w_j δ_{x_j} (points K×d row-major; weights null = uniform).</summary>
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

    /// <summary>
    /// s(x_r, τ_r) for a block of rows, each at its own level, bit for bit what <see cref="Score"/> gives each row. On
    /// isotropic mixtures with d a multiple of 8 one fused pass per component forms z = x − √ᾱ μ_j, g_j·(−1) = z/c_j and
    /// z·g_j in registers (no call per vector operation, no stack buffer), and components with the same σ² share c_j
    /// and log c_j; the operations, their rounding and their summation order are those of <see cref="Evaluate"/>.
    /// Other mixtures score row by row.
    /// </summary>
    public void ScoreRowsAt(ReadOnlySpan<double> rows, ReadOnlySpan<double> taus, Span<double> scores)
    {
        int d = Dimension, k = weight.Length, n = taus.Length;
        Guard.Length(rows.Length, n * d, nameof(rows));
        Guard.Length(scores.Length, n * d, nameof(scores));
        if (!fusedRows)
        {
            for (int r = 0; r < n; r++) Score(rows.Slice(r * d, d), taus[r], scores.Slice(r * d, d));
            return;
        }
        int need = k * d + 3 * k;
        var buffer = rowScratch is { Length: var have } && have >= need ? rowScratch : rowScratch = new double[need];
        for (int r = 0; r < n; r++)
            FusedRow(rows.Slice(r * d, d), NoiseLevel.FromTau(Guard.InOpen(taus[r], 0, 1, "tau")),
                scores.Slice(r * d, d), buffer);
    }

    // Evaluate's score for an isotropic mixture with d a multiple of 8, in Vector512 registers. Evaluate forms
    // z = μ_j·(−√ᾱ) + x (multiply, then add: TensorPrimitives.MultiplyAdd does not fuse), w_j = z/c_j, and
    // TensorPrimitives.Dot(w_j, z), which adds the lane products of d/8 vectors as: for d ≤ 64, vector 0, then vectors
    // 1…d/8−1; for d > 64, vectors 1…L (L = 8⌊(d−8)/64⌋, its unrolled loop), then vector 0, then vectors L+1…d/8−1;
    // then a zero vector (its masked tail) and one horizontal Vector512.Sum. The score is Σ_j w_j·(−r_j) + acc from
    // acc = 0 in component order, divided by Σ_j r_j.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void FusedRow(ReadOnlySpan<double> x, NoiseLevel level, Span<double> score, Span<double> buffer)
    {
        int k = weight.Length, d = Dimension, width = Vector512<double>.Count, vectors = d / width;
        int loop = d > 8 * width ? 8 * ((d - width) / (8 * width)) : 0;
        var c = buffer.Slice(k * d + k, k);
        var logDet = buffer.Slice(k * d + 2 * k, k);
        var minusScale = Vector512.Create(-level.SignalScale);
        ref double x0 = ref MemoryMarshal.GetReference(x);
        ref double w = ref MemoryMarshal.GetReference(buffer);
        ref double logits = ref Unsafe.Add(ref w, k * d);
        ref double means = ref MemoryMarshal.GetArrayDataReference(mu);
        double max = double.NegativeInfinity;
        for (int j = 0; j < k; j++)
        {
            int same = sameVariance[j];
            if (same == j)
            {
                c[j] = level.AlphaBar * isotropicVariance[j] + level.Tau;
                logDet[j] = d * Math.Log(c[j]);
            }
            else { c[j] = c[same]; logDet[j] = logDet[same]; }
            var cj = Vector512.Create(c[j]);
            ref double muj = ref Unsafe.Add(ref means, j * d);
            ref double wj = ref Unsafe.Add(ref w, j * d);
            var z0 = Vector512.LoadUnsafe(ref muj) * minusScale + Vector512.LoadUnsafe(ref x0);
            var g0 = z0 / cj;
            g0.StoreUnsafe(ref wj);
            var first = g0 * z0;
            var sum = loop == 0 ? Vector512<double>.Zero + first : Vector512<double>.Zero;
            for (int v = 1; v < vectors; v++)
            {
                nuint at = (nuint)(v * width);
                var z = Vector512.LoadUnsafe(ref muj, at) * minusScale + Vector512.LoadUnsafe(ref x0, at);
                var g = z / cj;
                g.StoreUnsafe(ref wj, at);
                sum += g * z;
                if (v == loop) sum += first;
            }
            double logit = logWeight[j] - 0.5 * (Vector512.Sum(sum + Vector512<double>.Zero) + logDet[j] + d * Log2Pi);
            Unsafe.Add(ref logits, j) = logit;
            max = Math.Max(max, logit);
        }
        double total = 0;
        for (int j = 0; j < k; j++)
        {
            double r = Math.Exp(Unsafe.Add(ref logits, j) - max);
            total += r;
            Unsafe.Add(ref logits, j) = -r;
        }
        // Four output vectors at a time, each summing its components in order j = 0…K−1.
        var divisor = Vector512.Create(total);
        ref double s0 = ref MemoryMarshal.GetReference(score);
        int o = 0;
        for (; o + 4 * width <= d; o += 4 * width)
        {
            Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int j = 0; j < k; j++)
            {
                var r = Vector512.Create(Unsafe.Add(ref logits, j));
                ref double wj = ref Unsafe.Add(ref w, j * d + o);
                a0 = Vector512.LoadUnsafe(ref wj) * r + a0;
                a1 = Vector512.LoadUnsafe(ref wj, (nuint)width) * r + a1;
                a2 = Vector512.LoadUnsafe(ref wj, (nuint)(2 * width)) * r + a2;
                a3 = Vector512.LoadUnsafe(ref wj, (nuint)(3 * width)) * r + a3;
            }
            ref double so = ref Unsafe.Add(ref s0, o);
            (a0 / divisor).StoreUnsafe(ref so);
            (a1 / divisor).StoreUnsafe(ref so, (nuint)width);
            (a2 / divisor).StoreUnsafe(ref so, (nuint)(2 * width));
            (a3 / divisor).StoreUnsafe(ref so, (nuint)(3 * width));
        }
        for (; o < d; o += width)
        {
            var acc = Vector512<double>.Zero;
            for (int j = 0; j < k; j++)
                acc = Vector512.LoadUnsafe(ref Unsafe.Add(ref w, j * d + o)) * Vector512.Create(Unsafe.Add(ref logits, j))
                    + acc;
            (acc / divisor).StoreUnsafe(ref Unsafe.Add(ref s0, o));
        }
    }

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
