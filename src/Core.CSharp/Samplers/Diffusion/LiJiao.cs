using System.Numerics.Tensors;
using RateLab.Core.Contracts;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Li &amp; Jiao's sequential sampler [LJ25] (docs/algorithms.md, Step 4). One kernel step is one round k: for n = 1…N,
/// Y_{k,n}/√ᾱ_{k,n} = Y_k/√ᾱ_{k,0} + g₀(τ_{k,0} − τ̂_{k,0}) + Σ_{i=1}^{n−1} gᵢ(τ̂_{k,i−1} − τ̂_{k,i}) + g_{n−1}(τ̂_{k,n−1} − τ_{k,n})
/// with gᵢ = s(Y_{k,i}, τ_{k,i}) / (2 ᾱ_{k,i}^{3/2}) (eq. (11b)), then the injection
/// Y_{k+1} = √(ᾱ_{k+1,0}/ᾱ_{k,N}) Y_{k,N} + √((τ_{k+1,0} − τ_{k,N})/ᾱ_{k,N}) Z_k (eq. (11a)), Z_k the normals of role 0.
/// K steps, exactly 2T score calls; the last injection is kept (it produces the output, a draw of X at τ_{K,0}).
/// </summary>
/// <remarks>State: Y (d doubles), then the schedule's T + N/2 + 1 uniforms, drawn once in Init and shared by the
/// overlapping rounds.</remarks>
public sealed class LiJiao : LiJiaoKernel
{
    /// <summary>Li–Jiao in dimension <paramref name="dimension"/> on <paramref name="schedule"/>.</summary>
    public LiJiao(int dimension, LiJiaoSchedule schedule) : base(dimension, schedule) { }

    /// <inheritdoc/>
    public override string Name => Schedule.Levels == LiJiaoLevels.Randomized ? "Li-Jiao" : "Li-Jiao(upper-endpoint)";
    /// <inheritdoc/>
    public override int ScratchLength => 2 * Dimension;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension, k = Schedule.RoundOf(ctx.Step), n = Schedule.N;
        var y = state[..d];
        ReadOnlySpan<double> u = state[d..];
        var c = ctx.Scratch[..d];
        var s = ctx.Scratch.Slice(d, d);
        var s0 = Schedule.RoundLevel(u, k, 0);
        double inv = 1 / Math.Sqrt(s0.AlphaBar);
        TensorPrimitives.Multiply(y, inv, c);
        for (int m = 1; m <= n; m++)
        {
            ctx.Score(y, Schedule.RoundLevel(u, k, m - 1).Tau, s);
            var (closed, open, scale) = Schedule.CellWeights(u, k, m);
            TensorPrimitives.MultiplyAdd(s, closed, c, c);
            TensorPrimitives.MultiplyAdd(s, open, c, y);
            TensorPrimitives.Multiply(y, scale, y);
        }
        Schedule.Inject(ref ctx, u, k, y, s);
    }
}
