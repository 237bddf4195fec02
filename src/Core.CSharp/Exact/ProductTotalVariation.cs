using MathNet.Numerics.Integration;
using RateLab.Core.Numerics;

namespace RateLab.Core.Exact;

/// <summary>
/// TV between two product Gaussians P = ⊗ N(aᵢ, Aᵢ) and Q = ⊗ N(bᵢ, Bᵢ) with unequal variances, where no closed form
/// exists, by inverting the characteristic functions of the log-likelihood ratio L = log p/q (Gil-Pelaez):
/// TV = P_P(L &gt; 0) − P_Q(L &gt; 0) = (1/π) ∫₀^∞ Im[φ_P(u) − φ_Q(u)] / u du. Both functions are the Chernoff
/// coefficient ∫ p^α q^{1−α} continued to α = 1 + iu and α = iu (E_Q e^{iuL} = E_P e^{(iu−1)L}), so they come in closed
/// form per coordinate and multiply (docs/background.md). The difference is taken under one integral: no ½ − ½ cancels,
/// and a small TV keeps its relative accuracy.
/// <para>
/// The result carries a bound on its error: the Gauss–Legendre panels' estimate (the gap between 16 and 32 nodes, a
/// pessimistic one for the 32-node value) plus a bound on the truncated tail from the modulus envelope
/// |φ(u)| ≤ Πᵢ (1 + u²rᵢ²)^{−wᵢ/4} e^{−wᵢκᵢu²(1−rᵢ)/(1+u²rᵢ²)}, which is decreasing in u. The tail decays like
/// u^{−D/2} with D the number of coordinates whose variances differ, so few such coordinates and a small TV leave a
/// wider error; callers bound TV from below by <c>Value − Error</c>.
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
    // The most panels of width 1/(2 max(σ, |E L|)) integrated before the tail is bounded instead (each costs 48 nodes).
    const int MaxPanels = 1024;
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
        int n = p.Count;
        if (n > MaxCoordinates || p.HasPointMass) return null;
        var terms = new Terms(n);
        bool unequal = false;
        for (int i = 0; i < n; i++)
        {
            double w = p.Multiplicity[i];
            if (w != Math.Floor(w)) return null;
            double a = p.Variance[i], b = q.Variance[i], delta = p.Mean[i] - q.Mean[i];
            unequal |= a != b;
            terms.Set(i, w, a, b, delta);
        }
        return unequal ? terms.Integrate() : null;
    }

    // The per-coordinate constants of log φ_P and log φ_Q, with r = (B − A)/B, r̃ = (B − A)/A, ℓ = log(B/A),
    // κ = δ²/(2B), κ̃ = δ²/(2A):
    //   log φ_P(u) = Σ w [ iuℓ/2 − ½ log(1 + iur) + κ iu(1 + iu)/(1 + iur) ]
    //   log φ_Q(u) = Σ w [ iuℓ/2 − ½ log(1 + iur̃) − κ̃ iu(1 − iu)/(1 + iur̃) ].
    sealed class Terms(int n)
    {
        readonly double[] w = new double[n], r = new double[n], rt = new double[n], ell = new double[n],
            kappa = new double[n], kappaT = new double[n];
        // Σ w·(variance of Lᵢ) under P and Q, and the means E_P L = KL(P‖Q), E_Q L = −KL(Q‖P).
        double varianceP, varianceQ, meanP, meanQ;

        public void Set(int i, double weight, double a, double b, double delta)
        {
            w[i] = weight;
            r[i] = (b - a) / b;
            rt[i] = (b - a) / a;
            ell[i] = -StableMath.Log1p(-r[i]);
            kappa[i] = delta * delta / (2 * b);
            kappaT[i] = delta * delta / (2 * a);
            // Lᵢ = −(r/2) z² + (δ√A/B) z + const under P (z standard), so Var = r²/2 + Aδ²/B²; likewise under Q.
            varianceP += weight * (0.5 * r[i] * r[i] + 2 * kappa[i] * (a / b));
            varianceQ += weight * (0.5 * rt[i] * rt[i] + 2 * kappaT[i] * (b / a));
            meanP += weight * (0.5 * GaussianDistances.RMinusLog1p(-r[i]) + kappa[i]);
            meanQ -= weight * (0.5 * GaussianDistances.RMinusLog1p(rt[i]) + kappaT[i]);
        }

        public Result Integrate()
        {
            double scale = Math.Max(Math.Sqrt(Math.Max(varianceP, varianceQ)), Math.Max(meanP, -meanQ));
            double width = 0.5 / scale, sum = 0, error = 0, roundOff = 0, tail = double.PositiveInfinity;
            for (int k = 0; k < MaxPanels; k++)
            {
                double lo = k * width, coarse = 0, fine = 0;
                for (int j = 0; j < Coarse.Abscissas.Length; j++)
                    coarse += Coarse.Weights[j] * Integrand(lo + width * Coarse.Abscissas[j]).Value;
                for (int j = 0; j < Fine.Abscissas.Length; j++)
                {
                    var (f, slack) = Integrand(lo + width * Fine.Abscissas[j]);
                    fine += Fine.Weights[j] * f;
                    roundOff += width * Fine.Weights[j] * slack;
                }
                sum += width * fine;
                error += width * Math.Abs(fine - coarse);
                tail = TailBound(lo + width);
                if (tail <= RelativeTolerance * Math.Abs(sum)) break;
            }
            double value = sum / Math.PI;
            return new Result(Math.Clamp(value, 0, 1), (error + tail + roundOff) / Math.PI);
        }

        // Im[φ_P(u) − φ_Q(u)] / u, and a bound on its round-off: each of the summed terms of log φ carries a few ulps,
        // so the phase and log-modulus are off by at most ε_round Σ|term| and the value by |φ| times that, over u.
        (double Value, double Slack) Integrand(double u)
        {
            double reP = 0, imP = 0, reQ = 0, imQ = 0, massP = 0, massQ = 0, u2 = u * u;
            for (int i = 0; i < w.Length; i++)
            {
                double ri = r[i], si = rt[i], dP = 1 + u2 * ri * ri, dQ = 1 + u2 * si * si;
                double phase = 0.5 * u * ell[i];
                double moduleP = -0.25 * StableMath.Log1p(u2 * ri * ri), shiftP = -kappa[i] * u2 * (1 - ri) / dP;
                double turnP = -0.5 * Math.Atan(u * ri), driftP = kappa[i] * u * (1 + u2 * ri) / dP;
                double moduleQ = -0.25 * StableMath.Log1p(u2 * si * si), shiftQ = -kappaT[i] * u2 * (1 + si) / dQ;
                double turnQ = -0.5 * Math.Atan(u * si), driftQ = -kappaT[i] * u * (1 - u2 * si) / dQ;
                reP += w[i] * (moduleP + shiftP);
                imP += w[i] * (phase + turnP + driftP);
                reQ += w[i] * (moduleQ + shiftQ);
                imQ += w[i] * (phase + turnQ + driftQ);
                massP += w[i] * (Math.Abs(phase) + Math.Abs(turnP) + Math.Abs(driftP) - moduleP - shiftP);
                massQ += w[i] * (Math.Abs(phase) + Math.Abs(turnQ) + Math.Abs(driftQ) - moduleQ - shiftQ);
            }
            double modulusP = Math.Exp(reP), modulusQ = Math.Exp(reQ);
            double value = (modulusP * Math.Sin(imP) - modulusQ * Math.Sin(imQ)) / u;
            return (value, RoundingUnits * Ulp * (modulusP * massP + modulusQ * massQ) / u);
        }

        // A bound on ∫_U^∞ |integrand| du. Both moduli are at most E(u) = V(u)·M(u) (the envelope above), V and M
        // decreasing, so over [U2^j, U2^{j+1}] the integral of E(u)/u is at most ln 2 · V(U2^j) M(U); and V(2u)/V(u)
        // is decreasing in u, so the terms from j on are below a geometric series of ratio V(2U)/V(U) &lt; 1 (some
        // variance differs).
        double TailBound(double u)
        {
            double bound = 0;
            foreach (bool underQ in (ReadOnlySpan<bool>)[false, true])
            {
                double logV = LogVarianceFactor(u, underQ), logRatio = LogVarianceFactor(2 * u, underQ) - logV;
                double logM = LogMeanFactor(u, underQ);
                bound += Math.Log(2) * Math.Exp(logV + logM) / -StableMath.Expm1(logRatio);
            }
            return bound;
        }

        double LogVarianceFactor(double u, bool underQ)
        {
            var rates = underQ ? rt : r;
            double sum = 0;
            for (int i = 0; i < w.Length; i++) sum -= 0.25 * w[i] * StableMath.Log1p(u * u * rates[i] * rates[i]);
            return sum;
        }

        double LogMeanFactor(double u, bool underQ)
        {
            double sum = 0;
            for (int i = 0; i < w.Length; i++)
            {
                double rate = underQ ? rt[i] : r[i], k = underQ ? kappaT[i] : kappa[i];
                double ratio = underQ ? 1 + rate : 1 - rate;
                sum -= w[i] * k * u * u * ratio / (1 + u * u * rate * rate);
            }
            return sum;
        }
    }
}
