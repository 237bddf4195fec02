using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Numerics;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>How the Li–Jiao evaluation level of each cell is chosen.</summary>
public enum LiJiaoLevels
{
    /// <summary>τ ~ Unif(β̂_{t−1}, β̂_t): the randomized schedule of [LJ25] (Step 2).</summary>
    Randomized,
    /// <summary>τ = β̂_t, the cell's upper endpoint (first in reverse time): the deterministic comparison scheme.</summary>
    UpperEndpoint,
}

/// <summary>
/// The Li–Jiao schedule (docs/algorithms.md, Steps 1–3). Skeleton, for t = T+1, …, −N/2+1, with h = log T / T:
/// α̂_{T+1} = T^{−c₀}, α̂_{t−1} = α̂_t + c₁ α̂_t β̂_t h and β̂_{t−1} = β̂_t (1 − c₁ α̂_t h), so α̂ + β̂ = 1 while each is
/// accurate where it is small. Randomisation: τ_t = 1 − ᾱ_t ~ Unif(β̂_{t−1}, β̂_t) for t = −N/2+1, …, T+1, from one uniform
/// u_t each. Rounds: τ_{k,n} = τ_{T−kN/2−n+1}, τ̂_{k,n} = β̂_{T−kN/2−n}, so rounds overlap by half: τ_{k+1,n} = τ_{k,n+N/2}.
/// </summary>
/// <remarks>The draws u are per run and live in the sampler's aux state; this object holds only the deterministic
/// skeleton, so it can be shared by all chains.</remarks>
public sealed class LiJiaoSchedule
{
    readonly double[] alphaHat, betaHat, width;

    /// <summary>The catalog's default rounds K; with it T must be a multiple of 4 (N = 2T/K even).</summary>
    public const int DefaultRounds = 4;
    /// <summary>The catalog's default c₀: the start level α̂_{T+1} = T^{−2}.</summary>
    public const double DefaultC0 = 2.0;
    /// <summary>The catalog's default c₁ (c₁ − c₀ = 2 keeps the end level δ ≈ T^{−2}).</summary>
    public const double DefaultC1 = 4.0;

    /// <summary>The schedule with grid size <paramref name="t"/> (2T NFE), <paramref name="k"/> rounds and constants c₀ &lt; c₁.</summary>
    public LiJiaoSchedule(int t, int k, double c0, double c1, LiJiaoLevels levels = LiJiaoLevels.Randomized)
    {
        // 2T (the NFE, and the divisibility checks below) must fit in an int.
        T = Guard.InRange(t, 2, int.MaxValue / 2, "T");
        K = Guard.AtLeast(k, 1, "K");
        if ((2 * t) % k != 0)
            throw new ArgumentOutOfRangeException("K", $"K = {k} is out of range; allowed: divisors of 2T = {2 * t}.");
        N = 2 * t / k;
        if (N % 2 != 0)
            throw new ArgumentOutOfRangeException("K", $"K = {k} gives N = 2T/K = {N}, which is odd; allowed: K with 2T/K even.");
        C0 = Guard.Positive(c0, "c0");
        C1 = Guard.InOpen(c1, c0, double.PositiveInfinity, nameof(c1));
        H = Math.Log(t) / t;
        if (!(c1 * H < 1))
            throw new ArgumentOutOfRangeException(nameof(c1), $"c1 = {c1:R} gives c1·log T/T = {c1 * H:R}; allowed: c1·log T/T < 1, i.e. c1 < {1 / H:R}.");
        Levels = levels;

        int count = T + N / 2 + 2;   // t = −N/2 … T+1, stored at t + N/2
        alphaHat = new double[count];
        betaHat = new double[count];
        width = new double[count];
        int top = count - 1;
        alphaHat[top] = Math.Pow(t, -c0);
        betaHat[top] = -StableMath.Expm1(-c0 * Math.Log(t));
        for (int j = top; j > 0; j--)
        {
            // β̂_t − β̂_{t−1} = c₁ α̂_t β̂_t h exactly in both recursions, so the cell width needs no subtraction.
            width[j] = c1 * alphaHat[j] * betaHat[j] * H;
            betaHat[j - 1] = betaHat[j] * (1 - c1 * alphaHat[j] * H);
            // Once β̂ < ½, 1 − β̂ is exact to an ulp of 1 while the additive sum would drift past 1.
            alphaHat[j - 1] = betaHat[j - 1] < 0.5 ? 1 - betaHat[j - 1] : alphaHat[j] + width[j];
        }
        // With c₁h near 1, β̂ shrinks geometrically (factor ≈ 1 − c₁h per index), not like T^{−(c₁−c₀)}, and can leave
        // the float64 range; such a schedule has no representable end levels.
        if (!(betaHat[0] > 1e-290))
            throw new ArgumentOutOfRangeException(nameof(c1), $"c1 = {c1:R} drives the last level β̂_{{{-N / 2}}} = {betaHat[0]:R} below 1e-290; allowed: c1 small enough that the levels stay representable.");
    }

