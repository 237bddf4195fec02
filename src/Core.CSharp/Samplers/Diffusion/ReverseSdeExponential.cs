using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Numerics;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Exponential integrator for the reverse SDE dY = (Y + 2 s) dt + √2 dB in OU time: the linear part and the noise are
/// integrated exactly with the score frozen at the step's start,
/// Y ← e^h Y + 2(e^h − 1) s(Y, τ_k) + √(e^{2h} − 1) z, with e^h − 1 and e^{2h} − 1 by expm1. One NFE per step.
/// </summary>
public sealed class ReverseSdeExponential : ReverseGridKernel
{
    readonly FrozenScoreSteps steps;

    /// <summary>The exponential integrator on <paramref name="grid"/>.</summary>
    public ReverseSdeExponential(int dimension, NoiseGrid grid, StartLaw? start = null) : base(dimension, grid, start)
    {
        steps = new FrozenScoreSteps(grid, (k, _, _) =>
        {
            double h = OuStep(k), em1 = StableMath.Expm1(h);
            return (1 + em1, 2 * em1, Math.Sqrt(StableMath.Expm1(2 * h)));
        });
    }

    /// <inheritdoc/>
    public override string Name => $"reverse-SDE-exponential({Grid.Name})";
    /// <inheritdoc/>
    public override int ScratchLength => 2 * Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => 1;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int k = StepIndex(ctx);
        steps.Apply(ref ctx, state[..Dimension], k, Grid[k].Tau);
    }
}
