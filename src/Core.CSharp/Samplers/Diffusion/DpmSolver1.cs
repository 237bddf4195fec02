using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Numerics;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// DPM-Solver-1 ([LZB+22] §3.3, docs/algorithms.md): the exponential integrator of the PF-ODE in the half
/// log-SNR λ = log(α/σ), α = √ᾱ, σ = √τ, with ε̂ frozen over the step s → t of length h = λ_t − λ_s:
/// x_t = (α_t/α_s) x_s − σ_t (e^h − 1) ε̂(x_s, s), ε̂ = −σ_s s(x_s, τ_s). Algebraically DDIM with η = 0; the e^h − 1
/// form keeps full precision on short steps, where DDIM's α_tσ_s/α_s − σ_t cancels. One NFE per step, deterministic.
/// </summary>
public sealed class DpmSolver1 : ReverseGridKernel
{
    readonly FrozenScoreSteps steps;

    /// <summary>DPM-Solver-1 on <paramref name="grid"/>.</summary>
    public DpmSolver1(int dimension, NoiseGrid grid, StartLaw? start = null) : base(dimension, grid, start)
    {
        steps = new FrozenScoreSteps(grid, (_, from, to) => (Math.Sqrt(to.AlphaBar / from.AlphaBar), ScoreCoefficient(from, to), 0));
    }

    /// <summary>
    /// The coefficient c of s(x, τ_s) in x_t = a x + c s: σ_s σ_t (e^h − 1) with h = ½(log-SNR_t − log-SNR_s); at
    /// τ_t = 0 (h = ∞) its limit a τ_s, since σ_t e^h = α_t σ_s/α_s. Shared with <see cref="DpmSolver2"/>.
    /// </summary>
    internal static double ScoreCoefficient(NoiseLevel from, NoiseLevel to) =>
        to.Tau == 0
            ? Math.Sqrt(to.AlphaBar / from.AlphaBar) * from.Tau
            : from.NoiseScale * to.NoiseScale * StableMath.Expm1(0.5 * (to.LogSnr - from.LogSnr));

    /// <inheritdoc/>
    public override string Name => $"DPM-Solver-1({Grid.Name})";
    /// <inheritdoc/>
    public override int ScratchLength => Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => 0;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int k = StepIndex(ctx);
        steps.Apply(ref ctx, state[..Dimension], k, Grid[k].Tau);
    }
}
