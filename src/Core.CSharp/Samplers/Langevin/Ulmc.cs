using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// Underdamped Langevin Monte Carlo with the exponential integrator (docs/algorithms.md; [CCBJ18] with γ = 2, u = 1/L):
/// dx = v dt, dv = −γ v dt + u ∇log π(x) dt + √(2γu) dB, with the score frozen at the start of each step,
/// x_η = x₀ + (1−e^{−z})/γ · v₀ + (u/γ)(η − (1−e^{−z})/γ) s(x₀) + ξ_x,
/// v_η = e^{−z} v₀ + u(1−e^{−z})/γ · s(x₀) + ξ_v, z = γη, with (ξ_x, ξ_v) the correlated Brownian integrals of
/// docs/algorithms.md, 'ULMC — underdamped Langevin, exponential integrator'.
/// One score evaluation per step; state blocks (x, v).
/// </summary>
public sealed class Ulmc : SamplerKernel, ITimeHomogeneous
{
    readonly UnderdampedExponentialStep step;

    /// <summary>
    /// ULMC with step η = <paramref name="eta"/>, friction γ = <paramref name="gamma"/> and inverse mass
    /// u = <paramref name="u"/>; x₀ from <paramref name="start"/> and v₀ ~ N(0, u I) unless
    /// <paramref name="zeroVelocity"/> (then v₀ = 0).
    /// </summary>
    public Ulmc(int dimension, double eta, double gamma, double u, StartLaw start, bool zeroVelocity = false)
        : base(dimension, start)
    {
        Eta = Guard.Positive(eta, nameof(eta));
        Gamma = Guard.Positive(gamma, nameof(gamma));
        U = Guard.Positive(u, nameof(u));
        ZeroVelocity = zeroVelocity;
        step = new UnderdampedExponentialStep(gamma, eta, u);
    }

    /// <summary>Step size η.</summary>
    public double Eta { get; }
    /// <summary>Friction γ.</summary>
    public double Gamma { get; }
    /// <summary>Inverse mass u.</summary>
    public double U { get; }
    /// <summary>True when chains start at rest (v₀ = 0).</summary>
    public bool ZeroVelocity { get; }
    /// <inheritdoc/>
    public override string Name => "ULMC";
    /// <inheritdoc/>
    public override int Blocks => 2;
    /// <inheritdoc/>
    public override int ScratchLength => 4 * Dimension;
    /// <inheritdoc/>
    public override int InitNormalRoles => UnderdampedStart.NormalRoles(ZeroVelocity);
    /// <inheritdoc/>
    public override int NormalRoles => 2;

    /// <inheritdoc/>
    public override void Init(ref StepContext ctx, Span<double> state)
        => UnderdampedStart.Draw(ref ctx, Start, Math.Sqrt(U), ZeroVelocity, Dimension, state);

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension;
        var x = state[..d];
        var v = state.Slice(d, d);
        var s = ctx.Scratch[..d];
        var zeta1 = ctx.Scratch.Slice(d, d);
        var zeta2 = ctx.Scratch.Slice(2 * d, d);
        var work = ctx.Scratch.Slice(3 * d, d);
        ctx.Score(x, 0, s);
        ctx.Normals(0, zeta1);
        ctx.Normals(1, zeta2);
        step.Apply(x, v, s, zeta1, zeta2, work);
    }
}
