namespace RateLab.Core.Exact;

/// <summary>
/// Leave-one-out moment-matched laws of the position block when the total moments come from R draw replicates (no
/// quadrature rule): replicate r left out, the matched law has mean (R m̄ − μ_r)/(R − 1) and variance
/// [W − S_r + C − R/(R − 1) (μ_r − m̄)²]/(R − 1), with W = Σ S_j and C = Σ (μ_j − m̄)² (exact algebra, centred so that
/// large means do not cancel). The per-replicate distance sums add over coordinate blocks like the draws' sums, so a
/// block-wise analysis gets the whole law's jackknife (<see cref="MatchedJackknife"/>).
/// </summary>
public sealed class MomentJackknife
{
    readonly DiagonalLaw[] replicates;
    int count;

    /// <summary>Room for <paramref name="replicates"/> position laws.</summary>
    public MomentJackknife(int replicates)
    {
        Validation.Guard.AtLeast(replicates, 2, nameof(replicates));
        this.replicates = new DiagonalLaw[replicates];
    }

    /// <summary>Keeps replicate <c>r</c>'s position law (the law itself, not a copy).</summary>
    public void Add(DiagonalLaw position)
    {
        ArgumentNullException.ThrowIfNull(position);
        if (count == replicates.Length)
            throw new InvalidOperationException($"all {count} replicates were already added.");
        replicates[count++] = position;
    }

    /// <summary>The distance sums of each leave-one-out matched law against <paramref name="reference"/>.</summary>
    public DistanceSums[] LeaveOneOut(DiagonalLaw reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (count != replicates.Length)
            throw new InvalidOperationException($"{count} of {replicates.Length} replicates were added.");
        int n = count, d = reference.Count;
        var (mean, within, spread) = (new double[d], new double[d], new double[d]);
        foreach (var law in replicates)
            for (int i = 0; i < d; i++)
            {
                mean[i] += law.Mean[i] / n;
                within[i] += law.Variance[i];
            }
        foreach (var law in replicates)
            for (int i = 0; i < d; i++)
            {
                double dev = law.Mean[i] - mean[i];
                spread[i] += dev * dev;
            }
        var sums = new DistanceSums[n];
        var multiplicity = reference.Multiplicity.ToArray();
        for (int r = 0; r < n; r++)
        {
            var (m, v) = (new double[d], new double[d]);
            var left = replicates[r];
            for (int i = 0; i < d; i++)
            {
                double dev = left.Mean[i] - mean[i];
                m[i] = mean[i] - dev / (n - 1);
                // Rounding can leave −ε where every other replicate is a point mass; the true value is ≥ 0.
                v[i] = Math.Max(0, (within[i] - left.Variance[i] + spread[i] - n / (n - 1.0) * dev * dev) / (n - 1));
            }
            sums[r] = DistanceSums.Of(DiagonalLaw.Adopt(m, v, multiplicity), reference);
        }
        return sums;
    }
}

/// <summary>
/// Jackknife over draw replicates of the moment-matched lower bounds when their moments are Monte Carlo estimates.
/// <see cref="McEstimate.StandardError"/> is √(v_J + 2 b²): v_J the jackknife variance, b the jackknife estimate of the
/// plug-in's upward bias. A divergence is smooth and convex near its minimum, so its plug-in estimate is biased upward
/// by b ≈ tr(HΣ)/(2R), and when the divergence is near zero the quadratic term dominates: its spread is at most √2 b
/// for Gaussian moment noise, while the jackknife (a linearisation) sees almost none of it. Hence the 2b² term.
/// </summary>
/// <param name="Kl">The matched KL with its standard error.</param>
/// <param name="W2">Gelbrich's W₂ with its standard error.</param>
/// <param name="KlBias">Jackknife bias estimate of the plug-in KL (positive: the estimate is too high).</param>
/// <param name="W2Bias">Jackknife bias estimate of the plug-in W₂.</param>
/// <param name="Replicates">R, the replicates behind the moments.</param>
public sealed record MatchedJackknife(McEstimate Kl, McEstimate W2, double KlBias, double W2Bias, int Replicates)
{
    /// <summary>The jackknife of <paramref name="matched"/> from the leave-one-out sums of the whole law.</summary>
    public static MatchedJackknife From(LawDistances matched, DistanceSums[] leftOut)
    {
        ArgumentNullException.ThrowIfNull(matched);
        ArgumentNullException.ThrowIfNull(leftOut);
        Validation.Guard.AtLeast(leftOut.Length, 2, "replicates");
        var laws = Array.ConvertAll(leftOut, LawDistances.From);
        var (kl, klBias) = Of(matched.Kl, Array.ConvertAll(laws, l => l.Kl));
        var (w2, w2Bias) = Of(matched.W2, Array.ConvertAll(laws, l => l.W2));
        return new MatchedJackknife(kl, w2, klBias, w2Bias, leftOut.Length);
    }

    static (McEstimate Estimate, double Bias) Of(double full, double[] leftOut)
    {
        int n = leftOut.Length;
        double mean = leftOut.Average(), squares = 0;
        foreach (var x in leftOut) squares += (x - mean) * (x - mean);
        double bias = (n - 1) * (mean - full), variance = (n - 1.0) / n * squares;
        return (new McEstimate(full, Math.Sqrt(variance + 2 * bias * bias)), bias);
    }
}
