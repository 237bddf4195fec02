using RateLab.Core.Contracts;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// <see cref="Heun"/> with a lockstep block step (<see cref="LockstepKernel{TKernel}"/>): both score rounds of a step
/// are one batched call each for the whole block, and each row goes through Heun's own predictor and corrector.
/// </summary>
public sealed class LockstepHeun : LockstepKernel<Heun>
{
    /// <summary>Block steps for <paramref name="heun"/>.</summary>
    public LockstepHeun(Heun heun) : base(heun) { }

    /// <summary>Heun's step for every chain of the block, its two score rounds batched; uses 3·n·d scratch.</summary>
    public override void StepBlock(ref BlockContext ctx, Span<double> states)
    {
        int k = StepIndex(ctx.Step), d = Dimension, n = ctx.Chains, nd = n * d;
        var from = Inner.Grid[k];
        var to = Inner.Grid[k + 1];
        var y = states[..nd];
        var eps = ctx.Scratch[..nd];
        var yPrime = ctx.Scratch.Slice(nd, nd);
        var eps2 = ctx.Scratch.Slice(2 * nd, nd);
        ctx.ScoreBlock(y, from.Tau, eps);
        bool corrects = true;
        for (int r = 0; r < n; r++)
            corrects = Heun.Predict(y.Slice(r * d, d), eps.Slice(r * d, d), yPrime.Slice(r * d, d), from, to);
        if (!corrects) return;
        ctx.ScoreBlock(yPrime, to.Tau, eps2);
        for (int r = 0; r < n; r++)
            Heun.Correct(y.Slice(r * d, d), eps.Slice(r * d, d), eps2.Slice(r * d, d), from, to);
    }
}
