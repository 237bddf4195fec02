using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Per-step coefficients of a reverse step that freezes the score at the step's start,
/// Y ← a_k Y + c_k s(Y, τ_k) + σ_k z with z from normal role 0 (not drawn when σ_k = 0). DDPM ancestral, DDIM and the
/// exponential integrators of the reverse SDE and of the PF-ODE all have this form; they differ only in (a_k, c_k, σ_k).
/// </summary>
internal sealed class FrozenScoreSteps
{
    readonly double[] a, c, sigma;

    /// <summary>(a_k, c_k, σ_k) = <paramref name="coefficients"/>(k, level k, level k+1) for every step of <paramref name="grid"/>.</summary>
    public FrozenScoreSteps(NoiseGrid grid, Func<int, NoiseLevel, NoiseLevel, (double A, double C, double Sigma)> coefficients)
    {
        int n = grid.Steps;
        a = new double[n];
        c = new double[n];
        sigma = new double[n];
        for (int k = 0; k < n; k++) (a[k], c[k], sigma[k]) = coefficients(k, grid[k], grid[k + 1]);
    }

    /// <summary>Step k of <paramref name="x"/> with the score at τ_k; uses 2d scratch (d when σ_k = 0).</summary>
    public void Apply(ref StepContext ctx, Span<double> x, int k, double tau)
    {
        int d = x.Length;
        var s = ctx.Scratch[..d];
        ctx.Score(x, tau, s);
        double sk = sigma[k];
        TensorPrimitives.Multiply(x, a[k], x);
        TensorPrimitives.MultiplyAdd(s, c[k], x, x);
        if (sk == 0) return;
        var z = ctx.Scratch.Slice(d, d);
        ctx.Normals(0, z);
        TensorPrimitives.MultiplyAdd(z, sk, x, x);
    }

    /// <summary>
    /// Step k of every chain of a block (states contiguous, d each) with one batched score call at τ_k, then each row
    /// updated by exactly the calls <see cref="Apply"/> makes on it, so a row gets Apply's bits whenever the field's
    /// ScoreRows gives Score's bits. Uses n·d + d scratch.
    /// </summary>
    public void ApplyBlock(ref BlockContext ctx, Span<double> states, int k, double tau)
    {
        int n = ctx.Chains, d = states.Length / n;
        var s = ctx.Scratch[..(n * d)];
        ctx.ScoreBlock(states, tau, s);
        double sk = sigma[k];
        var z = ctx.Scratch.Slice(n * d, d);
        for (int r = 0; r < n; r++)
        {
            var x = states.Slice(r * d, d);
            TensorPrimitives.Multiply(x, a[k], x);
            TensorPrimitives.MultiplyAdd(s.Slice(r * d, d), c[k], x, x);
            if (sk == 0) continue;
            ctx.Normals(r, 0, z);
            TensorPrimitives.MultiplyAdd(z, sk, x, x);
        }
    }
}
