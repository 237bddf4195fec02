using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Euler–Maruyama for the reverse SDE in OU time (docs/algorithms.md): dY = (Y + 2 s(Y, τ)) dt + √2 dB, so a step
/// of OU length h = ½(log ᾱ_{k+1} − log ᾱ_k) is Y ← Y + h (Y + 2 s(Y, τ_k)) + √(2h) z. One NFE per step; noise on
/// every step (it is the step's own Brownian increment, not a DDPM posterior draw).
/// </summary>
public sealed class ReverseSdeEulerMaruyama : ReverseGridKernel
{
    readonly double[] h;

    /// <summary>Euler–Maruyama on <paramref name="grid"/>.</summary>
    public ReverseSdeEulerMaruyama(int dimension, NoiseGrid grid, StartLaw? start = null) : base(dimension, grid, start)
    {
        h = new double[grid.Steps];
        for (int k = 0; k < h.Length; k++) h[k] = OuStep(k);
    }

    /// <inheritdoc/>
    public override string Name => $"reverse-SDE-EM({Grid.Name})";
    /// <inheritdoc/>
    public override int ScratchLength => 2 * Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => 1;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int k = StepIndex(ctx), d = Dimension;
        var x = state[..d];
        var s = ctx.Scratch[..d];
        var z = ctx.Scratch.Slice(d, d);
        ctx.Score(x, Grid[k].Tau, s);
        ctx.Normals(0, z);
        double hk = h[k], noise = Math.Sqrt(2 * hk);
        // x += h (x + 2s) + √(2h) z, in the scalar expression's rounding order (2s is exact).
        TensorPrimitives.MultiplyAdd(s, 2.0, x, s);
        TensorPrimitives.Multiply(s, hk, s);
        TensorPrimitives.MultiplyAdd(z, noise, s, s);
        TensorPrimitives.Add(x, s, x);
    }
}
