using RateLab.Core.Contracts;
using System.Numerics.Tensors;
using RateLab.Core.Diffusion;
using RateLab.Core.Numerics;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// DPM-Solver-2 ([LZB+22] §3.3, Algorithm 1 with r₁ = ½, docs/algorithms.md): a DPM-Solver-1 step to the midpoint m in
/// half log-SNR, λ_m = (λ_s + λ_t)/2, then the full step s → t with ε̂ taken there:
/// u = (α_m/α_s) x − σ_m (e^{h/2} − 1) ε̂(x, s),  x_t = (α_t/α_s) x − σ_t (e^h − 1) ε̂(u, m).
/// Second order in h. Two NFE per step in two sequential rounds; a last step to τ = 0 (λ = ∞, no midpoint) is the
/// DPM-Solver-1 step, 1 NFE. Deterministic.
/// </summary>
public sealed class DpmSolver2 : ReverseGridKernel
{
    // Per step k: the midpoint level and the coefficients of x_{m} = aMid x + cMid s(x, τ_k) and of
    // x_{k+1} = a x + c s(u, τ_m) (c = that of s(x, τ_k) on a last step to τ = 0).
    readonly double[] tauMid, aMid, cMid, a, c;

    /// <summary>DPM-Solver-2 on <paramref name="grid"/>.</summary>
    public DpmSolver2(int dimension, NoiseGrid grid, StartLaw? start = null) : base(dimension, grid, start)
    {
        int n = grid.Steps;
        tauMid = new double[n];
        aMid = new double[n];
        cMid = new double[n];
        a = new double[n];
        c = new double[n];
        for (int k = 0; k < n; k++)
        {
            NoiseLevel from = grid[k], to = grid[k + 1];
            a[k] = Math.Sqrt(to.AlphaBar / from.AlphaBar);
            if (to.Tau == 0)
            {
                c[k] = DpmSolver1.ScoreCoefficient(from, to);
                continue;
            }
            var mid = NoiseLevel.FromLogSnr(0.5 * (from.LogSnr + to.LogSnr));
            tauMid[k] = mid.Tau;
            aMid[k] = Math.Sqrt(mid.AlphaBar / from.AlphaBar);
            cMid[k] = DpmSolver1.ScoreCoefficient(from, mid);
            // −σ_t (e^h − 1) ε̂(u, m) with ε̂ = −σ_m s(u, τ_m): the DPM-Solver-1 coefficient from s to t, rescaled
            // from σ_s to σ_m.
            c[k] = to.NoiseScale * mid.NoiseScale * StableMath.Expm1(0.5 * (to.LogSnr - from.LogSnr));
        }
    }

    /// <summary>Score evaluations of a whole run: 2 per step, 1 for a last step to τ = 0.</summary>
    public int EvaluationsPerRun => 2 * Steps - (Grid.End.Tau == 0 ? 1 : 0);
    /// <inheritdoc/>
    public override string Name => $"DPM-Solver-2({Grid.Name})";
    /// <inheritdoc/>
    public override int ScratchLength => 2 * Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => 0;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int k = StepIndex(ctx);
        var x = state[..Dimension];
        var s = ctx.Scratch[..Dimension];
        ctx.Score(x, Grid[k].Tau, s);
        if (Grid[k + 1].Tau == 0)
        {
            TensorPrimitives.Multiply(x, a[k], x);
            TensorPrimitives.MultiplyAdd(s, c[k], x, x);
            return;
        }
        var u = ctx.Scratch.Slice(Dimension, Dimension);
        TensorPrimitives.Multiply(x, aMid[k], u);
        TensorPrimitives.MultiplyAdd(s, cMid[k], u, u);
        ctx.Score(u, tauMid[k], s);
        TensorPrimitives.Multiply(x, a[k], x);
        TensorPrimitives.MultiplyAdd(s, c[k], x, x);
    }
}
