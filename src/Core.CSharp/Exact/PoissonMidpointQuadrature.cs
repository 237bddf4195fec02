using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// The one-step kernels of overdamped PLMC(α, K) and of LMC(h) for a one-dimensional score b, as
/// <see cref="GridTransition"/>s, so that their laws on a non-Gaussian target follow by quadrature instead of Monte
/// Carlo (docs/algorithms.md, "Quadrature laws in one dimension").
/// </summary>
/// <remarks>
/// One outer step of PLMC from x (Samplers/Langevin/PoissonMidpoint, overdamped, h = α/K): b₀ = b(x), midpoints
/// X̃ᶜᵢ = x + i h b₀ + √(2h) Wᵢ with W the random walk of the fine normals, and output
/// y = x + α b₀ + √(2h) W_K + α Σ_{i∈S} (b(X̃ᶜᵢ) − b₀) over the selected set S ⊂ {1, …, K−1}, each i selected with
/// probability 1/K. Given S = {i₁ &lt; … &lt; i_m} and the walk at the selected steps, y is Gaussian with variance
/// 2h(K − i_m) (the walk's last K − i_m steps), so the kernel is the mixture over the 2^{K−1} patterns of an
/// m-dimensional integral over the walk's increments u_r ~ N(0, 1) (Wᵢ_r = Σ_{s≤r} √ℓ_s u_s, ℓ the gaps between
/// selections) of Gaussians in y. The integral is a tensor trapezoid rule on [−U, U]^m, exact to far below round-off
/// for the smooth integrands here once the Gaussians it places in y overlap: adjacent nodes' means must lie within
/// σ/ρ of each other, with e^{−2π²ρ²} bounding the rule's ripple. The spacing is refined until they do; a pattern that
/// would need more than <see cref="MaxNodes"/> nodes is left out and its weight reported as unresolved mass.
/// </remarks>
public static class PoissonMidpointQuadrature
{
    /// <summary>Half-width U of the trapezoid range for each standard normal increment (2Φ(−U) ≈ 1.9e-17).</summary>
    public const double Range = 8.5;
    /// <summary>Overlap ρ: adjacent nodes' means at most σ/ρ apart, so the ripple is below e^{−2π²ρ²} ≈ 5e-20.</summary>
    public const double Overlap = 1.5;
    /// <summary>Largest node spacing in u (the rule's own error at 0.5 is below e^{−2π²/0.25} for entire
    /// integrands).</summary>
    public const double MaxSpacing = 0.5;
    /// <summary>Most nodes per pattern and node before it is reported as unresolved.</summary>
    public const int MaxNodes = 200_000;
    // Node pairs lighter than this (their total weight) do not constrain the spacing: their ripple moves no figure.
    const double NegligibleWeight = 1e-15;

    /// <summary>
    /// One outer step of overdamped PLMC(α, K) (midpoints from the frozen-drift interpolation) on the grid with
    /// <paramref name="count"/> nodes from <paramref name="lower"/> by <paramref name="spacing"/>.
    /// </summary>
    /// <remarks><paramref name="refinement"/> &gt; 1 tightens the overlap and the largest spacing by that factor, for
    /// convergence checks.</remarks>
    public static GridTransition Plmc(IScoreField score, double alpha, int k, double lower, double spacing, int count,
        int threads = 0, double refinement = 1)
    {
        RequireOneDimensional(score);
        Guard.Positive(alpha, nameof(alpha));
        Guard.InRange(k, 1, 6, "K");
        Guard.InClosed(refinement, 1, 8, nameof(refinement));
        double h = alpha / k, select = 1.0 / k;
        return new GridTransition(lower, spacing, count, (_, x, sink) =>
        {
            double b0 = Evaluate(score, x);
            var patterns = 1 << (k - 1);
            for (int mask = 0; mask < patterns; mask++)
            {
                int m = System.Numerics.BitOperations.PopCount((uint)mask);
                double prob = Math.Pow(select, m) * Math.Pow(1 - select, k - 1 - m);
                if (m == 0) { sink.Add(prob, x + alpha * b0, Math.Sqrt(2 * alpha)); continue; }
                var selected = new int[m];
                for (int i = 1, r = 0; i < k; i++) if ((mask >> (i - 1) & 1) == 1) selected[r++] = i;
                AddPattern(score, x, b0, alpha, h, k, selected, prob, refinement, sink);
            }
        }, threads);
    }

    /// <summary>One step of LMC (ULA) with step <paramref name="h"/>: N(x + h b(x), 2h), placed to its full reach so
    /// that the law can serve as the reference of a KL.</summary>
    public static GridTransition Lmc(IScoreField score, double h, double lower, double spacing, int count,
        int threads = 0)
    {
        RequireOneDimensional(score);
        Guard.Positive(h, nameof(h));
        return new GridTransition(lower, spacing, count,
            (_, x, sink) => sink.Add(1, x + h * Evaluate(score, x), Math.Sqrt(2 * h)), threads, GridTransition.FullReach);
    }

