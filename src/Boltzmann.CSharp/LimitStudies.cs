using RateLab.Core.Contracts;
using RateLab.Core.Randomness;
using RateLab.Core.Targets;

namespace RateLab.Boltzmann;

/// <summary>
/// Continuous-time limits without training (docs/background.md C1, C2; docs/algorithms.md).
/// <para>Global objectives: on the target N(μ, diag s²) with σ = 1 and four drifts (zero, linear, the optimal
/// Gaussian drift, a fixed random network), on-policy trajectories on uniform and random grids are driven by one
/// Brownian path per key, sampled on a fine uniform grid of M steps and bridged to the coarse grid points. For each N
/// it reports the L² error of the discrete log-ratio δ_N against the fine-grid δ_M of the same path, the log-variance
/// objective ½Var δ_N and the TB objective ½E(δ_N + log Z)² with log Z_θ at the true log Z, each against its
/// continuous value (closed form for zero and optimal drift, fine grid otherwise), and the paired gaps of both
/// objectives to their fine-grid values on the same paths (the quantities whose decay in the step size is fitted).</para>
/// <para>Local (DB) residual at a fixed (x, t): Var[r | x]/h and E[r | x]/h against their small-h limits
/// ‖σ⁻¹(μ→ − μ←) − σ∇φ‖² and |μ→ − μ←|²/(2σ²) − div μ← − ∂ₜφ − μ→·∇φ − (σ²/2)Δφ, with the exact-bridge backward
/// policy (μ← = x/t; its variance σ²h t/(t+h) differs from Euler–Maruyama's σ²h only at relative order h, and that
/// changes neither prediction at order h: the log-determinant and quadratic corrections cancel in mean).</para>
/// </summary>
public static partial class LimitStudies
{
    const double Sigma = 1.0;
    static readonly double[] Mu = [1.0, -0.5], S2 = [0.5, 2.0];

    /// <summary>All series of both studies for <paramref name="profile"/>.</summary>
    public static IReadOnlyList<LimitSeries> Run(LimitProfile profile) => [.. GlobalObjectives(profile), .. DetailedBalanceResidual(profile)];

    /// <summary>The Gaussian target of the studies and its log Z = (d/2) log 2π + ½ Σ log sᵢ² (LogDensity is unnormalised).</summary>
    public static (DiagonalGaussian Target, double LogZ) StudyTarget()
    {
        var target = new DiagonalGaussian(Mu, S2, "limit-gaussian(d=2)");
        double logZ = 0;
        foreach (var v in S2) logZ += 0.5 * Math.Log(2 * Math.PI * v);
        return (target, logZ);
    }

    /// <summary>The global-objective series (rms-logrnd-error, logvar-objective, tb-objective per drift and grid kind).</summary>
    public static IReadOnlyList<LimitSeries> GlobalObjectives(LimitProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var (target, logZ) = StudyTarget();
        int d = Mu.Length;
        var drifts = new (string Name, IDriftModel Drift, bool Exact)[]
        {
            ("zero", new ZeroDrift(d), true),
            ("linear", new LinearDrift([-0.5, 0.3], [0.4, -0.2]), false),
            ("optimal", new GaussianOptimalDrift(Mu, S2, Sigma), true),
            ("random-network", TimeStateMlp.FixedRandomDrift(d, profile.Seed, 1.0, 16, 8), false),
        };
        var result = new List<LimitSeries>();
        foreach (var (name, drift, exact) in drifts)
            result.AddRange(GlobalForDrift(profile, target, logZ, name, drift, exact));
        return result;
    }

