using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// DDIM ([SME21], docs/algorithms.md (i)): ε̂ frozen over the step n → m,
/// x_m = √ᾱ_m x̂₀ + √(1−ᾱ_m−σ_η²) ε̂ + σ_η z, x̂₀ = (x + τ_n s)/√ᾱ_n, ε̂ = −√τ_n s,
/// σ_η² = η² (τ_m/τ_n)(1 − ᾱ_n/ᾱ_m). η = 0 is the deterministic DDIM (Euler in (x̄, σ)); η = 1 on consecutive levels is
/// the posterior-variance DDPM step. One NFE per step; one Gaussian per step when σ_η &gt; 0.
/// </summary>
public sealed class Ddim : ReverseGridKernel
{
    readonly FrozenScoreSteps steps;

    /// <summary>DDIM with <paramref name="eta"/> ∈ [0, 1] on <paramref name="grid"/>.</summary>
    public Ddim(int dimension, NoiseGrid grid, double eta, StartLaw? start = null) : base(dimension, grid, start)
    {
        Eta = Guard.InClosed(eta, 0, 1, nameof(eta));
        steps = new FrozenScoreSteps(grid, (_, from, to) =>
        {
            double beta = NoiseTransitions.Beta(to, from);
            double s2 = eta * eta * to.Tau / from.Tau * beta;
            // τ_m − σ_η² = τ_m[(1−η²)τ_n + η² ᾱ_n τ_m/ᾱ_m]/τ_n: the η = 1 case τ_n − β = ᾱ_n τ_m/ᾱ_m without cancellation.
            double epsVar = to.Tau * ((1 - eta * eta) * from.Tau + eta * eta * from.AlphaBar * to.Tau / to.AlphaBar) / from.Tau;
            double a = Math.Sqrt(to.AlphaBar / from.AlphaBar);
            // x_m = a x + [a τ_n − √((τ_m − σ²) τ_n)] s + σ z, expanding x̂₀ and ε̂ in s.
            return (a, a * from.Tau - Math.Sqrt(epsVar * from.Tau), Math.Sqrt(s2));
        });
    }

    /// <summary>The per-step coefficients, shared with <see cref="LockstepDdim"/>.</summary>
    internal FrozenScoreSteps Coefficients => steps;

    /// <summary>η.</summary>
    public double Eta { get; }
    /// <inheritdoc/>
    public override string Name => $"DDIM(eta={Eta:R},{Grid.Name})";
    /// <inheritdoc/>
    public override int ScratchLength => 2 * Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => Eta > 0 ? 1 : 0;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int k = StepIndex(ctx);
        steps.Apply(ref ctx, state[..Dimension], k, Grid[k].Tau);
    }
}
