using MathNet.Numerics.Integration;
using RateLab.Core.Numerics;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// TV between two product Gaussians P = ⊗ N(aᵢ, Aᵢ) and Q = ⊗ N(bᵢ, Bᵢ) with unequal variances, where no closed form
/// exists, by inverting the characteristic functions of the log-likelihood ratio L = log p/q (Gil-Pelaez):
/// TV = P_P(L &gt; 0) − P_Q(L &gt; 0) = (1/π) ∫₀^∞ Im[φ_P(u) − φ_Q(u)] / u du. Under any product Gaussian, L is a sum of
/// independent quadratics c z² + e z + f of standard normals, whose characteristic functions are closed forms that
/// multiply (docs/background.md). The difference is taken under one integral: no ½ − ½ cancels, and a small TV keeps
/// its relative accuracy. The same integral with another event {g &gt; r} gives P_X(A) − P_Y(A)
/// (<see cref="Separation"/>), the building block of <see cref="MixtureSeparation"/>.
/// <para>
/// The result carries a bound on its error: the Gauss–Legendre panels' estimate (the gap between 16 and 32 nodes, a
/// pessimistic one for the 32-node value), the round-off of the summed phase terms, and a bound on the truncated tail
/// from the modulus envelope |φ(u)| ≤ Πᵢ (1 + 4u²cᵢ²)^{−wᵢ/4} e^{−wᵢu²eᵢ²/(2(1+4u²cᵢ²))}, which is decreasing in u. The
/// tail decays like u^{−D/2} with D the number of coordinates whose variances differ, so few such coordinates and a
/// small TV leave a wider error; callers bound TV from below by <c>Value − Error</c>.
/// </para>
/// </summary>
public static class ProductTotalVariation
{
    /// <summary>A TV value and a bound on its numerical error.</summary>
    public readonly record struct Result(double Value, double Error)
    {
        /// <summary>The lower bound the value certifies, max(0, Value − Error).</summary>
        public double Lower => Math.Max(0, Value - Error);
    }

    /// <summary>The most distinct coordinates evaluated: every node costs two complex terms per coordinate.</summary>
    public const int MaxCoordinates = 4096;
    /// <summary>The most panels <see cref="Of"/> evaluates (48 nodes each) before it bounds the tail instead.</summary>
    public const int MaxPanels = 1024;
    // A panel whose 16/32-node gap exceeds this fraction of the integral so far is halved.
    const double PanelTolerance = 1e-13;
    // Integration stops once the tail bound is below this fraction of the value so far.
    const double RelativeTolerance = 1e-10;
    // The ulps of error charged to each summed term of log φ (log1p, atan and a few products each round once or twice).
    const double RoundingUnits = 8;
    // The unit round-off of float64, 2⁻⁵³.
    const double Ulp = 1.1102230246251565e-16;
    // Gauss–Legendre rules on [0, 1]: the 32-node value is kept, its gap to the 16-node one is the panel's error.
    static readonly GaussLegendreRule Coarse = new(0, 1, 16), Fine = new(0, 1, 32);