    static IEnumerable<LimitSeries> GlobalForDrift(LimitProfile p, DiagonalGaussian target, double logZ, string name, IDriftModel drift, bool exact)
    {
        var policy = new EulerMaruyamaPolicy(drift, Sigma);
        var noise = new PhiloxNoise(p.Seed);
        int d = target.Dimension, M = p.FineSteps, P = p.Paths;
        var kinds = new[] { GridKind.Uniform, GridKind.Random };
        var delta = new double[kinds.Length, p.StepCounts.Length, P];
        var maxStep = new double[kinds.Length, p.StepCounts.Length];
        var deltaRef = new double[P];
        var w = new double[(M + 1) * d];
        var fineTimes = new double[M + 1];
        for (int j = 0; j <= M; j++) fineTimes[j] = (double)j / M;
        for (int path = 0; path < P; path++)
        {
            FinePath(noise, path, M, d, w);
            deltaRef[path] = Delta(policy, target, fineTimes, w, d, noise, path);
            for (int k = 0; k < kinds.Length; k++)
                for (int m = 0; m < p.StepCounts.Length; m++)
                {
                    int N = p.StepCounts[m];
                    var times = new double[N + 1];
                    new TimeGrid(kinds[k], N, p.Ratio).Fill(noise, path, times);
                    double mx = 0;
                    for (int n = 0; n < N; n++) mx = Math.Max(mx, times[n + 1] - times[n]);
                    maxStep[k, m] += mx / P;
                    delta[k, m, path] = Delta(policy, target, times, w, d, noise, path);
                }
        }
        var (refVar, refVarSe) = GroupMeans(P, g => HalfVariance(deltaRef, g));
        var (refTb, refTbSe) = GroupMeans(P, g => HalfMeanSquare(deltaRef, logZ, g));
        if (exact)
        {
            (refVar, refTb) = name == "zero" ? ZeroDriftClosedForm() : (0.0, 0.0);
            refVarSe = refTbSe = 0;
        }
        for (int k = 0; k < kinds.Length; k++)
        {
            var err = new List<LimitPoint>(); var lv = new List<LimitPoint>(); var tb = new List<LimitPoint>();
            var lvGap = new List<LimitPoint>(); var tbGap = new List<LimitPoint>();
            for (int m = 0; m < p.StepCounts.Length; m++)
            {
                int N = p.StepCounts[m], km = k, mm = m;
                double[] row = Enumerable.Range(0, P).Select(i => delta[km, mm, i]).ToArray();
                var (e2, e2Se) = GroupMeans(P, g => MeanSquareDifference(row, deltaRef, g, P));
                double rms = Math.Sqrt(e2);
                err.Add(new LimitPoint(maxStep[k, m], N, rms, rms > 0 ? e2Se / (2 * rms) : 0));
                var (v, vSe) = GroupMeans(P, g => HalfVariance(row, g));
                lv.Add(new LimitPoint(maxStep[k, m], N, v, vSe));
                var (t2, t2Se) = GroupMeans(P, g => HalfMeanSquare(row, logZ, g));
                tb.Add(new LimitPoint(maxStep[k, m], N, t2, t2Se));
                // Paired on the same paths, so the path-to-path spread of the objective cancels from the SE.
                var (vg, vgSe) = GroupMeans(P, g => HalfVariance(row, g) - HalfVariance(deltaRef, g));
                lvGap.Add(new LimitPoint(maxStep[k, m], N, vg, vgSe));
                var (tg, tgSe) = GroupMeans(P, g => HalfMeanSquare(row, logZ, g) - HalfMeanSquare(deltaRef, logZ, g));
                tbGap.Add(new LimitPoint(maxStep[k, m], N, tg, tgSe));
            }
            yield return new LimitSeries("rms-logrnd-error", name, kinds[k], 0, 0, true, err);
            yield return new LimitSeries("logvar-objective", name, kinds[k], refVar, refVarSe, exact, lv);
            yield return new LimitSeries("tb-objective", name, kinds[k], refTb, refTbSe, exact, tb);
            yield return new LimitSeries("logvar-objective-gap-vs-fine", name, kinds[k], 0, 0, false, lvGap);
            yield return new LimitSeries("tb-objective-gap-vs-fine", name, kinds[k], 0, 0, false, tbGap);
        }
    }

    // Zero drift: δ + log Z = Σᵢ [½log(sᵢ²/σ²) + cᵢy² − μᵢy/sᵢ² + μᵢ²/(2sᵢ²)], y ~ N(0, σ²), cᵢ = (1/sᵢ² − 1/σ²)/2;
    // Var = Σ 2cᵢ²σ⁴ + μᵢ²σ²/sᵢ⁴ and E = Σ ½log(sᵢ²/σ²) + cᵢσ² + μᵢ²/(2sᵢ²).
    static (double HalfVar, double HalfSecondMoment) ZeroDriftClosedForm()
    {
        double s2 = Sigma * Sigma, var = 0, mean = 0;
        for (int i = 0; i < Mu.Length; i++)
        {
            double c = 0.5 * (1 / S2[i] - 1 / s2);
            var += 2 * c * c * s2 * s2 + Mu[i] * Mu[i] * s2 / (S2[i] * S2[i]);
            mean += 0.5 * Math.Log(S2[i] / s2) + c * s2 + Mu[i] * Mu[i] / (2 * S2[i]);
        }
        return (0.5 * var, 0.5 * (var + mean * mean));
    }

