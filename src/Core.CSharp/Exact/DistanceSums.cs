namespace RateLab.Core.Exact;

/// <summary>
/// The coordinate sums behind <see cref="LawDistances"/> for one block of coordinates of two product Gaussians: KL, W₂²
/// and log BC add over coordinates (docs/background.md), and so does the Mahalanobis Δ² that gives the exact TV when
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
/// <param name="FarthestLogBhattacharyya">wᵢ log BCᵢ of the block of identical coordinates farthest apart in Hellinger
/// distance (the first such block in coordinate order).</param>
/// <param name="FarthestTvLower">That block's TV lower bound (<see cref="GaussianTotalVariation.GroupLowerBound"/>; 1
/// with a point mass), a lower bound on the whole TV since a marginal's TV never exceeds the joint one.</param>
/// <param name="ProductTv">The whole law's TV by characteristic-function inversion with its error bound
/// (<see cref="ProductTotalVariation"/>), when asked for and applicable; null otherwise and for a sum of blocks (the
/// inversion needs every coordinate at once).</param>
public readonly record struct DistanceSums(double Kl, double W2Squared, double LogBhattacharyya, double Mahalanobis2,
    bool EqualVariances, bool PointMass, double Coordinates, double? OneDimensionalTv, double FarthestLogBhattacharyya,
    double FarthestTvLower, ProductTotalVariation.Result? ProductTv = null)
{
    /// <summary>
    /// The sums for <paramref name="p"/> against the reference <paramref name="q"/>; with <paramref name="productTv"/>,
    /// also the inverted TV of the whole law where no closed form gives it (milliseconds per law, so it is asked for
    /// where a law is reported, not per draw of a mixture).
    /// </summary>
    public static DistanceSums Of(DiagonalLaw p, DiagonalLaw q, bool productTv = false)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        q.CheckCompatible(p, nameof(p));
        q.CheckNondegenerate(nameof(q));
        // One pass for all four sums (four passes cost more than propagating the law at d = 10⁶); the same doubles as
        // GaussianDistances.Kl, W2Squared, LogBhattacharyya and MahalanobisSquared, which share the pass.
        var sums = GaussianDistances.Accumulate(p, q);
        bool pointMass = p.HasPointMass;
        double? oneDimensional = p.Count == 1 && p.Multiplicity[0] == 1 && !pointMass
            ? GaussianTotalVariation.OneDimensional(p.Mean[0], Math.Sqrt(p.Variance[0]), q.Mean[0], Math.Sqrt(q.Variance[0]))
            : null;
        int k = sums.Farthest;
        double farthestTv = pointMass ? 1.0
            : GaussianTotalVariation.GroupLowerBound(p.Mean[k], p.Variance[k], q.Mean[k], q.Variance[k], p.Multiplicity[k]);
        var inverted = productTv && oneDimensional is null && !sums.EqualVariances ? ProductTotalVariation.Of(p, q) : null;
        return new DistanceSums(0.5 * sums.TwiceKl, sums.W2Squared, sums.LogBhattacharyya,
            sums.EqualVariances ? sums.Mahalanobis2 : double.NaN, sums.EqualVariances, pointMass, p.Dimension, oneDimensional,
            sums.FarthestLogBhattacharyya, farthestTv, inverted);
    }

    /// <summary>
    /// The sums of two disjoint blocks of coordinates, <paramref name="a"/> before <paramref name="b"/>: the farthest
    /// block is a's on ties, as one pass over both in order would pick it.
    /// </summary>
    public static DistanceSums operator +(DistanceSums a, DistanceSums b)
    {
        bool equal = a.EqualVariances && b.EqualVariances;
        var farthest = b.FarthestLogBhattacharyya < a.FarthestLogBhattacharyya ? b : a;
        return new DistanceSums(a.Kl + b.Kl, a.W2Squared + b.W2Squared, a.LogBhattacharyya + b.LogBhattacharyya,
            equal ? a.Mahalanobis2 + b.Mahalanobis2 : double.NaN, equal, a.PointMass || b.PointMass,
            a.Coordinates + b.Coordinates, null, farthest.FarthestLogBhattacharyya, farthest.FarthestTvLower);
    }
}