    // The Gaussians of one selection pattern from x: the tensor trapezoid over the increments, refined until adjacent
    // nodes overlap in y.
    static void AddPattern(IScoreField score, double x, double b0, double alpha, double h, int k, int[] selected,
        double prob, double refinement, GridTransition.KernelSink sink)
    {
        int m = selected.Length;
        double sd = Math.Sqrt(2 * h * (k - selected[m - 1])), overlap = Overlap * refinement;
        var lags = new double[m];
        for (int r = 0; r < m; r++) lags[r] = selected[r] - (r == 0 ? 0 : selected[r - 1]);
        var step = new double[m];
        for (int r = 0; r < m; r++) step[r] = Math.Min(MaxSpacing / refinement, sd / (overlap * Math.Sqrt(2 * h * lags[r])));
        for (int round = 0; round < 8; round++)
        {
            var counts = new int[m];
            long total = 1;
            for (int r = 0; r < m; r++) { counts[r] = 2 * (int)Math.Ceiling(Range / step[r]) + 1; total *= counts[r]; }
            if (total > MaxNodes) { sink.MarkUnresolved(prob); return; }
            var weights = NodeWeights(counts, step, prob);
            var means = Means(score, x, b0, alpha, h, selected, lags, counts, step);
            var worst = WorstGaps(means, weights, counts, sd / overlap);
            bool fine = true;
            for (int r = 0; r < m; r++)
                if (worst[r] > 1) { step[r] /= worst[r] * 1.05; fine = false; }
            if (!fine) continue;
            for (long node = 0; node < total; node++) sink.Add(weights[node], means[node], sd);
            return;
        }
        sink.MarkUnresolved(prob);
    }

    // Each tensor node's weight, prob·Π_r w_r(u_r) (last index fastest), with w_r the trapezoid weights φ(u)·δ on axis
    // r's symmetric nodes, normalised to sum 1 (they already do, to e^{−2π²/δ²}).
    static double[] NodeWeights(int[] counts, double[] step, double prob)
    {
        int m = counts.Length;
        var axes = new double[m][];
        long total = 1;
        for (int r = 0; r < m; r++)
        {
            var w = axes[r] = new double[counts[r]];
            int half = counts[r] / 2;
            for (int j = 0; j < w.Length; j++) { double u = (j - half) * step[r]; w[j] = Math.Exp(-0.5 * u * u); }
            double s = w.Sum();
            for (int j = 0; j < w.Length; j++) w[j] /= s;
            total *= counts[r];
        }
        var weights = new double[total];
        var index = new int[m];
        for (long node = 0; node < total; node++)
        {
            Decode(node, counts, index);
            double w = prob;
            for (int r = 0; r < m; r++) w *= axes[r][index[r]];
            weights[node] = w;
        }
        return weights;
    }

    // The axis indices of a flat tensor node, last index fastest.
    static void Decode(long node, int[] counts, int[] index)
    {
        for (int r = counts.Length - 1; r >= 0; r--) { index[r] = (int)(node % counts[r]); node /= counts[r]; }
    }

    // y's conditional mean at every tensor node (last index fastest).
    static double[] Means(IScoreField score, double x, double b0, double alpha, double h, int[] selected,
        double[] lags, int[] counts, double[] step)
    {
        int m = selected.Length;
        long total = 1;
        foreach (int c in counts) total *= c;
        var means = new double[total];
        var index = new int[m];
        var point = new double[1];
        var value = new double[1];
        double root = Math.Sqrt(2 * h);
        for (long node = 0; node < total; node++)
        {
            Decode(node, counts, index);
            double w = 0, correction = 0;
            for (int r = 0; r < m; r++)
            {
                w += Math.Sqrt(lags[r]) * (index[r] - counts[r] / 2) * step[r];
                point[0] = x + selected[r] * h * b0 + root * w;
                score.Score(point, 0, value);
                correction += value[0] - b0;
            }
            means[node] = x + alpha * b0 + root * w + alpha * correction;
        }
        return means;
    }

    // For each axis, the largest gap between the means of adjacent nodes that carry weight, in units of σ/ρ.
    static double[] WorstGaps(double[] means, double[] weights, int[] counts, double allowed)
    {
        int m = counts.Length;
        var worst = new double[m];
        var index = new int[m];
        var strides = new long[m];
        long stride = 1;
        for (int r = m - 1; r >= 0; r--) { strides[r] = stride; stride *= counts[r]; }
        for (long node = 0; node < means.LongLength; node++)
        {
            Decode(node, counts, index);
            for (int r = 0; r < m; r++)
            {
                if (index[r] + 1 >= counts[r]) continue;
                long next = node + strides[r];
                if (weights[node] + weights[next] < NegligibleWeight) continue;
                double gap = Math.Abs(means[next] - means[node]) / allowed;
                if (gap > worst[r]) worst[r] = gap;
            }
        }
        return worst;
    }

    static double Evaluate(IScoreField score, double x)
    {
        Span<double> value = stackalloc double[1];
        score.Score([x], 0, value);
        return value[0];
    }

    static void RequireOneDimensional(IScoreField score)
    {
        ArgumentNullException.ThrowIfNull(score);
        if (score.Dimension != 1)
            throw new ArgumentException($"score dimension = {score.Dimension} is out of range; allowed: 1.", nameof(score));
    }
}