    /// <summary>Grid size T (total NFE of the sequential sampler is 2T).</summary>
    public int T { get; }
    /// <summary>Number of rounds K.</summary>
    public int K { get; }
    /// <summary>Score calls per round N = 2T/K (even).</summary>
    public int N { get; }
    /// <summary>Constant c₀ (start level α̂_{T+1} = T^{−c₀}).</summary>
    public double C0 { get; }
    /// <summary>Constant c₁ (log-SNR growth c₁ log T/T per index).</summary>
    public double C1 { get; }
    /// <summary>The step h = log T / T of the skeleton recursion.</summary>
    public double H { get; }
    /// <summary>Randomized or upper-endpoint evaluation levels.</summary>
    public LiJiaoLevels Levels { get; }
    /// <summary>Number of per-run uniforms: T + N/2 + 1 (one per t = −N/2+1 … T+1).</summary>
    public int DrawCount => T + N / 2 + 1;

    int Slot(int t)
    {
        if (t < -N / 2 || t > T + 1) throw new ArgumentOutOfRangeException(nameof(t), $"t = {t} is out of range; allowed: [{-N / 2}, {T + 1}].");
        return t + N / 2;
    }

    /// <summary>Skeleton α̂_t for t ∈ [−N/2, T+1] (additive recursion).</summary>
    public double AlphaHat(int t) => alphaHat[Slot(t)];

    /// <summary>Skeleton β̂_t for t ∈ [−N/2, T+1] (multiplicative recursion, accurate as β̂ → 0).</summary>
    public double BetaHat(int t) => betaHat[Slot(t)];

    /// <summary>Fills the per-run draws: u_j = ctx.Uniform(j) (randomized) or 1 (upper endpoint), j = t + N/2 − 1.</summary>
    public void Draw(ref StepContext ctx, Span<double> u)
    {
        Guard.Length(u.Length, DrawCount, "schedule draws");
        for (int j = 0; j < u.Length; j++) u[j] = Levels == LiJiaoLevels.Randomized ? ctx.Uniform(j) : 1.0;
    }

    double U(ReadOnlySpan<double> u, int t) => u[Slot(t) - 1];

    /// <summary>The drawn level τ_t = β̂_{t−1} + u_t (β̂_t − β̂_{t−1}), t ∈ [−N/2+1, T+1].</summary>
    public NoiseLevel Level(ReadOnlySpan<double> u, int t)
    {
        int j = Slot(t);
        if (j == 0) throw new ArgumentOutOfRangeException(nameof(t), $"t = {t} is out of range; allowed: [{1 - N / 2}, {T + 1}].");
        return LevelAtSlot(u, j);
    }

    /// <summary><see cref="Level"/> at the storage slot j = t + N/2 ≥ 1 of a skeleton index t already checked.</summary>
    internal NoiseLevel LevelAtSlot(ReadOnlySpan<double> u, int j)
    {
        double ut = u[j - 1], tau = betaHat[j - 1] + ut * width[j], alphaBar = alphaHat[j] + (1 - ut) * width[j];
        // Keep the small member and derive the other from it (the sum of the two may round past 1).
        if (tau < 0.5) alphaBar = 1 - tau; else tau = 1 - alphaBar;
        return NoiseLevel.FromTauAndAlphaBar(tau, alphaBar);
    }

    /// <summary>The storage slot of τ_{k,n}: what every chain shares of its level (its skeleton cell), so a block of
    /// chains finds it once per cell.</summary>
    internal int RoundSlot(int k, int n)
    {
        int t = RoundIndex(k, n), j = Slot(t);
        if (j == 0) throw new ArgumentOutOfRangeException(nameof(t), $"t = {t} is out of range; allowed: [{1 - N / 2}, {T + 1}].");
        return j;
    }

