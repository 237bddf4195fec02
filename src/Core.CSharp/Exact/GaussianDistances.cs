using System.Numerics;
using System.Runtime.Intrinsics;
using MathNet.Numerics;
using RateLab.Core.Numerics;

namespace RateLab.Core.Exact;

/// <summary>
/// Closed forms between product Gaussians P = N(a, diag A), Q = N(b, diag B) weighted by multiplicities
/// (docs/background.md). Everything that tensorises is summed per coordinate in a cancellation-free form.
/// </summary>
public static class GaussianDistances
{
    // Below this |r| the series of r − log1p(r) is used: direct evaluation loses ε/r relative accuracy.
    const double SeriesCutoff = 0.125;

    // 1/k for k = 2 … 21 broadcast to vectors, so the series divides nothing at run time.
    static readonly Vector256<double>[] Reciprocals = [.. Enumerable.Range(0, 22).Select(k => Vector256.Create(1.0 / k))];

    /// <summary>r − log1p(r) = Σ_{k≥2} (−r)^k / k, accurate to round-off also for tiny r (r &gt; −1).</summary>
    public static double RMinusLog1p(double r) =>
        Math.Abs(r) > SeriesCutoff ? r - StableMath.Log1p(r) : r * r * SeriesQuotient(Vector256.Create(r)).ToScalar();

    // r − log1p(r) lane by lane, the series for all four lanes at once and the direct form where |r| is beyond its range.
    static Vector256<double> RMinusLog1p(Vector256<double> r)
    {
        var result = r * r * SeriesQuotient(r);
        if (Vector256.GreaterThanAny(Vector256.Abs(r), Vector256.Create(SeriesCutoff)))
            for (int j = 0; j < Vector256<double>.Count; j++) result = result.WithElement(j, RMinusLog1p(r.GetElement(j)));
        return result;
    }

    // (r − log1p(r))/r² = Σ_{k=2}^{21} (−r)^{k−2}/k by Horner's rule, lane by lane (so one r in a vector gets the
    // scalar result). 0.125^22 / 22 < 1e-21 relative to ½: 20 terms reach round-off for |r| ≤ SeriesCutoff.
    static Vector256<double> SeriesQuotient(Vector256<double> r)
    {
        ReadOnlySpan<Vector256<double>> reciprocal = Reciprocals;
        var sum = Vector256<double>.Zero;
        for (int k = 21; k >= 2; k--) sum = reciprocal[k] - r * sum;
        return sum;
    }

    /// <summary>The weighted coordinate sums of P against Q behind KL, W₂, BC and the equal-covariance TV.</summary>
    /// <param name="TwiceKl">Σᵢ wᵢ [rᵢ − log1p(rᵢ) + δᵢ²/Bᵢ] = 2 KL.</param>
    /// <param name="W2Squared">Σᵢ wᵢ W₂ᵢ².</param>
    /// <param name="LogBhattacharyya">Σᵢ wᵢ log BCᵢ.</param>
    /// <param name="Mahalanobis2">Σᵢ wᵢ δᵢ²/Bᵢ.</param>
    /// <param name="EqualVariances">Every Aᵢ equals Bᵢ.</param>
    /// <param name="Farthest">The first coordinate i with the least wᵢ log BCᵢ: the block of identical coordinates
    /// farthest apart in Hellinger distance, whose own TV bounds the whole TV from below.</param>
    /// <param name="FarthestLogBhattacharyya">Its wᵢ log BCᵢ.</param>
    internal readonly record struct Sums(double TwiceKl, double W2Squared, double LogBhattacharyya, double Mahalanobis2,
        bool EqualVariances, int Farthest, double FarthestLogBhattacharyya);

