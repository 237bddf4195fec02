using System.Numerics.Tensors;
using RateLab.Core.Contracts;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// <see cref="Heun"/> with a lockstep block step: both score rounds of a step are one
/// <see cref="IScoreField.ScoreRows"/> call each for the whole block, so a batched score (a network) runs as matrix
/// products. Each row is updated by exactly the calls <see cref="Heun"/>'s step makes on it, so a chain gets Heun's
/// bits whenever the field's ScoreRows gives every row Score's bits. Opt-in, not a change to Heun, for the reason given
/// on <see cref="LockstepDdim"/>.
/// </summary>
public sealed class LockstepHeun : IBlockKernel
{
    readonly Heun inner;

    /// <summary>Block steps for <paramref name="heun"/>.</summary>
    public LockstepHeun(Heun heun) => inner = heun ?? throw new ArgumentNullException(nameof(heun));

    /// <summary>The wrapped kernel.</summary>
    public Heun Inner => inner;
    /// <inheritdoc/>
    public string Name => inner.Name;
    /// <inheritdoc/>
    public int Dimension => inner.Dimension;
    /// <inheritdoc/>
    public int Blocks => inner.Blocks;
    /// <inheritdoc/>
    public int AuxLength => inner.AuxLength;
    /// <inheritdoc/>
    public int StateLength => ((ISamplerKernel)inner).StateLength;
    /// <inheritdoc/>
    public int ScratchLength => inner.ScratchLength;
    /// <inheritdoc/>
    public int InitNormalRoles => inner.InitNormalRoles;
    /// <inheritdoc/>
    public int NormalRoles => inner.NormalRoles;
    /// <inheritdoc/>
    public bool IsAffineOnGaussians => inner.IsAffineOnGaussians;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state) => inner.Init(ref ctx, state);

    /// <inheritdoc/>
    public void Step(ref StepContext ctx, Span<double> state) => inner.Step(ref ctx, state);

    /// <summary>Heun.Advance for every chain of the block, its two score rounds batched; uses 3·n·d scratch.</summary>
    public void StepBlock(ref BlockContext ctx, Span<double> states)
    {
        if (ctx.Step < 0 || ctx.Step >= inner.Steps) throw new ArgumentOutOfRangeException(nameof(ctx),
            $"step = {ctx.Step} is out of range for {Name}; allowed: integers in [0, {inner.Steps - 1}].");
        int k = (int)ctx.Step, d = Dimension, n = ctx.Chains, nd = n * d;
        var from = inner.Grid[k];
        var to = inner.Grid[k + 1];
        var y = states[..nd];
        var eps = ctx.Scratch[..nd];
        var yPrime = ctx.Scratch.Slice(nd, nd);
        var eps2 = ctx.Scratch.Slice(2 * nd, nd);
        double dSigma = to.Sigma - from.Sigma, inScale = 1 / from.SignalScale, outScale = to.SignalScale;
        ctx.ScoreBlock(y, from.Tau, eps);
        double toEps = -from.NoiseScale;
        for (int r = 0; r < n; r++)
        {
            var yr = y.Slice(r * d, d);
            var er = eps.Slice(r * d, d);
            TensorPrimitives.Multiply(er, toEps, er);
            if (to.Tau == 0)
            {
                TensorPrimitives.Multiply(yr, inScale, yr);
                TensorPrimitives.MultiplyAdd(er, dSigma, yr, yr);
                continue;
            }
            var pr = yPrime.Slice(r * d, d);
            TensorPrimitives.Multiply(yr, inScale, pr);
            TensorPrimitives.MultiplyAdd(er, dSigma, pr, pr);
            TensorPrimitives.Multiply(pr, outScale, pr);
        }
        if (to.Tau == 0) return;
        ctx.ScoreBlock(yPrime, to.Tau, eps2);
        double toEps2 = -to.NoiseScale;
        for (int r = 0; r < n; r++)
        {
            var yr = y.Slice(r * d, d);
            var e2 = eps2.Slice(r * d, d);
            TensorPrimitives.MultiplyAdd(e2, toEps2, eps.Slice(r * d, d), e2);
            TensorPrimitives.Multiply(e2, dSigma * 0.5, e2);
            TensorPrimitives.MultiplyAdd(yr, inScale, e2, yr);
            TensorPrimitives.Multiply(yr, outScale, yr);
        }
    }
}
