using RateLab.Core.Contracts;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary><see cref="Ddim"/> with a lockstep block step (<see cref="LockstepKernel{TKernel}"/>).</summary>
public sealed class LockstepDdim : LockstepKernel<Ddim>
{
    /// <summary>Block steps for <paramref name="ddim"/>.</summary>
    public LockstepDdim(Ddim ddim) : base(ddim) { }

    /// <inheritdoc/>
    public override void StepBlock(ref BlockContext ctx, Span<double> states)
    {
        int k = StepIndex(ctx.Step);
        Inner.Coefficients.ApplyBlock(ref ctx, states[..(ctx.Chains * Dimension)], k, Inner.Grid[k].Tau);
    }
}
