using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Numerics;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Score-frozen exponential Euler for the PF-ODE (docs/algorithms.md (ii); [GCC24] eq. (7) with α = 1):
/// Y_{k+1} = e^h Y_k + (e^h − 1) s(Y_k, τ_k), e^h = √(ᾱ_{k+1}/ᾱ_k). Differs from DDIM, which freezes ε̂ instead of s.
/// One NFE per step.
/// </summary>
public sealed class ProbabilityFlowExponentialEuler : ReverseGridKernel
{
    readonly FrozenScoreSteps steps;

    /// <summary>Score-frozen exponential Euler on <paramref name="grid"/>.</summary>
    public ProbabilityFlowExponentialEuler(int dimension, NoiseGrid grid, StartLaw? start = null) : base(dimension, grid, start)
    {
        steps = new FrozenScoreSteps(grid, (k, _, _) =>
        {
            double em1 = StableMath.Expm1(OuStep(k));
            return (1 + em1, em1, 0);
        });
    }

    /// <inheritdoc/>
    public override string Name => $"PF-ODE-exponential-Euler({Grid.Name})";
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