    // Standard Brownian path on t_j = j/M from the normals (path, j, role 0).
    static void FinePath(PhiloxNoise noise, long path, int M, int d, double[] w)
    {
        Span<double> z = stackalloc double[d];
        double sq = Math.Sqrt(1.0 / M);
        for (int i = 0; i < d; i++) w[i] = 0;
        for (int j = 0; j < M; j++)
        {
            noise.Normals(path, j, 0, z);
            for (int i = 0; i < d; i++) w[(j + 1) * d + i] = w[j * d + i] + sq * z[i];
        }
    }

    // W(s) on the fine path, bridged inside a fine cell with the normals (path, M + 1 + n, role 1).
    static void BrownianAt(double[] w, int M, int d, double s, INoiseSource noise, long path, int n, Span<double> dst)
    {
        int j = Math.Min((int)(s * M), M - 1);
        double a = (double)j / M, b = (double)(j + 1) / M;
        if (s == a || s == b)
        {
            int at = s == a ? j : j + 1;
            for (int i = 0; i < d; i++) dst[i] = w[at * d + i];
            return;
        }
        Span<double> z = stackalloc double[d];
        noise.Normals(path, M + 1 + n, 1, z);
        double f = (s - a) / (b - a), sd = Math.Sqrt((s - a) * (b - s) / (b - a));
        for (int i = 0; i < d; i++) dst[i] = w[j * d + i] + f * (w[(j + 1) * d + i] - w[j * d + i]) + sd * z[i];
    }

    // δ = Σ log π→ − Σ log π← − log R(x_N) along x_{n+1} = xₙ + Δm(xₙ, tₙ) + σ(W(tₙ₊₁) − W(tₙ)).
    static double Delta(EulerMaruyamaPolicy policy, DiagonalGaussian target, double[] times, double[] w, int d, INoiseSource noise, long path)
    {
        int N = times.Length - 1, M = w.Length / d - 1;
        Span<double> x = stackalloc double[d], next = stackalloc double[d], w0 = stackalloc double[d], w1 = stackalloc double[d];
        Span<double> y = stackalloc double[2 * d];
        x.Clear(); w0.Clear();
        double s = 0;
        for (int n = 0; n < N; n++)
        {
            double h = times[n + 1] - times[n];
            BrownianAt(w, M, d, times[n + 1], noise, path, n, w1);
            policy.Drift.Forward(x, times[n], y);
            for (int i = 0; i < d; i++) next[i] = x[i] + h * y[i] + policy.Sigma * (w1[i] - w0[i]);
            s += policy.LogForward(x, next, h, y) - policy.LogBackward(x, next, times[n], times[n + 1]);
            next.CopyTo(x); w1.CopyTo(w0);
        }
        return s - target.LogDensity(x);
    }

    // Mean and standard error of a statistic over LimitProfile.Groups contiguous groups of paths.
    static (double Value, double StandardError) GroupMeans(int paths, Func<Range, double> statistic)
    {
        int G = LimitProfile.Groups, size = paths / G;
        var v = new double[G];
        for (int g = 0; g < G; g++) v[g] = statistic(new Range(g * size, (g + 1) * size));
        var e = Estimators.Mean(v);
        return (e.Value, e.StandardError);
    }

    static double HalfVariance(double[] a, Range r)
    {
        var s = a.AsSpan(r); double m = 0, v = 0;
        foreach (var x in s) m += x;
        m /= s.Length;
        foreach (var x in s) v += (x - m) * (x - m);
        return 0.5 * v / (s.Length - 1);
    }

    static double HalfMeanSquare(double[] a, double logZ, Range r)
    {
        var s = a.AsSpan(r); double v = 0;
        foreach (var x in s) v += (x + logZ) * (x + logZ);
        return 0.5 * v / s.Length;
    }

    static double MeanSquareDifference(double[] a, double[] b, Range r, int n)
    {
        var (off, len) = r.GetOffsetAndLength(n); double v = 0;
        for (int i = off; i < off + len; i++) v += (a[i] - b[i]) * (a[i] - b[i]);
        return v / len;
    }
}
