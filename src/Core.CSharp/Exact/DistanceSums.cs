namespace RateLab.Core.Exact;

/// <summary>
/// The coordinate sums behind <see cref="LawDistances"/> for one block of coordinates of two product Gaussians: KL, W₂²
/// and log BC add over coordinates (theory-claims.md §5.4), and so does the Mahalanobis Δ² that gives the exact TV when
/// every variance is equal. Adding the sums of disjoint blocks gives the sums of their union, so a d = 10⁶ law can be
/// analysed block by block (<see cref="ExactAnalysis"/>) with the same closed forms as in one piece.
/// </summary>
/// <param name="Kl">Σᵢ wᵢ KLᵢ.</param>
/// <param name="W2Squared">Σᵢ wᵢ W₂ᵢ².</param>
/// <param name="LogBhattacharyya">Σᵢ wᵢ log BCᵢ.</param>
/// <param name="Mahalanobis2">Σᵢ wᵢ (aᵢ − bᵢ)²/Aᵢ; meaningful only when <paramref name="EqualVariances"/>.</param>
/// <param name="EqualVariances">Every variance of P equals Q's (bitwise, so the equal-covariance TV is exact).</param>
/// <param name="PointMass">Some coordinate of P has variance 0 (then TV = 1).</param>
/// <param name="Coordinates">Σᵢ wᵢ, the dimension the sums stand for.</param>
/// <param name="OneDimensionalTv">The exact TV when the sums stand for a single coordinate, else null.</param>
public readonly record struct DistanceSums(double Kl, double W2Squared, double LogBhattacharyya, double Mahalanobis2,
    bool EqualVariances, bool PointMass, double Coordinates, double? OneDimensionalTv)
{
    /// <summary>The sums for <paramref name="p"/> against the reference <paramref name="q"/>.</summary>
    public static DistanceSums Of(DiagonalLaw p, DiagonalLaw q)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        q.CheckCompatible(p, nameof(p));
        q.CheckNondegenerate(nameof(q));
        // One pass over the coordinates (at d = 10⁶, four separate passes cost more than the propagation itself), with
        // GaussianDistances' per-coordinate terms and each sum in coordinate order, so every sum rounds exactly as the
        // separate GaussianDistances.Kl, W2Squared, LogBhattacharyya and MahalanobisSquared do. The r − log1p(r) of a
        // chunk of coordinates are computed first, a SIMD vector at a time.
        const int Chunk = 256;
        Span<double> ratio = stackalloc double[Chunk], rMinusLog1p = stackalloc double[Chunk];
        double kl = 0, w2 = 0, logBc = 0, m2 = 0;
        bool equal = true;
        ReadOnlySpan<double> a = p.Mean, va = p.Variance, b = q.Mean, vb = q.Variance, w = p.Multiplicity;
        for (int start = 0; start < w.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, w.Length - start);
            for (int j = 0; j < n; j++) ratio[j] = GaussianDistances.VarianceRatio(va[start + j], vb[start + j]);
            GaussianDistances.RMinusLog1p(ratio[..n], rMinusLog1p);
            for (int j = 0, i = start; j < n; j++, i++)
            {
                double r = ratio[j], delta = a[i] - b[i];
                kl += w[i] * GaussianDistances.KlTerm(rMinusLog1p[j], delta, vb[i]);
                w2 += w[i] * GaussianDistances.W2Term(delta, va[i], vb[i]);
                logBc += w[i] * GaussianDistances.LogBhattacharyyaTerm(r, delta, va[i], vb[i]);
                m2 += GaussianDistances.WeightedMahalanobisTerm(w[i], delta, vb[i]);
                equal &= va[i].Equals(vb[i]);
            }
        }
        bool pointMass = p.HasPointMass;
        double? oneDimensional = p.Count == 1 && p.Multiplicity[0] == 1 && !pointMass
            ? GaussianTotalVariation.OneDimensional(p.Mean[0], Math.Sqrt(p.Variance[0]), q.Mean[0], Math.Sqrt(q.Variance[0]))
            : null;
        return new DistanceSums(0.5 * kl, w2, logBc, equal ? m2 : double.NaN, equal, pointMass, p.Dimension, oneDimensional);
    }

    /// <summary>The sums of two disjoint blocks of coordinates.</summary>
    public static DistanceSums operator +(DistanceSums a, DistanceSums b)
    {
        bool equal = a.EqualVariances && b.EqualVariances;
        return new DistanceSums(a.Kl + b.Kl, a.W2Squared + b.W2Squared, a.LogBhattacharyya + b.LogBhattacharyya,
            equal ? a.Mahalanobis2 + b.Mahalanobis2 : double.NaN, equal, a.PointMass || b.PointMass,
            a.Coordinates + b.Coordinates, null);
    }
}