    /// <summary>
    /// TV(P, Q) with its error bound, or null when the inversion does not apply: a law with more than
    /// <see cref="MaxCoordinates"/> distinct coordinates, a multiplicity that is not a whole number, a point mass, or
    /// equal variances throughout (where <see cref="GaussianDistances.TvFromMahalanobis"/> is exact).
    /// </summary>
    public static Result? Of(DiagonalLaw p, DiagonalLaw q)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        q.CheckCompatible(p, nameof(p));
        q.CheckNondegenerate(nameof(q));
        bool unequal = false;
        for (int i = 0; i < p.Count; i++) unequal |= p.Variance[i] != q.Variance[i];
        // The event {p > q} separates P from Q by exactly their TV (≥ 0, whatever the rounding).
        return unequal && Separation(p, q, p, q, MaxPanels) is { } tv ? tv with { Value = Math.Max(0, tv.Value) } : null;
    }

    /// <summary>
    /// P_X(A) − P_Y(A) for the event A = {x : g(x) &gt; r(x)} of two product Gaussians g and r, with its error bound. By
    /// data processing |P_X(A) − P_Y(A)| ≤ TV(X, Y) for any A, with equality for g = X, r = Y; and averaged over the
    /// draws of a mixture, E_ω[P_{X_ω}(A) − P_{Y_ω}(A)] = P_p(A) − P_q̄(A) bounds the mixture's TV to the mixed
    /// reference from below, whatever A is, as long as A does not depend on the draws it is averaged over. Null where the
    /// inversion does not apply: more than <see cref="MaxCoordinates"/> distinct coordinates, a multiplicity that is not
    /// a whole number, a point mass in X, Y or g, or g = r (then A is empty). <paramref name="maxPanels"/> caps the work:
    /// fewer panels leave a wider error bound where few variances differ (the tail decays like u^{−D/2}).
    /// </summary>
    public static Result? Separation(DiagonalLaw x, DiagonalLaw y, DiagonalLaw g, DiagonalLaw r, int maxPanels = MaxPanels)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(r);
        Guard.AtLeast(maxPanels, 1, nameof(maxPanels));
        r.CheckCompatible(x, nameof(x));
        r.CheckCompatible(y, nameof(y));
        r.CheckCompatible(g, nameof(g));
        r.CheckNondegenerate(nameof(r));
        int n = r.Count;
        if (n > MaxCoordinates || x.HasPointMass || y.HasPointMass || g.HasPointMass) return null;
        bool separates = false;
        for (int i = 0; i < n; i++)
        {
            double w = r.Multiplicity[i];
            if (w != Math.Floor(w)) return null;
            separates |= g.Mean[i] != r.Mean[i] || g.Variance[i] != r.Variance[i];
        }
        if (!separates) return null;
        return Integrate(new Side(x, g, r), new Side(y, g, r), maxPanels);
    }

    // The law of L = log g − log r under one product Gaussian X = ⊗ N(m, S): per coordinate, with g = N(a, A) and
    // r = N(b, B), Lᵢ(m + √S z) = c z² + e z + f where c = S(A − B)/(2AB), e = √S[(m − b)/B − (m − a)/A] (the slope of
    // Lᵢ at m, formed from differences so that it vanishes exactly where it should) and f = Lᵢ(m). Its characteristic
    // function is E e^{iu(cz² + ez + f)} = (1 − 2iuc)^{−1/2} exp(iuf − u²e²/(2(1 − 2iuc))).
    sealed class Side
    {
        readonly double[] w, c, e, f;

        /// <summary>Σ w Var Lᵢ = Σ w (2c² + e²) and E L = Σ w (c + f).</summary>
        public readonly double Variance, Mean;

        public Side(DiagonalLaw x, DiagonalLaw g, DiagonalLaw r)
        {
            int n = r.Count;
            (w, c, e, f) = (new double[n], new double[n], new double[n], new double[n]);
            for (int i = 0; i < n; i++)
            {
                double m = x.Mean[i], s = x.Variance[i], a = g.Mean[i], va = g.Variance[i], b = r.Mean[i], vb = r.Variance[i];
                w[i] = r.Multiplicity[i];
                c[i] = 0.5 * s * (va - vb) / (va * vb);
                e[i] = Math.Sqrt(s) * ((m - b) / vb - (m - a) / va);
                f[i] = (m - b) * (m - b) / (2 * vb) - (m - a) * (m - a) / (2 * va) + 0.5 * StableMath.Log1p((vb - va) / va);
                Variance += w[i] * (2 * c[i] * c[i] + e[i] * e[i]);
                Mean += w[i] * (c[i] + f[i]);
            }
        }

        /// <summary>The modulus and phase of E e^{iuL}, and Σ|terms| of its logarithm (for the round-off bound).</summary>
        public (double Modulus, double Phase, double Mass) At(double u)
        {
            double re = 0, im = 0, mass = 0, u2 = u * u;
            for (int i = 0; i < w.Length; i++)
            {
                double s = 2 * u * c[i], d = 1 + s * s, spread = u2 * e[i] * e[i] / (2 * d);
                double module = -0.25 * StableMath.Log1p(s * s), turn = 0.5 * Math.Atan(s), drift = u * f[i];
                re += w[i] * (module - spread);
                im += w[i] * (drift + turn - spread * s);
                mass += w[i] * (Math.Abs(drift) + Math.Abs(turn) + spread * Math.Abs(s) - module + spread);
            }
            return (Math.Exp(re), im, mass);
        }

        /// <summary>
        /// A bound on ∫_U^∞ |E e^{iuL}| / u du. The modulus is V(u)·M(u) with V = Π (1 + 4u²c²)^{−w/4} and
        /// M = exp(−Σ w u²e²/(2(1 + 4u²c²))), both decreasing, so over [U2^j, U2^{j+1}] the integral is at most
        /// ln 2 · V(U2^j) M(U); V(2u)/V(u) decreases in u, so the terms from j on lie below a geometric series of ratio
        /// V(2U)/V(U). Where every c is 0 (L is linear under X) V = 1 and M = e^{−κu²} exactly, whose tail integral is
        /// at most e^{−κU²}/(2κU²).
        /// </summary>
        public double TailBound(double u)
        {
            double logV = LogV(u), logRatio = LogV(2 * u) - logV, logM = 0, kappa = 0;
            for (int i = 0; i < w.Length; i++)
            {
                double s = 2 * u * c[i];
                logM -= w[i] * u * u * e[i] * e[i] / (2 * (1 + s * s));
                kappa += 0.5 * w[i] * e[i] * e[i];
            }
            if (logRatio < 0) return Math.Log(2) * Math.Exp(logV + logM) / -StableMath.Expm1(logRatio);
            return kappa > 0 ? Math.Exp(logM) / (2 * kappa * u * u) : double.PositiveInfinity;
        }

        double LogV(double u)
        {
            double sum = 0;
            for (int i = 0; i < w.Length; i++) sum -= 0.25 * w[i] * StableMath.Log1p(4 * u * u * c[i] * c[i]);
            return sum;
        }
    }

    // (1/π) ∫₀^∞ Im[φ_X(u) − φ_Y(u)] / u du with 32-node Gauss–Legendre panels, each panel's gap to 16 nodes taken as
    // its error, until the tail bound is below RelativeTolerance of the sum or `maxPanels` panels have been evaluated.
    // The first panel is 1/(2 max(σ, |E L|)) wide (σ the larger standard deviation of L). A panel whose error exceeds
    // PanelTolerance of the sum (or four times its round-off bound) is halved and redone; one far below it lets the next
    // panel double, so the slowly
    // decaying tail of few unequal variances is crossed in wide panels while the oscillating part keeps narrow ones.
    static Result Integrate(Side x, Side y, int maxPanels)
    {
        double spread = Math.Sqrt(Math.Max(x.Variance, y.Variance)), drift = Math.Max(Math.Abs(x.Mean), Math.Abs(y.Mean));
        double first = 0.5 / Math.Max(spread, drift), width = first, lo = 0;
        double sum = 0, error = 0, roundOff = 0, tail = double.PositiveInfinity;
        for (int k = 0; k < maxPanels; k++)
        {
            double coarse = 0, fine = 0, magnitude = 0, slack = 0;
            for (int j = 0; j < Coarse.Abscissas.Length; j++)
                coarse += Coarse.Weights[j] * Integrand(x, y, lo + width * Coarse.Abscissas[j]).Value;
            for (int j = 0; j < Fine.Abscissas.Length; j++)
            {
                var (value, bound) = Integrand(x, y, lo + width * Fine.Abscissas[j]);
                fine += Fine.Weights[j] * value;
                magnitude += Fine.Weights[j] * Math.Abs(value);
                slack += Fine.Weights[j] * bound;
            }
            double gap = width * Math.Abs(fine - coarse);
            // No panel is asked to agree better than its own round-off.
            double tolerance = Math.Max(PanelTolerance * Math.Max(Math.Abs(sum + width * fine), width * magnitude),
                4 * width * slack);
            if (gap > tolerance && width > first / 256)
            {
                width /= 2;
                continue;
            }
            sum += width * fine;
            error += gap;
            roundOff += width * slack;
            lo += width;
            tail = x.TailBound(lo) + y.TailBound(lo);
            if (tail <= RelativeTolerance * Math.Abs(sum)) break;
            if (gap < tolerance / 64) width *= 2;
        }
        return new Result(Math.Clamp(sum / Math.PI, -1, 1), (error + tail + roundOff) / Math.PI);
    }

    // Im[φ_X(u) − φ_Y(u)] / u, and a bound on its round-off: each summed term of log φ carries a few ulps, so the
    // phase and log-modulus are off by at most RoundingUnits·u Σ|term|, and the value by the moduli times that, over u.
    static (double Value, double Slack) Integrand(Side x, Side y, double u)
    {
        var (mx, px, sx) = x.At(u);
        var (my, py, sy) = y.At(u);
        return ((mx * Math.Sin(px) - my * Math.Sin(py)) / u, RoundingUnits * Ulp * (mx * sx + my * sy) / u);
    }
}
