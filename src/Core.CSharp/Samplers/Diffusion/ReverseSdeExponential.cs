using RateLab.Core.Diffusion;
using RateLab.Core.Numerics;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Exponential integrator for the reverse SDE dY = (Y + 2 s) dt + √2 dB in OU time: the linear part and the noise are
/// integrated exactly with the score frozen at the step's start,
/// Y ← e^h Y + 2(e^h − 1) s(Y, τ_k) + √(e^{2h} − 1) z, with e^h − 1 and e^{2h} − 1 by expm1 (§7.3). One NFE per step.
/// </summary>
public sealed class ReverseSdeExponential : ReverseGridKernel
{
    readonly double[] growth, drift, noise;

    /// <summary>The exponential integrator on <paramref name="grid"/>.</summary>
    public ReverseSdeExponential(int dimension, NoiseGrid grid, StartLaw? start = null) : base(dimension, grid, start)
    {
        int n = grid.Steps;
        growth = new double[n]; drift = new double[n]; noise = new double[n];
        for (int k = 0; k < n; k++)
        {
            double h = OuStep(k), em1 = StableMath.Expm1(h);
            growth[k] = 1 + em1;
            drift[k] = 2 * em1;
            noise[k] = Math.Sqrt(StableMath.Expm1(2 * h));
        }
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
        int k = StepIndex(ctx), d = Dimension;
        var x = state[..d];
        var s = ctx.Scratch[..d];
        var z = ctx.Scratch.Slice(d, d);
        ctx.Score(x, Grid[k].Tau, s);
        ctx.Normals(0, z);
        for (int i = 0; i < d; i++) x[i] = growth[k] * x[i] + drift[k] * s[i] + noise[k] * z[i];
    }
}
