using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MathNet.Numerics;
using RateLab.Core.Numerics;

namespace RateLab.Core.Exact;

/// <summary>
/// Closed forms between product Gaussians P = N(a, diag A), Q = N(b, diag B) weighted by multiplicities
/// (theory-claims.md §5.4). Everything that tensorises is summed per coordinate in a cancellation-free form.
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

    /// <summary>
    /// <see cref="RMinusLog1p(double)"/> of every entry of <paramref name="r"/>, bit for bit, with the series evaluated
    /// four entries at a time: its 20-step Horner chain is serial, so one coordinate at a time it was the slowest part
    /// of the distance sums at d = 10⁶.
    /// </summary>
    internal static void RMinusLog1p(ReadOnlySpan<double> r, Span<double> result)
    {
        var rs = MemoryMarshal.Cast<double, Vector256<double>>(r);
        var results = MemoryMarshal.Cast<double, Vector256<double>>(result);
        for (int k = 0; k < rs.Length; k++) results[k] = rs[k] * rs[k] * SeriesQuotient(rs[k]);
        // The tail, and the entries beyond the series' range, one at a time.
        for (int i = 0; i < r.Length; i++)
            if (i >= rs.Length * Vector256<double>.Count || Math.Abs(r[i]) > SeriesCutoff) result[i] = RMinusLog1p(r[i]);
    }

    // (r − log1p(r))/r² = Σ_{k=2}^{21} (−r)^{k−2}/k by Horner's rule, lane by lane (vector multiplies and subtractions
    // round each lane as scalar ones do, so one r in a vector gets the scalar result). 0.125^22 / 22 < 1e-21 relative
    // to ½: 20 terms reach round-off for |r| ≤ SeriesCutoff.
    static Vector256<double> SeriesQuotient(Vector256<double> r)
    {
        ReadOnlySpan<Vector256<double>> reciprocal = Reciprocals;
        var sum = Vector256<double>.Zero;
        for (int k = 21; k >= 2; k--) sum = reciprocal[k] - r * sum;
        return sum;
    }

    // The per-coordinate terms, shared by the sums below and the one-pass DistanceSums.Of: one expression each, so
    // both round alike. r = (A − B)/B and δ = a − b as in the sums' documentation.

    /// <summary>r = (A − B)/B, the relative variance difference every stable form below starts from.</summary>
    internal static double VarianceRatio(double va, double vb) => (va - vb) / vb;

    /// <summary>2 KLᵢ = (r − log1p(r)) + δ²/B, given r − log1p(r).</summary>
    internal static double KlTerm(double rMinusLog1p, double delta, double vb) => rMinusLog1p + delta * delta / vb;

    /// <summary>W₂ᵢ² = δ² + (A − B)²/(√A + √B)².</summary>
    internal static double W2Term(double delta, double va, double vb)
    {
        double root = Math.Sqrt(va) + Math.Sqrt(vb), dv = (va - vb) / root;
        return delta * delta + dv * dv;
    }

    /// <summary>log BCᵢ = −½ log1p(u²/(2√(1+r))) − δ²/(4(A+B)), u = r/(1+√(1+r)).</summary>
    internal static double LogBhattacharyyaTerm(double r, double delta, double va, double vb)
    {
        double root = Math.Sqrt(1 + r), u = r / (1 + root);
        return -0.5 * StableMath.Log1p(u * u / (2 * root)) - delta * delta / (4 * (va + vb));
    }

    /// <summary>wᵢ δ²/B, the weight inside (its own rounding order, (w δ) δ / B).</summary>
    internal static double WeightedMahalanobisTerm(double w, double delta, double vb) => w * delta * delta / vb;

    /// <summary>
    /// KL(P‖Q) = ½ Σᵢ wᵢ [rᵢ − log1p(rᵢ) + (aᵢ − bᵢ)²/Bᵢ] with rᵢ = (Aᵢ − Bᵢ)/Bᵢ taken from the variance difference
    /// (§5.4, stable form of ½[tr(B⁻¹A) − d + (b−a)ᵀB⁻¹(b−a) + log det B − log det A]).
    /// </summary>
    public static double Kl(DiagonalLaw p, DiagonalLaw q)
    {
        q.CheckCompatible(p, nameof(p));
        q.CheckNondegenerate(nameof(q));
        double s = 0;
        ReadOnlySpan<double> a = p.Mean, va = p.Variance, b = q.Mean, vb = q.Variance, w = p.Multiplicity;
        for (int i = 0; i < w.Length; i++) s += w[i] * KlTerm(RMinusLog1p(VarianceRatio(va[i], vb[i])), a[i] - b[i], vb[i]);
        return 0.5 * s;
    }

    /// <summary>
    /// W₂²(P, Q) = Σᵢ wᵢ [(aᵢ − bᵢ)² + (Aᵢ − Bᵢ)²/(√Aᵢ + √Bᵢ)²] (Bures metric for commuting covariances, §5.4, written
    /// without the cancellation of (√A − √B)²). For non-Gaussian P with these moments it is Gelbrich's lower bound.
    /// </summary>
    public static double W2Squared(DiagonalLaw p, DiagonalLaw q)
    {
        q.CheckCompatible(p, nameof(p));
        double s = 0;
        ReadOnlySpan<double> a = p.Mean, va = p.Variance, b = q.Mean, vb = q.Variance, w = p.Multiplicity;
        for (int i = 0; i < w.Length; i++) s += w[i] * W2Term(a[i] - b[i], va[i], vb[i]);
        return s;
    }

    /// <summary>
    /// log BC(P, Q) = Σᵢ wᵢ [−½ log((Aᵢ+Bᵢ)/(2√(AᵢBᵢ))) − (aᵢ−bᵢ)²/(4(Aᵢ+Bᵢ))] (Bhattacharyya coefficient, §5.4;
    /// BC tensorises as a product). The variance term uses (A+B)/(2√(AB)) − 1 = u²/(2√(1+r)), u = r/(1+√(1+r)),
    /// r = (A−B)/B, so no digits cancel when A ≈ B. Q must be non-degenerate; P may have point masses (BC = 0 there).
    /// </summary>
    public static double LogBhattacharyya(DiagonalLaw p, DiagonalLaw q)
    {
        q.CheckCompatible(p, nameof(p));
        q.CheckNondegenerate(nameof(q));
        double s = 0;
        ReadOnlySpan<double> a = p.Mean, va = p.Variance, b = q.Mean, vb = q.Variance, w = p.Multiplicity;
        for (int i = 0; i < w.Length; i++)
            s += w[i] * LogBhattacharyyaTerm(VarianceRatio(va[i], vb[i]), a[i] - b[i], va[i], vb[i]);
        return s;
    }

    /// <summary>Squared Hellinger distance H² = 1 − BC ∈ [0, 1] (the normalisation of the §5.4 sandwich).</summary>
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
    /// E k(X, Y) = det(I + (A+B)/ℓ²)^{−½} exp(−½ (a−b)ᵀ(ℓ²I + A + B)⁻¹(a−b)) for X ~ P, Y ~ Q independent (§5.4);
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
    /// Exact TV for equal covariances: TV = 2Φ(Δ/2) − 1 = erf(Δ/(2√2)), Δ² = Σᵢ wᵢ (aᵢ − bᵢ)²/Aᵢ (§5.4).
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
        double m2 = 0;
        ReadOnlySpan<double> a = p.Mean, b = q.Mean, vb = q.Variance, w = p.Multiplicity;
        for (int i = 0; i < w.Length; i++) m2 += WeightedMahalanobisTerm(w[i], a[i] - b[i], vb[i]);
        return m2;
    }

    /// <summary>TV = erf(Δ/(2√2)) of two Gaussians with equal covariances at Mahalanobis distance Δ.</summary>
    public static double TvFromMahalanobis(double mahalanobis2) =>
        SpecialFunctions.Erf(Math.Sqrt(mahalanobis2) / (2 * Math.Sqrt(2)));
}
