using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Samplers.Langevin;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// DDPM's fine steps as Poisson-midpoint base dynamics ([KN24] as reconstructed in docs/algorithms.md): outer step t
/// covers the K consecutive levels n₀ = T − tK down to n₀ − K + 1 of the full T-step schedule (fewer in the last
/// one), and fine step j moves from level n = n₀ − j to n − 1 by x ← a_n x + b_n ε̂ + σ_n z_j with a_n = 1/√α_n,
/// b_n = −β_n/(√α_n √τ_n) and the drift ε̂ = −√τ_n s(x, τ_n). Built only by <see cref="PoissonMidpointDdpm"/>,
/// which gives it and the midpoint method the same K.
/// </summary>
sealed class DdpmFineDynamics : IReplayedFineDynamics
{
    // Internal, so the interface members below carry no doc comments of their own: IFineDynamics and
    // IReplayedFineDynamics document them.
    readonly DdpmSchedule schedule;
    readonly int perOuterStep;
    readonly double[] a, b, sigma, sqrtTau; // indexed by fine level n = 1..T (entry 0 unused)

    /// <summary>The fine steps of <paramref name="schedule"/>, <paramref name="k"/> per outer step, with the DDPM
    /// variance <paramref name="variance"/>.</summary>
    public DdpmFineDynamics(int dimension, DdpmSchedule schedule, int k, DdpmVariance variance)
    {
        Dimension = dimension;
        this.schedule = schedule;
        perOuterStep = k;
        int t = schedule.Steps;
        a = new double[t + 1]; b = new double[t + 1]; sigma = new double[t + 1]; sqrtTau = new double[t + 1];
        for (int n = 1; n <= t; n++)
        {
            NoiseLevel from = schedule.Level(n), to = schedule.Level(n - 1);
            var s = DdpmStep.Between(to, from, variance);
            a[n] = s.Scale;
            b[n] = -a[n] * s.Beta / from.NoiseScale;
            sqrtTau[n] = from.NoiseScale;
            sigma[n] = n == 1 ? 0 : Math.Sqrt(s.Variance);
        }
    }

    public string Name => "DDPM";
    public int Dimension { get; }
    public int Blocks => 1;
    public int NoiseRoles => 1;
    public int InitNormalRoles => 1;
    /// <summary>The normals of every fine step of an outer step, kept for the replay.</summary>
    public int ScratchLength => perOuterStep * Dimension;

    // The level n₀ at which outer step `step` starts.
    int Top(long step) => schedule.Steps - (int)step * perOuterStep;

    public int FineSteps(long step, int k) => Math.Min(k, Top(step));

    public double Tau(long step, int j) => schedule.Level(Top(step) - j).Tau;

    public void ToDrift(long step, int j, Span<double> score) =>
        TensorPrimitives.Multiply(score, -sqrtTau[Top(step) - j], score);

    /// <summary>Not used: <see cref="PoissonMidpointDdpm"/> draws its start as every grid kernel does.</summary>
    public void Init(ref StepContext ctx, Span<double> state) =>
        throw new NotSupportedException("PoissonMidpointDdpm draws the start itself (ReverseGridKernel.Init).");

    public void Advance(ref StepContext ctx, int j, Span<double> state, ReadOnlySpan<double> b, Span<double> scratch)
    {
        int d = Dimension;
        var z = scratch.Slice(j * d, d);
        ctx.Normals(j, z);
        FineStep(state[..d], Top(ctx.Step) - j, b, z);
    }

    public void Replay(long step, int j, Span<double> state, ReadOnlySpan<double> b, ReadOnlySpan<double> scratch) =>
        FineStep(state[..Dimension], Top(step) - j, b, scratch.Slice(j * Dimension, Dimension));

    // Fine step n: x ← a_n x + b_n ε̂ + σ_n z, in the scalar expression's rounding order.
    void FineStep(Span<double> x, int n, ReadOnlySpan<double> eps, ReadOnlySpan<double> z)
    {
        TensorPrimitives.Multiply(x, a[n], x);
        TensorPrimitives.MultiplyAdd(eps, b[n], x, x);
        TensorPrimitives.MultiplyAdd(z, sigma[n], x, x);
    }
}
