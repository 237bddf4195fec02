using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// What the randomized-midpoint predictors share (docs/algorithms.md): the state is x (d doubles), Init draws
/// x ~ N(0, I) at the top level from normal role 0, steps draw only uniforms (no Gaussian noise), and a run is one
/// coupled-reference segment from the top of the grid to its bottom.
/// </summary>
public abstract class GuptaPredictorKernel : ICoupledSampler
{
    private protected readonly NoiseLevel[] grid;

    /// <summary>Validates d ≥ 1 and a strictly decreasing grid of at least two levels named <paramref name="gridName"/>.</summary>
    private protected GuptaPredictorKernel(int dimension, NoiseLevel[] grid, string gridName)
    {
        Dimension = Guard.AtLeast(dimension, 1, "d");
        ArgumentNullException.ThrowIfNull(grid, gridName);
        Guard.AtLeast(grid.Length, 2, $"{gridName}.Length");
        for (int i = 1; i < grid.Length; i++)
            if (!(grid[i].Tau < grid[i - 1].Tau))
                throw new ArgumentOutOfRangeException(gridName, $"{gridName}[{i}].Tau = {grid[i].Tau:R} is out of range; allowed: < {gridName}[{i - 1}].Tau = {grid[i - 1].Tau:R} (strictly decreasing).");
        this.grid = (NoiseLevel[])grid.Clone();
    }

    /// <summary>The grid of levels, top first.</summary>
    public ReadOnlySpan<NoiseLevel> Grid => grid;
    /// <summary>Kernel steps of a full run.</summary>
    public abstract int Steps { get; }
    /// <inheritdoc/>
    public abstract string Name { get; }
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <inheritdoc/>
    public int Blocks => 1;
    /// <inheritdoc/>
    public int AuxLength => 0;
    /// <inheritdoc/>
    public int ScratchLength => 2 * Dimension;
    /// <inheritdoc/>
    public int InitNormalRoles => 1;
    /// <inheritdoc/>
    public int NormalRoles => 0;
    /// <inheritdoc/>
    public int Segments => 1;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state) => ctx.Normals(0, state[..Dimension]);

    /// <inheritdoc/>
    public abstract void Step(ref StepContext ctx, Span<double> state);

    /// <inheritdoc/>
    public FlowSegment Segment(ReadOnlySpan<double> aux, int j)
    {
        if (j != 0) throw new ArgumentOutOfRangeException(nameof(j), $"j = {j} is out of range; allowed: 0.");
        return new FlowSegment(grid[0], grid[^1], false, default, 0, 0);
    }

    /// <summary>The kernel step of the context as an index; a step past the grid is an error, not a silent no-op.</summary>
    private protected int StepIndex(in StepContext ctx)
    {
        if (ctx.Step < 0 || ctx.Step >= Steps)
            throw new ArgumentOutOfRangeException(nameof(ctx), $"step = {ctx.Step} is out of range; allowed: [0, {Steps - 1}].");
        return (int)ctx.Step;
    }
}
