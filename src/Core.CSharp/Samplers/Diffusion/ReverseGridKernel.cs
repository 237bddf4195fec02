using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// What the reverse-time diffusion samplers share: the state is Y (one block of d doubles, no aux), Init draws Y from
/// the start law (N(0, I) by default) with normal role 0 at step −1, and step k moves Y from level k to level k+1
/// of a decreasing <see cref="NoiseGrid"/>, so <see cref="Steps"/> steps end at the grid's end level δ.
/// </summary>
public abstract class ReverseGridKernel : SamplerKernel
{
    /// <summary>A kernel on <paramref name="grid"/> in dimension d, started from <paramref name="start"/> (null = N(0, I)).</summary>
    protected ReverseGridKernel(int dimension, NoiseGrid grid, StartLaw? start)
        : base(dimension, start ?? StartLaw.Isotropic(Guard.AtLeast(dimension, 1, "d"), 1.0))
    {
        Grid = grid ?? throw new ArgumentNullException(nameof(grid));
    }

    /// <summary>The noise levels visited, noisiest first.</summary>
    public NoiseGrid Grid { get; }
    /// <summary>Number of steps a full run takes (grid length).</summary>
    public int Steps => Grid.Steps;

    /// <summary>The grid step of the context; a step past the end of the grid is an error, not a silent no-op.</summary>
    protected int StepIndex(in StepContext ctx)
    {
        if (ctx.Step < 0 || ctx.Step >= Steps) throw new ArgumentOutOfRangeException(nameof(ctx),
            $"step = {ctx.Step} is out of range for {Name}; allowed: integers in [0, {Steps - 1}] (the grid has {Steps} steps).");
        return (int)ctx.Step;
    }

    /// <summary>OU-time length h_k = ½(log ᾱ_{k+1} − log ᾱ_k) of step k (docs/algorithms.md, 'Conventions').</summary>
    protected double OuStep(int k) => 0.5 * (Grid[k + 1].LogAlphaBar - Grid[k].LogAlphaBar);
}
