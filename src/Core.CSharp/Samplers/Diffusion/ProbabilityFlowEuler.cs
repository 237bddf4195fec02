using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Euler's method for the probability-flow ODE in OU time (docs/algorithms.md (c)): dY/dt = Y + s(Y, τ), so
/// Y ← Y + h (Y + s(Y, τ_k)) with h = ½(log ᾱ_{k+1} − log ᾱ_k). Deterministic after the start draw; one NFE per step.
/// </summary>
public sealed class ProbabilityFlowEuler : ReverseGridKernel
{
    readonly double[] h;

    /// <summary>PF-ODE Euler on <paramref name="grid"/>.</summary>
    public ProbabilityFlowEuler(int dimension, NoiseGrid grid, StartLaw? start = null) : base(dimension, grid, start)
    {
        h = new double[grid.Steps];
        for (int k = 0; k < h.Length; k++) h[k] = OuStep(k);
    }

    /// <inheritdoc/>
    public override string Name => $"PF-ODE-Euler({Grid.Name})";
    /// <inheritdoc/>
    public override int ScratchLength => Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => 0;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int k = StepIndex(ctx), d = Dimension;
        var x = state[..d];
        var s = ctx.Scratch[..d];
        ctx.Score(x, Grid[k].Tau, s);
        TensorPrimitives.Add(x, s, s);
        TensorPrimitives.MultiplyAdd(s, h[k], x, x);
    }
}
