using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// The noise levels a reverse sampler visits, from the noisiest (τ₀ ∈ (0, 1), where Y ~ N(0, I) starts) down to the
/// end level δ = τ_N ∈ [0, τ₀) (δ = 0 only for samplers that never evaluate the score at their last level).
/// Strictly decreasing in τ; <see cref="Steps"/> = N.
/// </summary>
public sealed class NoiseGrid
{
    readonly NoiseLevel[] levels;

    /// <summary>A grid from explicit levels; validates length ≥ 2, τ₀ &gt; 0 and strict decrease.</summary>
    public NoiseGrid(IReadOnlyList<NoiseLevel> levels, string name)
    {
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentNullException.ThrowIfNull(name);
        Guard.AtLeast(levels.Count, 2, "levels.Count");
        Guard.InOpen(levels[0].Tau, 0, 1, "levels[0].Tau");
        for (int i = 1; i < levels.Count; i++)
            if (!(levels[i].Tau < levels[i - 1].Tau))
                throw new ArgumentException(
                    $"levels[{i}].Tau = {levels[i].Tau:R} is not below levels[{i - 1}].Tau = {levels[i - 1].Tau:R}; allowed: strictly decreasing τ.",
                    nameof(levels));
        this.levels = levels.ToArray();
        Name = name;
    }

    /// <summary>Describes the grid by formula.</summary>
    public string Name { get; }
    /// <summary>Number of steps N (levels − 1).</summary>
    public int Steps => levels.Length - 1;
    /// <summary>Level i, i = 0..N.</summary>
    public NoiseLevel this[int i] => levels[i];
    /// <summary>All levels, top first.</summary>
    public ReadOnlySpan<NoiseLevel> Levels => levels;
    /// <summary>The top level τ₀.</summary>
    public NoiseLevel Top => levels[0];
    /// <summary>The end level δ = τ_N.</summary>
    public NoiseLevel End => levels[^1];

    /// <summary>
    /// N steps uniform in log-SNR λ from τ = <paramref name="tauMax"/> down to <paramref name="tauMin"/>
    /// (docs/algorithms.md, 'Noise levels and grids').
    /// </summary>
    public static NoiseGrid LogSnrUniform(double tauMax, double tauMin, int steps)
    {
        var (top, end) = Ends(tauMax, tauMin, steps);
        double l0 = top.LogSnr, l1 = end.LogSnr;
        return Build(steps, top, end, i => NoiseLevel.FromLogSnr(l0 + (l1 - l0) * i / steps),
            $"log-snr-uniform(tau={tauMax:R}..{tauMin:R},N={steps})");
    }

    /// <summary>
    /// N steps uniform in OU time t (equivalently in log ᾱ) from τ = <paramref name="tauMax"/> down to
    /// <paramref name="tauMin"/> ≥ 0.
    /// </summary>
    public static NoiseGrid OuTimeUniform(double tauMax, double tauMin, int steps)
    {
        var (top, end) = Ends(tauMax, tauMin, steps, allowZeroEnd: true);
        double t0 = top.OuTime, t1 = end.OuTime;
        return Build(steps, top, end, i => NoiseLevel.FromOuTime(t0 + (t1 - t0) * i / steps),
            $"ou-time-uniform(tau={tauMax:R}..{tauMin:R},N={steps})");
    }

    /// <summary>
    /// The EDM ρ-grid σ_i = (σ_max^{1/ρ} + i/(N−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ, i = 0..N−1 ([KAAL22];
    /// docs/algorithms.md, 'Noise levels and grids'), followed by σ_N = 0 when <paramref name="endAtZero"/> (N steps
    /// then), otherwise ending at σ_min (N−1 steps).
    /// </summary>
    public static NoiseGrid Edm(int levels, double sigmaMin = 0.002, double sigmaMax = 80, double rho = 7, bool endAtZero = true)
    {
        Guard.AtLeast(levels, 2, nameof(levels));
        Guard.Positive(sigmaMin, nameof(sigmaMin));
        Guard.InOpen(sigmaMax, sigmaMin, 1e150, nameof(sigmaMax));
        Guard.Positive(rho, nameof(rho));
        double a = Math.Pow(sigmaMax, 1 / rho), b = Math.Pow(sigmaMin, 1 / rho);
        var list = new List<NoiseLevel>(levels + 1);
        for (int i = 0; i < levels; i++)
            list.Add(i == levels - 1 ? NoiseLevel.FromSigma(sigmaMin) : NoiseLevel.FromSigma(Math.Pow(a + (double)i / (levels - 1) * (b - a), rho)));
        if (endAtZero) list.Add(NoiseLevel.Zero);
        return new NoiseGrid(list, $"edm(sigma={sigmaMax:R}..{sigmaMin:R},rho={rho:R},levels={levels}{(endAtZero ? ",then 0" : "")})");
    }

    static (NoiseLevel Top, NoiseLevel End) Ends(double tauMax, double tauMin, int steps, bool allowZeroEnd = false)
    {
        Guard.AtLeast(steps, 1, nameof(steps));
        Guard.InOpen(tauMax, 0, 1, nameof(tauMax));
        if (allowZeroEnd) HalfOpen.ClosedOpen(tauMin, 0, tauMax, nameof(tauMin));
        else Guard.InOpen(tauMin, 0, tauMax, nameof(tauMin));
        return (NoiseLevel.FromTau(tauMax), NoiseLevel.FromTau(tauMin));
    }

    // The end points are set exactly rather than re-derived, so a grid ends at the requested δ to the last bit.
    static NoiseGrid Build(int steps, NoiseLevel top, NoiseLevel end, Func<int, NoiseLevel> interior, string name)
    {
        var list = new NoiseLevel[steps + 1];
        list[0] = top;
        for (int i = 1; i < steps; i++) list[i] = interior(i);
        list[steps] = end;
        return new NoiseGrid(list, name);
    }
}
