using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion.References;

/// <summary>
/// Couples any probability-flow sampler (DDIM, Heun, …) that does not name its levels: one segment from the top to the
/// bottom of its grid, sharing only the initial Gaussian, which the reference replays through the kernel's own Init.
/// </summary>
public sealed class PfOdeCoupling : ICoupledSampler
{
    readonly ISamplerKernel kernel;
    readonly NoiseLevel top, bottom;

    /// <summary>
    /// <paramref name="kernel"/> run for <paramref name="steps"/> steps from level <paramref name="top"/> (where its
    /// Init places the start) down to <paramref name="bottom"/>; its steps must draw no Gaussian noise.
    /// </summary>
    public PfOdeCoupling(ISamplerKernel kernel, int steps, NoiseLevel top, NoiseLevel bottom)
    {
        this.kernel = kernel ?? throw new ArgumentNullException(nameof(kernel));
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
        if (kernel.NormalRoles != 0)
            throw new ArgumentException($"kernel {kernel.Name} draws {kernel.NormalRoles} normal roles per step; allowed: 0 (a probability-flow sampler).", nameof(kernel));
        if (!(bottom.Tau < top.Tau))
            throw new ArgumentOutOfRangeException(nameof(bottom), $"bottom.Tau = {bottom.Tau:R} is out of range; allowed: < top.Tau = {top.Tau:R}.");
        this.top = top;
        this.bottom = bottom;
    }

    /// <summary>
    /// A probability-flow kernel on a <see cref="NoiseGrid"/> (DDIM with η = 0, PF-ODE Euler or exponential Euler, Heun),
    /// coupled over its whole grid: all its steps, from the grid's top level to its end level.
    /// </summary>
    public PfOdeCoupling(ReverseGridKernel kernel)
        : this(kernel, (kernel ?? throw new ArgumentNullException(nameof(kernel))).Steps, kernel.Grid.Top, kernel.Grid.End) { }

    /// <inheritdoc/>
    public int Steps { get; }
    /// <inheritdoc/>
    public int Segments => 1;
    /// <inheritdoc/>
    public string Name => kernel.Name;
    /// <inheritdoc/>
    public int Dimension => kernel.Dimension;
    /// <inheritdoc/>
    public int Blocks => kernel.Blocks;
    /// <inheritdoc/>
    public int AuxLength => kernel.AuxLength;
    /// <inheritdoc/>
    public int ScratchLength => kernel.ScratchLength;
    /// <inheritdoc/>
    public int InitNormalRoles => kernel.InitNormalRoles;
    /// <inheritdoc/>
    public int NormalRoles => 0;
    /// <inheritdoc/>
    public bool IsAffineOnGaussians => kernel.IsAffineOnGaussians;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state) => kernel.Init(ref ctx, state);

    /// <inheritdoc/>
    public void Step(ref StepContext ctx, Span<double> state) => kernel.Step(ref ctx, state);

    /// <inheritdoc/>
    public FlowSegment Segment(ReadOnlySpan<double> aux, int j)
    {
        if (j != 0) throw new ArgumentOutOfRangeException(nameof(j), $"j = {j} is out of range; allowed: 0.");
        return new FlowSegment(top, bottom, false, default, 0, 0);
    }
}
