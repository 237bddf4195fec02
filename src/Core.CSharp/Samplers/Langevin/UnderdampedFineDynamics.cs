using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// ULMC exponential integrator with unit mass (u = 1) as Poisson-midpoint base dynamics (algorithms.md §2.5, second
/// table row), state (x, v), z = γh:
/// A_h = [[I, (1−e^{−z})/γ I], [0, e^{−z} I]], G_h = [(h − (1−e^{−z})/γ)/γ I; (1−e^{−z})/γ I],
/// Γ_h Z = (ξ_x, ξ_v) of §2.3 with u = 1. Then A_{mh} G_h = [g_x + (1−e^{−γmh})/γ · g_v; e^{−γmh} g_v].
/// </summary>
public sealed class UnderdampedFineDynamics : IFineDynamics
{
    readonly StartLaw start;
    readonly double e, xFromV, gx, gv, noiseX, noiseV;
    readonly ExponentialBrownianPair pair;

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
        double z = gamma * h, oneMinusE = OuIntegrals.OneMinusExp(z);
        e = 1 - oneMinusE;
        xFromV = oneMinusE / gamma;
        gx = OuIntegrals.Phi2(z) / (gamma * gamma);
        gv = oneMinusE / gamma;
        noiseX = Math.Sqrt(2 / gamma);
        noiseV = Math.Sqrt(2 * gamma);
        pair = ExponentialBrownianPair.For(gamma, h);
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
    public int InitNormalRoles => ZeroVelocity ? 1 : 2;
    /// <inheritdoc/>
    public int ScratchLength => 2 * Dimension;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension;
        start.Draw(ref ctx, 0, state[..d]);
        var v = state.Slice(d, d);
        if (ZeroVelocity) v.Clear();
        else ctx.Normals(1, v);
    }

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
        for (int i = 0; i < d; i++)
        {
            x[i] += xFromV * v[i] + gx * b[i] + noiseX * pair.D(zeta1[i]);
            v[i] = e * v[i] + gv * b[i] + noiseV * pair.A(zeta1[i], zeta2[i]);
        }
    }

    /// <inheritdoc/>
    public void AddPropagatedDrift(Span<double> state, int m, double w, ReadOnlySpan<double> delta)
    {
        int d = Dimension;
        double later = OuIntegrals.OneMinusExp(Gamma * m * H);
        double cx = w * (gx + later / Gamma * gv), cv = w * (1 - later) * gv;
        for (int i = 0; i < d; i++)
        {
            state[i] += cx * delta[i];
            state[d + i] += cv * delta[i];
        }
    }
}
