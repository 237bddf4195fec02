using RateLab.Core.Numerics;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// A discrete DDPM noise schedule β₁..β_T (docs/algorithms.md) with levels n = 0..T, ᾱ₀ = 1, computed as
/// log ᾱ_n = Σ_{m≤n} log1p(−β_m) and τ_n = −expm1(log ᾱ_n) in float64. Schedules are named by formula, because
/// "linear" means different schedules in different code bases.
/// </summary>
public sealed class DdpmSchedule
{
    readonly double[] beta;
    readonly NoiseLevel[] levels;

    /// <summary>A schedule from explicit β₁..β_T ∈ (0, 1).</summary>
    public DdpmSchedule(double[] betas, string name)
    {
        ArgumentNullException.ThrowIfNull(betas);
        ArgumentNullException.ThrowIfNull(name);
        Guard.AtLeast(betas.Length, 1, "T");
        for (int i = 0; i < betas.Length; i++) Guard.InOpen(betas[i], 0, 1, $"betas[{i}]");
        beta = (double[])betas.Clone();
        levels = new NoiseLevel[betas.Length + 1];
        levels[0] = NoiseLevel.Zero;
        double logAlphaBar = 0;
        for (int n = 1; n <= betas.Length; n++)
        {
            logAlphaBar += StableMath.Log1p(-beta[n - 1]);
            levels[n] = NoiseLevel.FromLogAlphaBar(logAlphaBar);
        }
        Name = name;
    }

    /// <summary>Ho et al.'s linear β_n = β_start + (n−1)/(T−1)·(β_end − β_start) ([HJA20]; diffusers "linear").</summary>
    public static DdpmSchedule HoLinear(int steps = 1000, double betaStart = 1e-4, double betaEnd = 0.02)
    {
        CheckRange(steps, betaStart, betaEnd);
        return new(Ramp(steps, n => betaStart + n * (betaEnd - betaStart)),
            $"beta-linear(T={steps},beta={betaStart:R}..{betaEnd:R})");
    }

    /// <summary>
    /// The latent-diffusion schedule β_n = (√β_start + (n−1)/(T−1)·(√β_end − √β_start))² ([RBL+22]; latent-diffusion
    /// "linear", diffusers "scaled_linear").
    /// </summary>
    public static DdpmSchedule SqrtBetaLinear(int steps, double betaStart, double betaEnd)
    {
        CheckRange(steps, betaStart, betaEnd);
        double a = Math.Sqrt(betaStart), b = Math.Sqrt(betaEnd);
        return new(Ramp(steps, n => (a + n * (b - a)) * (a + n * (b - a))),
            $"sqrt-beta-linear(T={steps},beta={betaStart:R}..{betaEnd:R})");
    }

    /// <summary>Latent-diffusion VQ-f4 checkpoints (CelebA-HQ, FFHQ, LSUN-Bedrooms): √β linear, 0.0015..0.0195, T = 1000.</summary>
    public static DdpmSchedule LatentDiffusionVqF4() => SqrtBetaLinear(1000, 0.0015, 0.0195);

    /// <summary>Latent-diffusion KL-f8 LSUN-Churches checkpoint: √β linear, 0.0015..0.0155, T = 1000.</summary>
    public static DdpmSchedule LatentDiffusionKlF8() => SqrtBetaLinear(1000, 0.0015, 0.0155);

    /// <summary>
    /// Nichol–Dhariwal cosine schedule: ᾱ(u) = g(u)/g(0), g(u) = cos²((u+s)/(1+s)·π/2),
    /// β_n = min(1 − ᾱ(n/T)/ᾱ((n−1)/T), <paramref name="maxBeta"/>) ([ND21]).
    /// </summary>
    public static DdpmSchedule Cosine(int steps = 1000, double s = 0.008, double maxBeta = 0.999)
    {
        Guard.AtLeast(steps, 1, nameof(steps));
        Guard.Positive(s, nameof(s));
        Guard.InOpen(maxBeta, 0, 1, nameof(maxBeta));
        double G(double u) { double c = Math.Cos((u + s) / (1 + s) * Math.PI / 2); return c * c; }
        var betas = new double[steps];
        for (int n = 1; n <= steps; n++)
            betas[n - 1] = Math.Min(1 - G((double)n / steps) / G((double)(n - 1) / steps), maxBeta);
        return new(betas, $"cosine(T={steps},s={s:R},clip={maxBeta:R})");
    }

    /// <summary>Describes the schedule by formula.</summary>
    public string Name { get; }
    /// <summary>Number of training levels T.</summary>
    public int Steps => beta.Length;
    /// <summary>β_n for n = 1..T.</summary>
    public double Beta(int n) => n >= 1 ? beta[CheckIndex(n) - 1] : throw new ArgumentOutOfRangeException(nameof(n),
        $"n = {n} is out of range; allowed: integers in [1, {Steps}].");
    /// <summary>Level n = 0..T (n = 0 is clean data).</summary>
    public NoiseLevel Level(int n) => levels[CheckIndex(n)];

    /// <summary>
    /// The respaced grid through the strictly decreasing indices <paramref name="indices"/> (for example T, …, 0); every step
    /// n → m then uses β_{n→m} = 1 − ᾱ_n/ᾱ_m. The first index must be ≥ 1.
    /// </summary>
    public NoiseGrid Respace(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        Guard.AtLeast(indices.Count, 2, "indices.Count");
        var list = new NoiseLevel[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            if (indices[i] < 0 || indices[i] > Steps) throw new ArgumentOutOfRangeException(nameof(indices),
                $"indices[{i}] = {indices[i]} is out of range; allowed: integers in [0, {Steps}].");
            if (i > 0 && indices[i] >= indices[i - 1]) throw new ArgumentException(
                $"indices[{i}] = {indices[i]} is not below indices[{i - 1}] = {indices[i - 1]}; allowed: strictly decreasing indices.", nameof(indices));
            list[i] = levels[indices[i]];
        }
        return new NoiseGrid(list, $"{Name}@[{string.Join(",", indices)}]");
    }

    /// <summary>All T steps T → T−1 → … → 0.</summary>
    public NoiseGrid Full() => Respace(Enumerable.Range(0, Steps + 1).Reverse().ToArray());

    /// <summary><paramref name="steps"/> evenly spaced steps n_j = round(T·(S−j)/S), j = 0..S, from T to 0.</summary>
    public NoiseGrid Uniform(int steps)
    {
        Guard.InClosed(steps, 1, Steps, nameof(steps));
        var idx = new int[steps + 1];
        for (int j = 0; j <= steps; j++) idx[j] = (int)Math.Round((double)Steps * (steps - j) / steps, MidpointRounding.AwayFromZero);
        return Respace(idx);
    }

    int CheckIndex(int n)
    {
        if (n < 0 || n > Steps) throw new ArgumentOutOfRangeException(nameof(n), $"n = {n} is out of range; allowed: integers in [0, {Steps}].");
        return n;
    }

    static void CheckRange(int steps, double betaStart, double betaEnd)
    {
        Guard.AtLeast(steps, 2, nameof(steps));
        Guard.InOpen(betaStart, 0, 1, nameof(betaStart));
        Guard.InOpen(betaEnd, 0, 1, nameof(betaEnd));
    }

    // f receives the fraction (n−1)/(T−1) ∈ [0, 1] for n = 1..T.
    static double[] Ramp(int steps, Func<double, double> f)
    {
        var b = new double[steps];
        for (int n = 1; n <= steps; n++) b[n - 1] = f((double)(n - 1) / (steps - 1));
        return b;
    }
}
