using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// ULMC exponential integrator with unit mass (u = 1) as Poisson-midpoint base dynamics (docs/algorithms.md, second
/// table row), state (x, v), z = γh:
/// A_h = [[I, (1−e^{−z})/γ I], [0, e^{−z} I]], G_h = [(h − (1−e^{−z})/γ)/γ I; (1−e^{−z})/γ I],
/// Γ_h Z = (ξ_x, ξ_v), the ULMC noise pair with u = 1. Then A_{mh} G_h = [g_x + (1−e^{−γmh})/γ · g_v; e^{−γmh} g_v].
/// </summary>
public sealed class UnderdampedFineDynamics : IHomogeneousFineDynamics
{
    readonly StartLaw start;
    readonly UnderdampedExponentialStep step;

    /// <summary>
    /// Fine steps of size <paramref name="h"/> with friction <paramref name="gamma"/>; x₀ from <paramref name="start"/>,
    /// v₀ ~ N(0, I) unless <paramref name="zeroVelocity"/>.
    /// </summary>
    public UnderdampedFineDynamics(int dimension, double h, double gamma, StartLaw start, bool zeroVelocity = false)
    {
        Dimension = Guard.AtLeast(dimension, 1, "d");
        H = Guard.Positive(h, nameof(h));
        Gamma = Guard.Positive(gamma, nameof(gamma));
        this.start = start ?? throw new ArgumentNullException(nameof(start));
        start.CheckDimension(dimension);
        ZeroVelocity = zeroVelocity;
        step = new UnderdampedExponentialStep(gamma, h, 1.0);
    }

    /// <summary>Friction γ.</summary>
    public double Gamma { get; }
    /// <summary>True when chains start at rest (v₀ = 0).</summary>
    public bool ZeroVelocity { get; }
    /// <inheritdoc/>
    public string Name => "ULMC";
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <inheritdoc/>
    public double H { get; }
    /// <inheritdoc/>
    public int Blocks => 2;
    /// <inheritdoc/>
    public int NoiseRoles => 2;
    /// <inheritdoc/>
    public int InitNormalRoles => UnderdampedStart.NormalRoles(ZeroVelocity);
    /// <inheritdoc/>
    public int ScratchLength => 3 * Dimension;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state)
        => UnderdampedStart.Draw(ref ctx, start, 1.0, ZeroVelocity, Dimension, state);

    /// <inheritdoc/>
    public void Advance(ref StepContext ctx, int j, Span<double> state, ReadOnlySpan<double> b, Span<double> scratch)
    {
        int d = Dimension;
        var x = state[..d];
        var v = state.Slice(d, d);
        var zeta1 = scratch[..d];
        var zeta2 = scratch.Slice(d, d);
        ctx.Normals(2 * j, zeta1);
        ctx.Normals(2 * j + 1, zeta2);
        step.Apply(x, v, b, zeta1, zeta2, scratch.Slice(2 * d, d));
    }

    /// <inheritdoc/>
    public void AddPropagatedDrift(Span<double> state, int m, double w, ReadOnlySpan<double> delta)
    {
        int d = Dimension;
        double later = OuIntegrals.OneMinusExp(Gamma * m * H);
        double gx = step.XFromForce, gv = step.VFromForce;
        double cx = w * (gx + later / Gamma * gv), cv = w * (1 - later) * gv;
        TensorPrimitives.MultiplyAdd(delta, cx, state[..d], state[..d]);
        TensorPrimitives.MultiplyAdd(delta, cv, state.Slice(d, d), state.Slice(d, d));
    }
}
