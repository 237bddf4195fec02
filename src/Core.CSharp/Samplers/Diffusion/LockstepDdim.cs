using RateLab.Core.Contracts;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// <see cref="Ddim"/> with a lockstep block step: the runner steps blocks of chains together and scores each block in
/// one <see cref="IScoreField.ScoreRows"/> call, which is what makes a batched score (a network evaluated as matrix
/// products over the block) pay off. Each chain's arithmetic and draws are Ddim's, so a chain gets the bits Ddim gives
/// it whenever the field's ScoreRows gives every row Score's bits (true of the default row-by-row ScoreRows and of
/// fields that promise it). It is a separate, opt-in kernel rather than a change to Ddim because the interface only
/// promises that a row's ScoreRows result does not depend on the other rows, not that it equals Score's: a field with
/// a differently rounded blocked kernel would move Ddim's existing numbers.
/// </summary>
public sealed class LockstepDdim : IBlockKernel
{
    readonly Ddim inner;

    /// <summary>Block steps for <paramref name="ddim"/>.</summary>
    public LockstepDdim(Ddim ddim) => inner = ddim ?? throw new ArgumentNullException(nameof(ddim));

    /// <summary>The wrapped kernel.</summary>
    public Ddim Inner => inner;
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

    /// <inheritdoc/>
    public void StepBlock(ref BlockContext ctx, Span<double> states)
    {
        int k = StepIndex(ctx.Step);
        inner.Coefficients.ApplyBlock(ref ctx, states[..(ctx.Chains * Dimension)], k, inner.Grid[k].Tau);
    }

    int StepIndex(long step) => step >= 0 && step < inner.Steps ? (int)step
        : throw new ArgumentOutOfRangeException(nameof(step),
            $"step = {step} is out of range for {Name}; allowed: integers in [0, {inner.Steps - 1}].");
}
