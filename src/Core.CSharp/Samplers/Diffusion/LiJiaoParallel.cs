using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Parallel Li–Jiao (docs/algorithms.md, reconstructed): the rounds and schedule of <see cref="LiJiao"/>, with eq. (11b)
/// solved inside each round by M Picard sweeps from the zero-score guess Y⁽⁰⁾_{k,n} = √(ᾱ_{k,n}/ᾱ_{k,0}) Y_k. Sweep m
/// evaluates all gᵢ = s(Y⁽ᵐ⁻¹⁾_{k,i}, τ_{k,i}) / (2ᾱ_{k,i}^{3/2}), i = 0…N−1, in one batched oracle call and rebuilds
/// Y⁽ᵐ⁾_{k,1…N} by prefix sums. Sweep m makes Y_{k,1…m} exact, so M ≥ N reproduces the sequential sampler.
/// Parallel depth M·K rounds, width N, NFE M·N·K.
/// </summary>
public sealed class LiJiaoParallel : LiJiaoKernel
{
    /// <summary>Parallel Li–Jiao with <paramref name="sweeps"/> Picard sweeps per round.</summary>
    public LiJiaoParallel(int dimension, LiJiaoSchedule schedule, int sweeps) : base(dimension, schedule)
    {
        M = Guard.AtLeast(sweeps, 1, "M");
    }

    /// <summary>Picard sweeps per round M.</summary>
    public int M { get; }
    /// <summary>Sequential oracle rounds of a full run: M·K.</summary>
    public long Depth => (long)M * Schedule.K;
    /// <summary>Score evaluations per oracle round: N.</summary>
    public int Width => Schedule.N;
    /// <inheritdoc/>
    public override string Name => $"Li-Jiao-parallel(M={M})";
    /// <inheritdoc/>
    public override int ScratchLength => 2 * Schedule.N * Dimension + Schedule.N + Dimension;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension, k = Schedule.RoundOf(ctx.Step), n = Schedule.N;
        var y = state[..d];
        ReadOnlySpan<double> u = state[d..];
        // rows holds Y_{k,0…N−1} (row 0 is Y_k and never changes); Y_{k,N} is written straight into y.
        var rows = ctx.Scratch[..(n * d)];
        var scores = ctx.Scratch.Slice(n * d, n * d);
        var taus = ctx.Scratch.Slice(2 * n * d, n);
        var c = ctx.Scratch.Slice(2 * n * d + n, d);
        double a0 = Schedule.RoundLevel(u, k, 0).AlphaBar;
        for (int i = 0; i < n; i++)
        {
            var li = Schedule.RoundLevel(u, k, i);
            taus[i] = li.Tau;
            double r = Math.Sqrt(li.AlphaBar / a0);
            TensorPrimitives.Multiply(y, r, rows.Slice(i * d, d));
        }
        double inv = 1 / Math.Sqrt(a0);
        for (int sweep = 0; sweep < M; sweep++)
        {
            ctx.ScoreRows(rows, taus, scores);
            TensorPrimitives.Multiply(y, inv, c);
            for (int m = 1; m <= n; m++)
            {
                var (closed, open, scale) = Schedule.CellWeights(u, k, m);
                var si = scores.Slice((m - 1) * d, d);
                TensorPrimitives.MultiplyAdd(si, closed, c, c);
                if (m == n && sweep < M - 1) continue;
                var next = m < n ? rows.Slice(m * d, d) : y;
                TensorPrimitives.MultiplyAdd(si, open, c, next);
                TensorPrimitives.Multiply(next, scale, next);
            }
        }
        Schedule.Inject(ref ctx, u, k, y, scores[..d]);
    }
}
