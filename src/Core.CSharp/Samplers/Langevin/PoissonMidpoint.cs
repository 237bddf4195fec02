using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Randomness;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// Poisson midpoint method (PLMC, docs/algorithms.md; [KN24], restated by [SN25]): one outer step stands for K fine
/// steps of an <see cref="IFineDynamics"/> (of size h = α/K for Langevin dynamics, K consecutive levels for DDPM). The
/// drift b₀ = b(X̃_{tK}) is frozen, the frozen-drift interpolation X̃ᶜ_{i+1} = A_i X̃ᶜ_i + G_i b₀ + Γ_i Z_i supplies
/// midpoints, and at fine steps selected by H_i ~ Bernoulli(1/K) the K-amplified correction K·H_i·(b(X̃ᶜ_i) − b₀) is
/// added. Homogeneous dynamics apply the outer step in its closed form
/// X̃_{(t+1)K} = X̃ᶜ_{(t+1)K} + K Σ_{i: H_i = 1} A_h^{K−1−i} G_h (b_i − b₀); replayed dynamics (DDPM) run the corrected
/// chain again with drift b₀ + K H_i (b_i − b₀). Both use the same Z_i as the interpolation by construction.
/// </summary>
/// <remarks>
/// Randomness: fine step i draws its Z_i from its own normal roles; H_i = (Uniform(i) &lt; 1/K) for i ≥ 1. At i = 0 the
/// midpoint is the start, so the correction is zero and no evaluation is made. Cost: one evaluation of b₀, then all
/// selected midpoints in one batched call — 1 + Bin(K−1, 1/K) evaluations (mean 2 − 1/K) in at most 2 rounds.
/// </remarks>
public sealed class PoissonMidpoint : ISamplerKernel, IStepDraws
{
    readonly IFineDynamics fine;
    readonly IHomogeneousFineDynamics? homogeneous;
    readonly IReplayedFineDynamics? replayed;
    readonly double selectProbability;

    /// <summary>
    /// PLMC with <paramref name="k"/> fine steps of <paramref name="dynamics"/> per outer step (α = K·h for homogeneous
    /// dynamics), its midpoints taken from <paramref name="source"/>. The dynamics must be homogeneous or replayed, and
    /// homogeneous for <see cref="MidpointSource.Iterate"/>, which corrects each midpoint in place.
    /// </summary>
    public PoissonMidpoint(IFineDynamics dynamics, int k, MidpointSource source = MidpointSource.Interpolation)
    {
        Source = source;
        fine = dynamics ?? throw new ArgumentNullException(nameof(dynamics));
        homogeneous = dynamics as IHomogeneousFineDynamics;
        replayed = dynamics as IReplayedFineDynamics;
        if (homogeneous is null && (replayed is null || source == MidpointSource.Iterate))
            throw new ArgumentException($"dynamics = {dynamics.Name} is out of range for source = {source}; allowed: "
                + "homogeneous fine dynamics, or replayed ones with source = Interpolation.", nameof(dynamics));
        K = Guard.AtLeast(k, 1, "K");
        // Every fine step needs its own normal roles below the uniform range, and K midpoint rows must fit in scratch.
        long perK = 2L * dynamics.Dimension + 1;
        long fixedScratch = (long)(dynamics.Blocks + 1) * dynamics.Dimension + dynamics.ScratchLength;
        long maxK = Math.Min(CounterRng.UniformRoleBase / dynamics.NoiseRoles, (Array.MaxLength - fixedScratch) / perK);
        Guard.InClosed(k, 1, maxK, "K");
        selectProbability = 1.0 / k;
    }

    /// <summary>Expected score evaluations per outer step, 2 − 1/K: the start always, and each of the K − 1 later fine
    /// midpoints with probability 1/K (fine step 0's midpoint is the start itself).</summary>
    public static double ExpectedEvaluationsPerStep(int k) => 2.0 - 1.0 / Guard.AtLeast(k, 1, nameof(k));

    /// <summary>Overdamped PLMC (OLMC base) with outer step <paramref name="alpha"/> and K = <paramref name="k"/>.</summary>
    public static PoissonMidpoint Overdamped(int dimension, double alpha, int k, StartLaw start,
        MidpointSource source = MidpointSource.Interpolation) =>
        new(new OverdampedFineDynamics(dimension, FineStep(alpha, k), start), k, source);

    /// <summary>Underdamped PLMC (ULMC exponential integrator, unit mass, friction <paramref name="gamma"/>).</summary>
    public static PoissonMidpoint Underdamped(int dimension, double alpha, int k, double gamma, StartLaw start,
        bool zeroVelocity = false, MidpointSource source = MidpointSource.Interpolation) =>
        new(new UnderdampedFineDynamics(dimension, FineStep(alpha, k), gamma, start, zeroVelocity), k, source);

    static double FineStep(double alpha, int k) =>
        Guard.Positive(alpha, nameof(alpha)) / Guard.AtLeast(k, 1, "K");

    /// <summary>Where the midpoints come from.</summary>
    public MidpointSource Source { get; }