    /// <summary>
    /// All the <see cref="Sums"/> in one pass, each added in coordinate order, with δ = a − b and r = (A − B)/B. The
    /// terms are formed four coordinates at a time: vector +, −, ×, ÷ and √ round every lane as the scalar operations
    /// do, so the terms are the doubles the one-coordinate forms give; only log1p is taken lane by lane. At d = 10⁶ the
    /// one-at-a-time forms, in four passes, cost more than propagating the law. Nothing is checked: with a degenerate Q
    /// the sums that need B &gt; 0 come out infinite or NaN, and the callers that report them check Q first.
    /// </summary>
    internal static Sums Accumulate(DiagonalLaw p, DiagonalLaw q)
    {
        const int lanes = 4; // Vector256<double>.Count
        ReadOnlySpan<double> a = p.Mean, va = p.Variance, b = q.Mean, vb = q.Variance, w = p.Multiplicity;
        Span<double> kl = stackalloc double[lanes], w2 = stackalloc double[lanes], m2 = stackalloc double[lanes];
        var (one, two, four) = (Vector256<double>.One, Vector256.Create(2.0), Vector256.Create(4.0));
        double twiceKlSum = 0, w2Sum = 0, logBcSum = 0, m2Sum = 0, farthestLogBc = double.PositiveInfinity;
        bool equal = true;
        int farthest = 0;
        for (int i = 0; i < w.Length; i += lanes)
        {
            var (ai, vai, bi, vbi, wi) = (Load(a, i), Load(va, i), Load(b, i), Load(vb, i), Load(w, i));
            var (delta, r) = (ai - bi, (vai - vbi) / vbi);
            var delta2 = delta * delta;
            (wi * (RMinusLog1p(r) + delta2 / vbi)).CopyTo(kl);
            var roots = Vector256.Sqrt(vai) + Vector256.Sqrt(vbi);
            var dv = (vai - vbi) / roots;
            (wi * (delta2 + dv * dv)).CopyTo(w2);
            (wi * delta * delta / vbi).CopyTo(m2);
            // log BC = −½ log1p(u²/(2√(1+r))) − δ²/(4(A+B)), u = r/(1+√(1+r)): (A+B)/(2√(AB)) − 1 without cancellation.
            var root = Vector256.Sqrt(one + r);
            var u = r / (one + root);
            var (excess, meanTerm) = (u * u / (two * root), delta2 / (four * (vai + vbi)));
            for (int j = 0; j < Math.Min(lanes, w.Length - i); j++)
            {
                twiceKlSum += kl[j];
                w2Sum += w2[j];
                double logBc = w[i + j] * (-0.5 * StableMath.Log1p(excess.GetElement(j)) - meanTerm.GetElement(j));
                logBcSum += logBc;
                if (logBc < farthestLogBc) (farthestLogBc, farthest) = (logBc, i + j);
                m2Sum += m2[j];
                equal &= va[i + j].Equals(vb[i + j]);
            }
        }
        return new Sums(twiceKlSum, w2Sum, logBcSum, m2Sum, equal, farthest, farthestLogBc);
    }

    // Four entries from i on, padded with ones past the end of x: a harmless coordinate (a = b = A = B = w = 1) whose
    // terms are never added.
    static Vector256<double> Load(ReadOnlySpan<double> x, int i)
    {
        if (i + 4 <= x.Length) return Vector256.Create(x.Slice(i, 4));
        Span<double> tail = [1, 1, 1, 1];
        x[i..].CopyTo(tail);
        return Vector256.Create(tail);
    }

    /// <summary>
    /// KL(P‖Q) = ½ Σᵢ wᵢ [rᵢ − log1p(rᵢ) + (aᵢ − bᵢ)²/Bᵢ] with rᵢ = (Aᵢ − Bᵢ)/Bᵢ taken from the variance difference
    /// (stable form of ½[tr(B⁻¹A) − d + (b−a)ᵀB⁻¹(b−a) + log det B − log det A]).
    /// </summary>
    public static double Kl(DiagonalLaw p, DiagonalLaw q)
    {
        q.CheckCompatible(p, nameof(p));
        q.CheckNondegenerate(nameof(q));
        return 0.5 * Accumulate(p, q).TwiceKl;
    }

    /// <summary>
    /// W₂²(P, Q) = Σᵢ wᵢ [(aᵢ − bᵢ)² + (Aᵢ − Bᵢ)²/(√Aᵢ + √Bᵢ)²] (Bures metric for commuting covariances, written
    /// without the cancellation of (√A − √B)²). For non-Gaussian P with these moments it is Gelbrich's lower bound.
    /// </summary>
    public static double W2Squared(DiagonalLaw p, DiagonalLaw q)
    {
        q.CheckCompatible(p, nameof(p));
        return Accumulate(p, q).W2Squared;
    }

    /// <summary>
    /// log BC(P, Q) = Σᵢ wᵢ [−½ log((Aᵢ+Bᵢ)/(2√(AᵢBᵢ))) − (aᵢ−bᵢ)²/(4(Aᵢ+Bᵢ))] (Bhattacharyya coefficient;
    /// BC tensorises as a product). The variance term uses (A+B)/(2√(AB)) − 1 = u²/(2√(1+r)), u = r/(1+√(1+r)),
    /// r = (A−B)/B, so no digits cancel when A ≈ B. Q must be non-degenerate; P may have point masses (BC = 0 there).
    /// </summary>
    public static double LogBhattacharyya(DiagonalLaw p, DiagonalLaw q)
    {
        q.CheckCompatible(p, nameof(p));
        q.CheckNondegenerate(nameof(q));
        return Accumulate(p, q).LogBhattacharyya;
    }

