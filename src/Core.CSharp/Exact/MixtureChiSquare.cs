using RateLab.Core.Numerics;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>A Monte Carlo estimate of χ²(p‖p_G) from <see cref="Replicates"/> draw laws (the U-statistic of
/// <see cref="MixtureChiSquare"/> and its conservative standard error); +∞ with a zero error when some pair's integral
/// diverges.</summary>
public readonly record struct ChiSquareEstimate(double Value, double StandardError, int Replicates)
{
    /// <summary>True when some pair of draw laws has an infinite overlap integral (then χ² = +∞ is all that is known).</summary>
    public bool IsInfinite => double.IsPositiveInfinity(Value);
}

/// <summary>
/// χ²(p‖p_G) of a Gaussian mixture p = E_ω N(μ_ω, S_ω) against its moment-matched law p_G, all three products over
/// the same coordinates (the per-draw position laws of the exact engine and its p_G): the non-Gaussian part of p that
/// bounds KL(p‖p_G) ≤ log(1 + χ²) ≤ χ² (<see cref="MixtureGapBound"/>).
/// <para>
/// Expanding p² under the integral, χ² + 1 = ∫ p²/p_G = E_{ω,ω′} I(ω, ω′) over independent draws, with the pair integral
/// I(ω, ω′) = ∫ N_ω N_ω′ / p_G dx. Per coordinate, with precisions a₁, a₂, a_g, A = a₁ + a₂ − a_g and
/// B = a₁m₁ + a₂m₂ − a_g m_g, completing the square gives I = (v_g/(v₁v₂A))^½ exp(−½(a₁m₁² + a₂m₂² − a_g m_g² − B²/A))
/// when A &gt; 0, and +∞ otherwise. The integral is invariant under x ↦ (x − m_g)/√v_g, so in the standardized
/// offsets dᵢ = (mᵢ − m_g)/√v_g and rᵢ = (vᵢ − v_g)/v_g it reads (v₁v₂A/v_g = 1 − r₁r₂)
/// log I = −½ log1p(−r₁r₂) + (2d₁d₂ + r₂d₁² + r₁d₂²) / (2(1 − r₁r₂)), finite iff r₁r₂ &lt; 1,
/// which has no cancellation: every term is a product of the small offsets. A coordinate of multiplicity w
/// contributes w·log I, and I − 1 = expm1(Σ w log I), since I − 1 is of the order of the squared offsets (α³ for
/// PLMC) while χ² is of their fourth power.
/// </para>
/// <para>
/// Û = (1/(M(M−1))) Σ_{i≠j} (I_ij − 1) over M independent draw laws is unbiased for χ², but its kernel is degenerate
/// to leading order. Expand N_ω/p_G in the Hermite polynomials of p_G: with offsets of order δ, the only coefficients
/// of order δ are those of He₁ and He₂ of one coordinate, dᵢ and ρᵢ/2 with ρᵢ = rᵢ + dᵢ², and their means over ω
/// vanish exactly because p_G has p's per-coordinate means and variances (E d = 0; E ρ = (E S_ω + Var μ_ω − v_g)/v_g
/// = 0); every other coefficient is O(δ²). So I − 1 = O(δ²) while χ² = O(δ⁴) (δ² ~ α³ and χ² ~ α⁶ for PLMC), and
/// Var Û ≈ 2 E(I − 1)²/M²: an error of order δ²/M, which for PLMC needs M ≫ 1/α to fall below KL(p_G‖q) ~ α⁴.
/// </para>
/// <para>
/// Hence the U-statistic is taken of the kernel k̃ = I − 1 − ℓ, with the first-order part
/// ℓ(ω, ω′) = Σᵢ wᵢ (dᵢd′ᵢ + ½ρᵢρ′ᵢ) removed. ℓ is linear in ω′'s offsets, whose means are 0, so E_ω′ ℓ(ω, ω′) = 0
/// for every ω: Û = (1/(M(M−1))) Σ_{i≠j} k̃_ij is still exactly unbiased (given the exact p_G), with the same
/// projection h(ω) = E_ω′ I(ω, ω′) − 1, and its kernel is O(δ⁴): the error is of the order of χ²/√M, far below
/// KL(p_G‖q). k̃ is formed without cancellation: with x = r₁r₂ and n = 2d₁d₂ + r₂d₁² + r₁d₂², per coordinate
/// log I − ℓ = ½(−x − log1p(−x)) + n x/(2(1 − x)) − ½d₁²d₂², and I − 1 − Σ wᵢ log I = expm1(L) − L, L = Σ wᵢ log Iᵢ.
/// </para>
/// <para>
/// Standard error: the delete-one jackknife, O(M²) through the row sums Rₗ = Σ_{j≠l} k̃_lj
/// (Û₍₋ₗ₎ − Û = −2(Rₗ − R̄)/((M−1)(M−2)), so SE²_J = 4 Σₗ (Rₗ − R̄)² / (M(M−1)(M−2)²)), which by the Efron–Stein
/// inequality overestimates Var Û on average; plus the degenerate component 2 s²(k̃)/(M(M−1)) of Hoeffding's
/// decomposition, whose jackknife estimate rests on one squared sum and can come out near 0 in a single realisation
/// (on PLMC's plain kernel it was 15 times too small). The sum is conservative.
/// </para>
/// </summary>
public static class MixtureChiSquare
{
    /// <summary>
    /// log I for one coordinate: log ∫ N(x; m₁, v₁) N(x; m₂, v₂) / N(x; m_g, v_g) dx, +∞ when the integral diverges
    /// (1/v₁ + 1/v₂ ≤ 1/v_g).
    /// </summary>
    public static double LogPairIntegral(double m1, double v1, double m2, double v2, double mg, double vg)
    {
        Guard.Finite(m1, nameof(m1));
        Guard.Finite(m2, nameof(m2));
        Guard.Finite(mg, nameof(mg));
        Guard.NonNegative(v1, nameof(v1));
        Guard.NonNegative(v2, nameof(v2));
        Guard.Positive(vg, nameof(vg));
        double root = Math.Sqrt(vg);
        return Coordinate((m1 - mg) / root, (v1 - vg) / vg, (m2 - mg) / root, (v2 - vg) / vg).Log;
    }

    // Rows of the pair sum per parallel part; fixed by M alone (at least 64, at most 64 parts), so the summation order,
    // and with it every bit of Û, is the same for any thread count.
    static int RowBlock(int m) => Math.Max(64, (m + 63) / 64);

    // 1/k for k ≤ 24: the eˣ − 1 − x series multiplies by these instead of dividing, since its chain of dependent
    // divisions was the bulk of a pair's cost.
    static readonly double[] Inverse = [.. Enumerable.Range(0, 25).Select(k => k == 0 ? 0.0 : 1.0 / k)];

    // That series starts from the highest term that still matters: one below 2⁻⁶⁰ of the leading term is under
    // round-off. The pair offsets are typically 1e-4 or smaller, so two or three terms suffice.
    const double Negligible = 8.7e-19;

    // log I and log I − ℓ in the standardized offsets of one coordinate (class summary); +∞ when I diverges.
    static (double Log, double Residual) Coordinate(double d1, double r1, double d2, double r2)
    {
        double x = r1 * r2;
        if (!(x < 1)) return (double.PositiveInfinity, double.PositiveInfinity);
        double n = 2 * d1 * d2 + r2 * d1 * d1 + r1 * d2 * d2, g = GaussianDistances.RMinusLog1p(-x);
        return (0.5 * x + 0.5 * g + n / (2 * (1 - x)), 0.5 * g + n * x / (2 * (1 - x)) - 0.5 * d1 * d1 * d2 * d2);
    }

    /// <summary>I(ω, ω′) − 1 for two product laws against <paramref name="matched"/> (all with the same coordinates and
    /// multiplicities): expm1 of the weighted sum of the per-coordinate log I; +∞ when the integral diverges.</summary>
    public static double PairExcess(DiagonalLaw first, DiagonalLaw second, DiagonalLaw matched)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var (d, r) = Standardized([first, second], matched);
        var (log, _) = Pair(d, r, 0, 1, matched.Multiplicity);
        return double.IsPositiveInfinity(log) ? log : StableMath.Expm1(log);
    }

    /// <summary>
    /// Û and its standard error from the draw laws <paramref name="draws"/> (M ≥ 3 independent replicates of
    /// N(μ_ω, S_ω)) and the exact moment-matched law <paramref name="matched"/> of their mixture (its means and
    /// variances must be the mixture's exactly: the first-order part removed from the kernel has mean 0 only then).
    /// </summary>
    /// <param name="draws">The draw laws.</param>
    /// <param name="matched">Their mixture's moment-matched law.</param>
    /// <param name="maxThreads">Threads for the M(M − 1)/2 pairs (−1: all cores); the result does not depend on it,
    /// bit for bit.</param>
    public static ChiSquareEstimate Estimate(IReadOnlyList<DiagonalLaw> draws, DiagonalLaw matched, int maxThreads = -1)
    {
        ArgumentNullException.ThrowIfNull(draws);
        Guard.Threads(maxThreads, nameof(maxThreads));
        int m = draws.Count;
        if (m < 3)
            throw new ArgumentOutOfRangeException(nameof(draws), $"draws.Count = {m} is out of range; allowed: integers ≥ 3 (the jackknife of a pair statistic needs three).");
        var (d, r) = Standardized(draws, matched);
        var w = matched.Multiplicity.ToArray();
        int block = RowBlock(m), parts = (m + block - 1) / block;
        // Part b sums the pairs (i, j > i) of its rows i into its own row sums; the parts are added in order after.
        var partRows = new double[parts][];
        var partSquares = new double[parts];
        var diverged = new bool[parts];
        ParallelParts.For(parts, maxThreads, b =>
        {
            var rows = new double[m];
            double squares = 0;
            for (int i = b * block; i < Math.Min(m, (b + 1) * block); i++)
                for (int j = i + 1; j < m; j++)
                {
                    var (log, residual) = Pair(d, r, i, j, w);
                    if (double.IsPositiveInfinity(log))
                    {
                        diverged[b] = true;
                        return;
                    }
                    double k = residual + ExpMinusOneMinusX(log);
                    rows[i] += k;
                    rows[j] += k;
                    squares += k * k;
                }
            (partRows[b], partSquares[b]) = (rows, squares);
        });
        if (Array.IndexOf(diverged, true) >= 0) return new ChiSquareEstimate(double.PositiveInfinity, 0, m);
        var rowSums = new double[m];
        double squareSum = 0;
        for (int b = 0; b < parts; b++)
        {
            var rows = partRows[b];
            for (int i = 0; i < m; i++) rowSums[i] += rows[i];
            squareSum += partSquares[b];
        }
        return FromRowSums(rowSums, squareSum, m);
    }

    // Û, the jackknife and the degenerate component from the row sums Rₗ and Σ k̃² (class summary).
    static ChiSquareEstimate FromRowSums(double[] rows, double squares, int m)
    {
        double total = rows.Sum(), mean = total / m, spread = 0;
        foreach (double row in rows) spread += (row - mean) * (row - mean);
        double pairs = 0.5 * m * (m - 1), value = total / (2 * pairs);
        double jackknife = 4 * spread / ((double)m * (m - 1) * (m - 2) * (m - 2));
        double pairVariance = Math.Max(0, squares / pairs - value * value) * pairs / (pairs - 1);
        return new ChiSquareEstimate(value, Math.Sqrt(jackknife + pairVariance / pairs), m);
    }

    // For draws i and j (offsets row-major: draw·count + coordinate): L = Σ w log I and Σ w (log I − ℓ); L = +∞ when
    // the integral diverges.
    static (double Log, double Residual) Pair(double[] d, double[] r, int i, int j, ReadOnlySpan<double> w)
    {
        int count = w.Length, a = i * count, b = j * count;
        double log = 0, residual = 0;
        for (int c = 0; c < count; c++)
        {
            var (l, e) = Coordinate(d[a + c], r[a + c], d[b + c], r[b + c]);
            if (double.IsPositiveInfinity(l)) return (l, e);
            log += w[c] * l;
            residual += w[c] * e;
        }
        return (log, residual);
    }

    // eˣ − 1 − x = x·Σ_{k≥1} x^k/(k+1)! by Horner's rule for |x| ≤ ⅛ (at most 22 terms, far below round-off), else
    // directly (the cancellation then costs at most a few bits).
    static double ExpMinusOneMinusX(double x)
    {
        if (Math.Abs(x) > 0.125) return StableMath.Expm1(x) - x;
        int top = 2;
        for (double term = 1, ax = Math.Abs(x); term > Negligible && top < 23;) term *= ax * Inverse[++top];
        double sum = 0;
        for (int k = top; k >= 2; k--) sum = (1 + sum) * x * Inverse[k];
        return x * sum;
    }

    // The offsets dᵢ, rᵢ of every draw against the matched law, after checking that all laws share its coordinates.
    static (double[] D, double[] R) Standardized(IReadOnlyList<DiagonalLaw> draws, DiagonalLaw matched)
    {
        ArgumentNullException.ThrowIfNull(matched);
        matched.CheckNondegenerate(nameof(matched));
        int count = matched.Count;
        var (d, r) = (new double[draws.Count * count], new double[draws.Count * count]);
        for (int i = 0; i < draws.Count; i++)
        {
            var law = draws[i] ?? throw new ArgumentNullException(nameof(draws), $"draws[{i}] is null.");
            matched.CheckCompatible(law, $"draws[{i}]");
            ReadOnlySpan<double> mean = law.Mean, variance = law.Variance, mg = matched.Mean, vg = matched.Variance;
            for (int c = 0; c < count; c++)
            {
                d[i * count + c] = (mean[c] - mg[c]) / Math.Sqrt(vg[c]);
                r[i * count + c] = (variance[c] - vg[c]) / vg[c];
            }
        }
        return (d, r);
    }
}
