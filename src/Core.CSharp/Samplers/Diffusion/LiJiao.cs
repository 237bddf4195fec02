using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
/// overlapping rounds. A block of chains steps in lockstep (<see cref="StepBlock"/>): cell by cell, every chain's
/// Y_{k,n−1} is scored in one call at its own randomized level τ_{k,n−1}, with the same arithmetic as <see cref="Step"/>.
/// </remarks>
public sealed class LiJiao : LiJiaoKernel, IBlockKernel
{
    /// <summary>Li–Jiao in dimension <paramref name="dimension"/> on <paramref name="schedule"/>.</summary>
    public LiJiao(int dimension, LiJiaoSchedule schedule) : base(dimension, schedule) { }

    /// <inheritdoc/>
    public override string Name => Schedule.Levels == LiJiaoLevels.Randomized ? "Li-Jiao" : "Li-Jiao(upper-endpoint)";
    /// <inheritdoc/>
    /// <remarks>A single chain uses 2d (score, running sum); a block uses 3d + 2 per chain: Y_{k,n}, the score and the
    /// running sum C = Y_k/√ᾱ_{k,0} + Σ gᵢ·(closed pieces), plus τ_{k,n−1} and ᾱ_{k,n−1}.</remarks>
    public override int ScratchLength => 3 * Dimension + 2;

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
            Advance(s, closed, open, scale, c, y);
        }
        Schedule.Inject(ref ctx, u, k, y, s);
    }

    /// <summary>
    /// Round k for a block of chains in lockstep: each cell scores every chain's Y_{k,n−1} at its own τ_{k,n−1} in one
    /// counted call (one NFE and one round per chain, as <see cref="Step"/> counts), and each chain carries its level
    /// τ_{k,n} from cell n to cell n + 1 instead of redrawing it. Every chain ends bit-identical to <see cref="Step"/>.
    /// </summary>
    public void StepBlock(ref BlockContext ctx, Span<double> states)
    {
        int d = Dimension, chains = ctx.Chains, aux = AuxLength, length = d + aux;
        int k = Schedule.RoundOf(ctx.Step), n = Schedule.N;
        var rows = ctx.Scratch[..(chains * d)];
        var scores = ctx.Scratch.Slice(chains * d, chains * d);
        var sums = ctx.Scratch.Slice(2 * chains * d, chains * d);
        var taus = ctx.Scratch.Slice(3 * chains * d, chains);
        var alphaBars = ctx.Scratch.Slice(3 * chains * d + chains, chains);
        for (int c = 0; c < chains; c++)
        {
            var y = states.Slice(c * length, d);
            var s0 = Schedule.RoundLevel(states.Slice(c * length + d, aux), k, 0);
            (taus[c], alphaBars[c]) = (s0.Tau, s0.AlphaBar);
            y.CopyTo(rows.Slice(c * d, d));
            TensorPrimitives.Multiply(y, 1 / Math.Sqrt(s0.AlphaBar), sums.Slice(c * d, d));
        }
        for (int m = 1; m <= n; m++)
        {
            ctx.ScoreBlockAt(rows, taus, scores);
            // The skeleton cells of τ_{k,m−1} and τ_{k,m} are the same for every chain; only the draws u differ.
            int before = Schedule.RoundSlot(k, m - 1), at = Schedule.RoundSlot(k, m);
            for (int c = 0; c < chains; c++)
            {
                ReadOnlySpan<double> u = states.Slice(c * length + d, aux);
                var next = Schedule.LevelAtSlot(u, at);
                var (closed, open, scale) =
                    Schedule.CellWeightsAtSlots(u, m == 1, before, at, alphaBars[c], next.AlphaBar);
                Advance(scores.Slice(c * d, d), closed, open, scale, sums.Slice(c * d, d), rows.Slice(c * d, d));
                (taus[c], alphaBars[c]) = (next.Tau, next.AlphaBar);
            }
        }
        for (int c = 0; c < chains; c++)
        {
            var y = states.Slice(c * length, d);
            var z = scores.Slice(c * d, d);
            rows.Slice(c * d, d).CopyTo(y);
            ctx.Normals(c, 0, z);
            LiJiaoSchedule.Inject(Schedule.Injection(states.Slice(c * length + d, aux), k), y, z);
        }
    }

    // One cell of eq. (11b): C ← C + s·closed, then Y_{k,n} = √ᾱ_{k,n}·(C + s·open), each product rounded before its sum
    // (as TensorPrimitives.MultiplyAdd does), fused into one pass.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Advance(ReadOnlySpan<double> s, double closed, double open, double scale, Span<double> c,
        Span<double> y)
    {
        int d = s.Length, i = 0, width = Vector512<double>.Count;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> vc = Vector512.Create(closed), vo = Vector512.Create(open), vs = Vector512.Create(scale);
            for (; i <= d - width; i += width)
            {
                var si = Vector512.Create(s.Slice(i, width));
                var ci = si * vc + Vector512.Create(c.Slice(i, width));
                ci.CopyTo(c.Slice(i, width));
                ((si * vo + ci) * vs).CopyTo(y.Slice(i, width));
            }
        }
        for (; i < d; i++)
        {
            double ci = s[i] * closed + c[i];
            c[i] = ci;
            y[i] = (s[i] * open + ci) * scale;
        }
    }
}