    /// <summary>
    /// Squared Hellinger distance H² = 1 − BC ∈ [0, 1] (the normalisation of the Hellinger sandwich of
    /// docs/background.md, 'KL, TV, W2 and Hellinger').
    /// </summary>
    public static double Hellinger2(DiagonalLaw p, DiagonalLaw q) => -StableMath.Expm1(LogBhattacharyya(p, q));

    /// <summary>Pinsker: TV ≤ √(KL/2).</summary>
    public static double PinskerBound(double kl) => Math.Sqrt(kl / 2);

    /// <summary>Bretagnolle–Huber: TV ≤ √(1 − e^{−KL}), tighter than Pinsker for large KL.</summary>
    public static double BretagnolleHuberBound(double kl) => Math.Sqrt(-StableMath.Expm1(-kl));

    /// <summary>Hellinger sandwich H² ≤ TV ≤ H √(2 − H²) with H² = 1 − BC: returns (lower, upper).</summary>
    public static (double Lower, double Upper) HellingerSandwich(double hellinger2) =>
        (hellinger2, Math.Sqrt(hellinger2 * (2 - hellinger2)));

    /// <summary>
    /// Gaussian-kernel MMD² with k(x, y) = exp(−‖x−y‖²/(2ℓ²)): MMD² = E_PP + E_QQ − 2E_PQ with
    /// E k(X, Y) = det(I + (A+B)/ℓ²)^{−½} exp(−½ (a−b)ᵀ(ℓ²I + A + B)⁻¹(a−b)) for X ~ P, Y ~ Q independent;
    /// each term is a product over coordinates, accumulated in log space.
    /// </summary>
    public static double MmdSquared(DiagonalLaw p, DiagonalLaw q, double lengthScale)
    {
        q.CheckCompatible(p, nameof(p));
        Validation.Guard.Positive(lengthScale, nameof(lengthScale));
        double l2 = lengthScale * lengthScale, pp = 0, qq = 0, pq = 0;
        ReadOnlySpan<double> a = p.Mean, va = p.Variance, b = q.Mean, vb = q.Variance, w = p.Multiplicity;
        for (int i = 0; i < w.Length; i++)
        {
            double delta = a[i] - b[i], sum = va[i] + vb[i];
            pp += w[i] * -0.5 * StableMath.Log1p(2 * va[i] / l2);
            qq += w[i] * -0.5 * StableMath.Log1p(2 * vb[i] / l2);
            pq += w[i] * (-0.5 * StableMath.Log1p(sum / l2) - 0.5 * delta * delta / (l2 + sum));
        }
        return Math.Exp(pp) + Math.Exp(qq) - 2 * Math.Exp(pq);
    }

    /// <summary>
    /// Exact TV for equal covariances: TV = 2Φ(Δ/2) − 1 = erf(Δ/(2√2)), Δ² = Σᵢ wᵢ (aᵢ − bᵢ)²/Aᵢ.
    /// Throws when a variance differs or vanishes.
    /// </summary>
    public static double TvEqualCovariance(DiagonalLaw p, DiagonalLaw q)
    {
        if (!p.Variance.SequenceEqual(q.Variance))
            throw new ArgumentException("the equal-covariance TV formula needs identical variances.", nameof(q));
        return TvFromMahalanobis(MahalanobisSquared(p, q));
    }

    /// <summary>Δ² = Σᵢ wᵢ (aᵢ − bᵢ)²/Bᵢ, the squared Mahalanobis distance of the means in Q's metric.</summary>
    public static double MahalanobisSquared(DiagonalLaw p, DiagonalLaw q)
    {
        q.CheckCompatible(p, nameof(p));
        q.CheckNondegenerate(nameof(q));
        return Accumulate(p, q).Mahalanobis2;
    }

    /// <summary>TV = erf(Δ/(2√2)) of two Gaussians with equal covariances at Mahalanobis distance Δ.</summary>
    public static double TvFromMahalanobis(double mahalanobis2) =>
        SpecialFunctions.Erf(Math.Sqrt(mahalanobis2) / (2 * Math.Sqrt(2)));
}
