using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Samplers.Langevin;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Poisson midpoint method on DDPM ([KN24] as reconstructed in docs/algorithms.md): the <see cref="PoissonMidpoint"/>
/// method over DDPM's fine steps (<see cref="DdpmFineDynamics"/>), K consecutive levels n → n−1 per outer step. The
/// drift ε̂ is frozen at e₀ = ε̂(x, n₀) for a cheap interpolation; at fine steps i ≥ 1 with H_i ~ Bernoulli(1/K) the
/// interpolated point is evaluated at its own fine level n₀ − i, all in ONE batched call, and the corrected chain uses
/// e₀ + K(ε̂_i − e₀) there. Both passes use the SAME z_i. Expected NFE per full outer step: 2 − 1/K.
/// </summary>
public sealed class PoissonMidpointDdpm : ReverseGridKernel, IStepDraws
{
    readonly DdpmSchedule schedule;
    readonly PoissonMidpoint midpoint;

    /// <summary>PLMC on the full T-step <paramref name="schedule"/> with K = <paramref name="k"/> fine steps per outer step.</summary>
    public PoissonMidpointDdpm(int dimension, DdpmSchedule schedule, int k, DdpmVariance variance, StartLaw? start = null)
        : base(dimension, OuterGrid(schedule, k), start)
    {
        this.schedule = schedule;
        K = k;
        Variance = variance;
        if (!Enum.IsDefined(variance)) throw new ArgumentOutOfRangeException(nameof(variance),
            $"variance = {variance} is out of range; allowed: {string.Join(", ", Enum.GetNames<DdpmVariance>())}.");
        midpoint = new PoissonMidpoint(new DdpmFineDynamics(dimension, schedule, k, variance), k);
    }

    static NoiseGrid OuterGrid(DdpmSchedule schedule, int k)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        Guard.AtLeast(k, 1, "K");
        var idx = new List<int>();
        for (int n = schedule.Steps; n > 0; n -= k) idx.Add(n);
        idx.Add(0);
        return schedule.Respace(idx);
    }

    /// <summary>Fine steps per outer step K.</summary>
    public int K { get; }
    /// <summary>The fine DDPM variance choice.</summary>
    public DdpmVariance Variance { get; }
    /// <summary>Expected NFE of a whole run: Σ over outer steps of 1 + (K'−1)/K, K' the fine steps of that outer step
    /// ((2 − 1/K)·T/K when K divides T).</summary>
    public double ExpectedEvaluations
    {
        get
        {
            double e = 0;
            for (int n0 = schedule.Steps; n0 > 0; n0 -= K) e += 1 + (double)(Math.Min(K, n0) - 1) / K;
            return e;
        }
    }
    /// <inheritdoc/>
    public override string Name => $"PLMC-DDPM(K={K},{(Variance == DdpmVariance.Beta ? "sigma2=beta" : "sigma2=posterior")},{schedule.Name})";
    /// <inheritdoc/>
    public override int ScratchLength => midpoint.ScratchLength;
    /// <inheritdoc/>
    public override int NormalRoles => midpoint.NormalRoles;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        StepIndex(ctx);
        midpoint.Step(ref ctx, state);
    }

    /// <inheritdoc/>
    public int UniformsPerStep => midpoint.UniformsPerStep;

    /// <inheritdoc/>
    public StepDraw Draw(int index) => midpoint.Draw(index);
}
