using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// What the Li–Jiao samplers share (docs/algorithms.md): the state is Y (d doubles) followed by the schedule's per-run
/// draws; Init draws Y ~ N(0, I) from normal role 0 and then the draws; kernel step k is round k, which ends with the
/// injection of eq. (11a) driven by role 0, so each round is one coupled-reference segment.
/// </summary>
public abstract class LiJiaoKernel : ICoupledSampler
{
    private protected LiJiaoKernel(int dimension, LiJiaoSchedule schedule)
    {
        Dimension = Guard.AtLeast(dimension, 1, "d");
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
    }

    /// <summary>The deterministic skeleton and round indexing.</summary>
    public LiJiaoSchedule Schedule { get; }
    /// <summary>Kernel steps of a full run: K rounds.</summary>
    public int Steps => Schedule.K;
    /// <inheritdoc/>
    public abstract string Name { get; }
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <inheritdoc/>
    public int Blocks => 1;
    /// <inheritdoc/>
    public int AuxLength => Schedule.DrawCount;
    /// <inheritdoc/>
    public abstract int ScratchLength { get; }
    /// <inheritdoc/>
    public int InitNormalRoles => 1;
    /// <inheritdoc/>
    public int NormalRoles => 1;
    /// <inheritdoc/>
    public int Segments => Schedule.K;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state)
    {
        ctx.Normals(0, state[..Dimension]);
        Schedule.Draw(ref ctx, state[Dimension..]);
    }

    /// <inheritdoc/>
    public abstract void Step(ref StepContext ctx, Span<double> state);

    /// <inheritdoc/>
    public FlowSegment Segment(ReadOnlySpan<double> aux, int j) => Schedule.Segment(aux, j);
}