    /// <summary>Fine steps per outer step K.</summary>
    public int K { get; }
    /// <summary>The base dynamics.</summary>
    public IFineDynamics Dynamics => fine;
    /// <inheritdoc/>
    public string Name => Source == MidpointSource.Iterate ? $"PLMC-{fine.Name}(iterate)" : $"PLMC-{fine.Name}";
    /// <inheritdoc/>
    public int Dimension => fine.Dimension;
    /// <inheritdoc/>
    public int Blocks => fine.Blocks;
    /// <inheritdoc/>
    public int AuxLength => 0;
    /// <inheritdoc/>
    public int ScratchLength => (fine.Blocks + 1) * Dimension + fine.ScratchLength + (K - 1) * (2 * Dimension + 1);
    /// <inheritdoc/>
    public int InitNormalRoles => fine.InitNormalRoles;
    /// <inheritdoc/>
    public int NormalRoles => K * fine.NoiseRoles;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state) => fine.Init(ref ctx, state);

    /// <inheritdoc/>
    public void Step(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension, n = fine.Blocks * d, slots = K - 1;
        long step = ctx.Step;
        var scratch = ctx.Scratch;
        var b0 = scratch[..d];
        var xc = scratch.Slice(d, n);
        var fineScratch = scratch.Slice(d + n, fine.ScratchLength);
        var rest = scratch[(d + n + fine.ScratchLength)..];
        var rows = rest[..(slots * d)];
        var scores = rest.Slice(slots * d, slots * d);
        var taus = rest.Slice(2 * slots * d, slots);

        ctx.Score(state[..d], fine.Tau(step, 0), b0);
        fine.ToDrift(step, 0, b0);
        if (Source == MidpointSource.Iterate)
        {
            IterateStep(ref ctx, state[..n], b0, scores[..Math.Min(d, scores.Length)], fineScratch);
            return;
        }
        state[..n].CopyTo(xc);
        int fineSteps = fine.FineSteps(step, K), selected = 0;
        for (int i = 0; i < fineSteps; i++)
        {
            if (i > 0 && IsSelected(ref ctx, i))
            {
                xc[..d].CopyTo(rows.Slice(selected * d, d));
                taus[selected++] = fine.Tau(step, i);
            }
            fine.Advance(ref ctx, i, xc, b0, fineScratch);
        }
        ctx.ScoreRows(rows[..(selected * d)], taus[..selected], scores[..(selected * d)]);

        if (replayed is not null)
        {
            Replay(ref ctx, state[..n], b0, scores, fineScratch, fineSteps, selected);
            return;
        }
        xc.CopyTo(state[..n]);
        int row = 0;
        for (int i = 1; i < fineSteps && row < selected; i++)
        {
            if (!IsSelected(ref ctx, i)) continue;
            var delta = scores.Slice(row++ * d, d);
            fine.ToDrift(step, i, delta);
            TensorPrimitives.Subtract(delta, b0, delta);
            homogeneous!.AddPropagatedDrift(state, fineSteps - 1 - i, K, delta);
        }
    }

    // The corrected chain of replayed dynamics, from the outer step's start: drift b₀ + K(b_i − b₀) at the selected
    // midpoints (built in place of their score rows), b₀ elsewhere, with the normals the interpolation drew.
    void Replay(ref StepContext ctx, Span<double> x, ReadOnlySpan<double> b0, Span<double> scores,
        ReadOnlySpan<double> fineScratch, int fineSteps, int selected)
    {
        int d = Dimension, row = 0;
        long step = ctx.Step;
        for (int i = 0; i < fineSteps; i++)
        {
            if (i > 0 && row < selected && IsSelected(ref ctx, i))
            {
                var drift = scores.Slice(row++ * d, d);
                fine.ToDrift(step, i, drift);
                TensorPrimitives.Subtract(drift, b0, drift);
                TensorPrimitives.MultiplyAdd(drift, (double)K, b0, drift);
                replayed!.Replay(step, i, x, drift, fineScratch);
            }
            else replayed!.Replay(step, i, x, b0, fineScratch);
        }
    }

    // The fine steps in order, each selected midpoint evaluated at the iterate itself, its correction applied at once:
    // X_{i+1} = A X_i + G b₀ + Γ Z_i + K H_i G (b(X_i) − b₀). One round per selected midpoint.
    void IterateStep(ref StepContext ctx, Span<double> x, ReadOnlySpan<double> b0, Span<double> delta,
        Span<double> fineScratch)
    {
        int d = Dimension;
        long step = ctx.Step;
        for (int i = 0; i < K; i++)
        {
            bool selected = i > 0 && IsSelected(ref ctx, i);
            if (selected)
            {
                ctx.Score(x[..d], fine.Tau(step, i), delta);
                fine.ToDrift(step, i, delta);
                TensorPrimitives.Subtract(delta, b0, delta);
            }
            fine.Advance(ref ctx, i, x, b0, fineScratch);
            if (selected) homogeneous!.AddPropagatedDrift(x, 0, K, delta);
        }
    }

    // H_i ~ Bernoulli(1/K), addressed by i so the interpolation and the correction read the same draw.
    bool IsSelected(ref StepContext ctx, int i) => ctx.Uniform(i) < selectProbability;

    /// <summary>K uniforms per outer step: H_i = (U_i &lt; 1/K) for i ≥ 1; U_0 is never read.</summary>
    public int UniformsPerStep => K;

    /// <inheritdoc/>
    public StepDraw Draw(int index) => index == 0 ? new(DrawKind.Unused) : new(DrawKind.Bernoulli, 1.0 / K);
}

/// <summary>Where PLMC takes the drift of a selected midpoint from.</summary>
public enum MidpointSource
{
    /// <summary>The frozen-drift interpolation X̃ᶜ_i (the paper's form; all midpoints in one batched round).</summary>
    Interpolation,
    /// <summary>The actual iterate X_i, corrections of earlier midpoints included (one round per midpoint).</summary>
    Iterate,
}