    /// <summary>The skeleton index t = T − kN/2 − n + 1 of τ_{k,n}.</summary>
    public int RoundIndex(int k, int n)
    {
        Guard.AtLeast(k, 0, nameof(k));
        if (k > K) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} is out of range; allowed: [0, {K}].");
        return T - k * (N / 2) - n + 1;
    }

    /// <summary>The drawn level τ_{k,n} (k ≤ K−1 with n ∈ [0, N], or k = K with n = 0).</summary>
    public NoiseLevel RoundLevel(ReadOnlySpan<double> u, int k, int n) => Level(u, RoundIndex(k, n));

    /// <summary>The skeleton level τ̂_{k,n} = β̂_{T−kN/2−n}, n ∈ [−1, N].</summary>
    public NoiseLevel RoundSkeleton(int k, int n)
    {
        int j = Slot(RoundIndex(k, n) - 1);
        return NoiseLevel.FromTauAndAlphaBar(betaHat[j], alphaHat[j]);
    }

    /// <summary>Top partial piece τ_{k,0} − τ̂_{k,0} = u_t (β̂_t − β̂_{t−1}) at t = T − kN/2 + 1.</summary>
    public double TopPiece(ReadOnlySpan<double> u, int k)
    {
        int t = RoundIndex(k, 0);
        return U(u, t) * width[Slot(t)];
    }

    /// <summary>Full cell τ̂_{k,i−1} − τ̂_{k,i} = β̂_t − β̂_{t−1} at t = T − kN/2 − i + 1, i ≥ 1.</summary>
    public double Cell(int k, int i) => width[Slot(RoundIndex(k, i))];

    /// <summary>Bottom partial piece τ̂_{k,n−1} − τ_{k,n} = (1 − u_t)(β̂_t − β̂_{t−1}) at t = T − kN/2 − n + 1.</summary>
    public double BottomPiece(ReadOnlySpan<double> u, int k, int n)
    {
        int t = RoundIndex(k, n);
        return (1 - U(u, t)) * width[Slot(t)];
    }

    /// <summary>
    /// Weights of cell m ∈ [1, N] of round k in eq. (11b), i = m − 1: Closed = gᵢ-factor × (top piece for i = 0, else
    /// cell i), Open = gᵢ-factor × bottom piece of m, with gᵢ-factor 1/(2 ᾱ_{k,i}^{3/2}); Scale = √ᾱ_{k,m}.
    /// </summary>
    public (double Closed, double Open, double Scale) CellWeights(ReadOnlySpan<double> u, int k, int m) =>
        CellWeights(u, k, m, RoundLevel(u, k, m - 1).AlphaBar, RoundLevel(u, k, m).AlphaBar);

    /// <summary><see cref="CellWeights(ReadOnlySpan{double}, int, int)"/> from ᾱ_{k,m−1} and ᾱ_{k,m} already drawn
    /// (a step that walks the cells carries each level from one cell to the next instead of redrawing it).</summary>
    internal (double Closed, double Open, double Scale) CellWeights(ReadOnlySpan<double> u, int k, int m,
        double alphaBarBefore, double alphaBarAt) =>
        CellWeightsAtSlots(u, m == 1, RoundSlot(k, m - 1), RoundSlot(k, m), alphaBarBefore, alphaBarAt);

    /// <summary>
    /// The weights of a cell from the slots of τ_{k,m−1} (<paramref name="before"/>) and τ_{k,m} (<paramref name="at"/>):
    /// the closed piece is the top piece u_t·(β̂_t − β̂_{t−1}) of slot <paramref name="before"/> in the first cell
    /// (<paramref name="top"/>), its whole cell width otherwise; the open piece is (1 − u_t)·(β̂_t − β̂_{t−1}) of slot
    /// <paramref name="at"/>.
    /// </summary>
    internal (double Closed, double Open, double Scale) CellWeightsAtSlots(ReadOnlySpan<double> u, bool top,
        int before, int at, double alphaBarBefore, double alphaBarAt)
    {
        double ai = alphaBarBefore, gi = 1 / (2 * ai * Math.Sqrt(ai));
        double closed = gi * (top ? u[before - 1] * width[before] : width[before]);
        return (closed, gi * ((1 - u[at - 1]) * width[at]), Math.Sqrt(alphaBarAt));
    }

    /// <summary>The injection of eq. (11a) after round k, the exact forward transition τ_{k,N} → τ_{k+1,0}.</summary>
    public ForwardTransition Injection(ReadOnlySpan<double> u, int k) =>
        NoiseTransitions.Forward(RoundLevel(u, k, N), RoundLevel(u, k + 1, 0));

    /// <summary>The round k of kernel step <paramref name="step"/> (one round per step).</summary>
    internal int RoundOf(long step)
    {
        if (step < 0 || step >= K)
            throw new ArgumentOutOfRangeException("ctx", $"step = {step} is out of range; allowed: [0, {K - 1}] (K rounds).");
        return (int)step;
    }

    /// <summary>Applies the injection after round k to <paramref name="y"/> with the normals of role 0 (drawn into <paramref name="z"/>).</summary>
    internal void Inject(ref StepContext ctx, ReadOnlySpan<double> u, int k, Span<double> y, Span<double> z)
    {
        ctx.Normals(0, z);
        Inject(Injection(u, k), y, z);
    }

    /// <summary>Y ← √(ᾱ_{k+1,0}/ᾱ_{k,N}) Y + √((τ_{k+1,0} − τ_{k,N})/ᾱ_{k,N}) Z_k for <paramref name="forward"/> the injection
    /// of round k and <paramref name="z"/> its normals Z_k (eq. (11a)).</summary>
    internal static void Inject(ForwardTransition forward, Span<double> y, ReadOnlySpan<double> z)
    {
        TensorPrimitives.Multiply(y, forward.Scale, y);
        TensorPrimitives.MultiplyAdd(z, forward.NoiseSd, y, y);
    }

    /// <summary>
    /// Round k as a coupled-reference segment: exact flow τ_{k,0} → τ_{k,N}, then the injection up to τ_{k+1,0} driven by
    /// the normals of role 0 at kernel step k.
    /// </summary>
    public FlowSegment Segment(ReadOnlySpan<double> u, int k)
    {
        if (k < 0 || k >= K) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} is out of range; allowed: [0, {K - 1}].");
        return new FlowSegment(RoundLevel(u, k, 0), RoundLevel(u, k, N), true, RoundLevel(u, k + 1, 0), k, 0);
    }
}
