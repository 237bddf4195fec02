using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// DDPM ancestral sampling ([HJA20], docs/algorithms.md) on any decreasing grid n → m (consecutive or respaced):
/// x_m = (x_n + β s(x_n, τ_n))/√(1−β) + σ z with β = 1 − ᾱ_n/ᾱ_m, i.e. (x_n − β/√(1−ᾱ_n)·ε̂)/√α, and σ² = β or
/// β̃ = β τ_m/τ_n. No noise on the last step. One NFE per step.
/// </summary>
public sealed class DdpmAncestral : ReverseGridKernel
{
    readonly FrozenScoreSteps steps;

    /// <summary>DDPM on <paramref name="grid"/> with the given variance choice.</summary>
    public DdpmAncestral(int dimension, NoiseGrid grid, DdpmVariance variance, StartLaw? start = null)
        : base(dimension, grid, start)
    {
        if (!Enum.IsDefined(variance)) throw new ArgumentOutOfRangeException(nameof(variance),
            $"variance = {variance} is out of range; allowed: {string.Join(", ", Enum.GetNames<DdpmVariance>())}.");
        Variance = variance;
        int last = grid.Steps - 1;
        steps = new FrozenScoreSteps(grid, (k, from, to) =>
        {
            var s = DdpmStep.Between(to, from, variance);
            return (s.Scale, s.Scale * s.Beta, k == last ? 0 : Math.Sqrt(s.Variance));
        });
    }

    /// <summary>The variance choice.</summary>
    public DdpmVariance Variance { get; }
    /// <inheritdoc/>
    public override string Name => $"DDPM({(Variance == DdpmVariance.Beta ? "sigma2=beta" : "sigma2=posterior")},{Grid.Name})";
    /// <inheritdoc/>
    public override int ScratchLength => 2 * Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => 1;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int k = StepIndex(ctx);
        steps.Apply(ref ctx, state[..Dimension], k, Grid[k].Tau);
    }
}
