using RateLab.Core.Contracts;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// A grid kernel with a lockstep block step added: the runner steps blocks of chains together and each block's score
/// round is one <see cref="IScoreField.ScoreRows"/> call, which is what makes a batched score (a network evaluated as
/// matrix products over the block) pay off. Everything but the block step is the wrapped kernel's, forwarded here once.
/// A derived kernel updates each row by exactly the calls the wrapped kernel's step makes on it, so a chain gets the
/// wrapped kernel's bits whenever the field's ScoreRows gives every row Score's bits (true of the default row-by-row
/// ScoreRows and of fields that promise it). The lockstep kernels are opt-in rather than a change to the wrapped ones
/// because the interface only promises that a row's ScoreRows result does not depend on the other rows, not that it
/// equals Score's: a field with a differently rounded blocked kernel would move existing numbers.
/// </summary>
public abstract class LockstepKernel<TKernel> : IBlockKernel where TKernel : ReverseGridKernel
{
    /// <summary>Block steps for <paramref name="inner"/>.</summary>
    protected LockstepKernel(TKernel inner) => Inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The wrapped kernel.</summary>
    public TKernel Inner { get; }
    /// <inheritdoc/>
    public string Name => Inner.Name;
    /// <inheritdoc/>
    public int Dimension => Inner.Dimension;
    /// <inheritdoc/>
    public int Blocks => Inner.Blocks;
    /// <inheritdoc/>
    public int AuxLength => Inner.AuxLength;
    /// <inheritdoc/>
    public int StateLength => ((ISamplerKernel)Inner).StateLength;
    /// <inheritdoc/>
    public int ScratchLength => Inner.ScratchLength;
    /// <inheritdoc/>
    public int InitNormalRoles => Inner.InitNormalRoles;
    /// <inheritdoc/>
    public int NormalRoles => Inner.NormalRoles;
    /// <inheritdoc/>
    public bool IsAffineOnGaussians => Inner.IsAffineOnGaussians;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state) => Inner.Init(ref ctx, state);

    /// <inheritdoc/>
    public void Step(ref StepContext ctx, Span<double> state) => Inner.Step(ref ctx, state);

    /// <inheritdoc/>
    public abstract void StepBlock(ref BlockContext ctx, Span<double> states);

    /// <summary>The grid index of <paramref name="step"/>, refused outside the wrapped kernel's grid.</summary>
    protected int StepIndex(long step) => step >= 0 && step < Inner.Steps ? (int)step
        : throw new ArgumentOutOfRangeException(nameof(step),
            $"step = {step} is out of range for {Name}; allowed: integers in [0, {Inner.Steps - 1}].");
}
