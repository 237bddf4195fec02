using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers;

/// <summary>
/// The part of the <see cref="ISamplerKernel"/> contract most kernels share, written once: a dimension d ≥ 1 and a
/// start law of that dimension checked on construction, one state block, no aux state, and an Init that draws the
/// positions from the start law with normal role 0. A kernel states only what is its own: its name, scratch, normal
/// roles and step, and overrides the rest where it differs (velocity blocks, aux state).
/// </summary>
public abstract class SamplerKernel : ISamplerKernel
{
    /// <summary>Checks d ≥ 1 and that <paramref name="start"/> has dimension d.</summary>
    protected SamplerKernel(int dimension, StartLaw start)
    {
        Dimension = Guard.AtLeast(dimension, 1, "d");
        Start = start ?? throw new ArgumentNullException(nameof(start));
        start.CheckDimension(dimension);
    }

    /// <summary>The law of the start positions.</summary>
    protected StartLaw Start { get; }

    /// <inheritdoc/>
    public abstract string Name { get; }
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <inheritdoc/>
    public virtual int Blocks => 1;
    /// <inheritdoc/>
    public virtual int AuxLength => 0;
    /// <inheritdoc/>
    public abstract int ScratchLength { get; }
    /// <inheritdoc/>
    public virtual int InitNormalRoles => 1;
    /// <inheritdoc/>
    public abstract int NormalRoles { get; }
    /// <inheritdoc/>
    public virtual bool IsAffineOnGaussians => true;

    /// <inheritdoc/>
    public virtual void Init(ref StepContext ctx, Span<double> state) => Start.Draw(ref ctx, 0, state[..Dimension]);

    /// <inheritdoc/>
    public abstract void Step(ref StepContext ctx, Span<double> state);
}
