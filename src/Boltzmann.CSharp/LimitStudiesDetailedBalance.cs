using RateLab.Core.Randomness;

namespace RateLab.Boltzmann;

public static partial class LimitStudies
{
    const double DbTime = 0.5, DbFlowOffset = 0.5;
    static readonly double[] DbState = [0.7, -0.4], DbSlope = [-0.5, 0.3], DbOffset = [0.4, -0.2];

    // φ(x, t) = log N(x; 0, v(t) I) with v(t) = σ²t + c: a learned log-density that is not the true marginal.
    static double Phi(ReadOnlySpan<double> x, double t, double c)
    {
        double v = Sigma * Sigma * t + c, s = 0;
        foreach (var xi in x) s += xi * xi;
        return -0.5 * x.Length * Math.Log(2 * Math.PI * v) - 0.5 * s / v;
    }

    /// <summary>
    /// DB residual series at (x, t) = ((0.7, −0.4), 0.5), linear drift, φ = log N(0, (σ²t + ½) I), exact-bridge π←:
    /// "db-variance-over-h" (Var r / h) and "db-mean-over-h" (E r / h, antithetic pairs ±ξ cancel the O(√h) term) against
    /// their predicted small-h limits; and "db-nelson-rms" — zero drift with φ = log N(0, σ²t I), where Nelson's
    /// identity and the Fokker–Planck equation both hold and every residual is exactly 0, reference 0.
    /// </summary>
    public static IReadOnlyList<LimitSeries> DetailedBalanceResidual(LimitProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        int d = DbState.Length;
        var linear = new EulerMaruyamaPolicy(new LinearDrift(DbSlope, DbOffset), Sigma);
        var zero = new EulerMaruyamaPolicy(new ZeroDrift(d), Sigma);
        var noise = new PhiloxNoise(profile.Seed ^ 0xDB);
        var (varPred, meanPred) = DbPredictions();
        var variance = new List<LimitPoint>(); var mean = new List<LimitPoint>(); var nelson = new List<LimitPoint>();
        int K = profile.DbPairs;
        var plus = new double[K]; var pair = new double[K]; var zeroSq = new double[K];
        Span<double> xi = stackalloc double[d];
        foreach (int k in profile.DbExponents)
        {
            double h = Math.Pow(2, -k);
            for (int j = 0; j < K; j++)
            {
                noise.Normals(k, j, 0, xi);
                double rp = Residual(linear, xi, h, DbFlowOffset, 1), rm = Residual(linear, xi, h, DbFlowOffset, -1);
                plus[j] = rp / Math.Sqrt(h);
                pair[j] = 0.5 * (rp + rm) / h;
                double r0 = Residual(zero, xi, h, 0, 1);
                zeroSq[j] = r0 * r0;
            }
            var (v, vSe) = VarianceWithError(plus);
            variance.Add(new LimitPoint(h, (int)Math.Round(1 / h), v, vSe));
            var m = Estimators.Mean(pair);
            mean.Add(new LimitPoint(h, (int)Math.Round(1 / h), m.Value, m.StandardError));
            var z = Estimators.Mean(zeroSq);
            nelson.Add(new LimitPoint(h, (int)Math.Round(1 / h), Math.Sqrt(z.Value), 0));
        }
        return
        [
            new LimitSeries("db-variance-over-h", "linear", GridKind.Uniform, varPred, 0, true, variance),
            new LimitSeries("db-mean-over-h", "linear", GridKind.Uniform, meanPred, 0, true, mean),
            new LimitSeries("db-nelson-rms", "zero", GridKind.Uniform, 0, 0, true, nelson),
        ];
    }

    // r = φ(x, t) + log π→(x' | x) − φ(x', t + h) − log π←(x | x'), x' = x + hμ→ + σ√h (sign·ξ).
    static double Residual(EulerMaruyamaPolicy policy, ReadOnlySpan<double> xi, double h, double c, int sign)
    {
        int d = xi.Length;
        Span<double> y = stackalloc double[2 * d], next = stackalloc double[d];
        policy.Drift.Forward(DbState, DbTime, y);
        for (int i = 0; i < d; i++) next[i] = DbState[i] + h * y[i] + Sigma * Math.Sqrt(h) * sign * xi[i];
        // With c = 0 the flow is the reference marginal log N(0, σ²t), whose t = 0 value is the point mass log F₀ = 0.
        return Phi(DbState, DbTime, c) + policy.LogForward(DbState, next, h, y) - Phi(next, DbTime + h, c)
               - policy.LogBackward(DbState, next, DbTime, DbTime + h);
    }

    // Small-h limits: Var/h → ‖σ⁻¹(μ→ − μ←) − σ∇φ‖²; E/h → |μ→ − μ←|²/(2σ²) − d/t − ∂ₜφ − μ→·∇φ − (σ²/2)Δφ,
    // with μ← = x/t, ∇φ = −x/v, Δφ = −d/v, ∂ₜφ = −(d/2)σ²/v + |x|²σ²/(2v²), v = σ²t + c.
    static (double Variance, double Mean) DbPredictions()
    {
        int d = DbState.Length;
        double s2 = Sigma * Sigma, t = DbTime, v = s2 * t + DbFlowOffset, x2 = 0, varPred = 0, diff2 = 0, muGradPhi = 0;
        for (int i = 0; i < d; i++)
        {
            double x = DbState[i], muF = DbSlope[i] * x + DbOffset[i], muB = x / t, g = -x / v;
            double a = (muF - muB) / Sigma - Sigma * g;
            varPred += a * a;
            diff2 += (muF - muB) * (muF - muB);
            muGradPhi += muF * g;
            x2 += x * x;
        }
        double dtPhi = -0.5 * d * s2 / v + x2 * s2 / (2 * v * v);
        double meanPred = diff2 / (2 * s2) - d / t - dtPhi - muGradPhi - 0.5 * s2 * (-d / v);
        return (varPred, meanPred);
    }

    // Sample variance and its delta-method standard error from the fourth central moment.
    static (double Variance, double StandardError) VarianceWithError(double[] a)
    {
        double m = 0, v = 0, m4 = 0;
        foreach (var x in a) m += x;
        m /= a.Length;
        foreach (var x in a) { double z = (x - m) * (x - m); v += z; m4 += z * z; }
        v /= a.Length - 1; m4 /= a.Length;
        return (v, Math.Sqrt((m4 - v * v) / a.Length));
    }
}
