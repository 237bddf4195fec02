using System.Numerics.Tensors;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// One exponential-integrator step of underdamped Langevin with the force b frozen at the step's start
/// (docs/algorithms.md, 'ULMC — underdamped Langevin, exponential integrator'), z = γη:
/// x ← x + (1−e^{−z})/γ · v + u φ₂(z)/γ² · b + √(2u/γ) D, v ← e^{−z} v + u(1−e^{−z})/γ · b + √(2γu) A,
/// with (D, A) the <see cref="ExponentialBrownianPair"/> drawn from two standard normals ζ₁, ζ₂.
/// </summary>
internal readonly struct UnderdampedExponentialStep
{
    readonly double e, xFromV, noiseX, noiseV;
    readonly ExponentialBrownianPair pair;

    /// <summary>The step of length <paramref name="eta"/> with friction <paramref name="gamma"/> and inverse mass <paramref name="u"/> (callers validate).</summary>
    public UnderdampedExponentialStep(double gamma, double eta, double u)
    {
        double z = gamma * eta, oneMinusE = OuIntegrals.OneMinusExp(z);
        e = 1 - oneMinusE;
        xFromV = oneMinusE / gamma;
        // (u/γ)(η − (1−e^{−z})/γ) = u·φ₂(z)/γ², cancellation-free for small z.
        XFromForce = u * OuIntegrals.Phi2(z) / (gamma * gamma);
        VFromForce = u * oneMinusE / gamma;
        // ξ_x = √(2γu)·D/γ and ξ_v = √(2γu)·A, with D and A the Brownian integrals of the pair.
        noiseX = Math.Sqrt(2 * u / gamma);
        noiseV = Math.Sqrt(2 * gamma * u);
        pair = ExponentialBrownianPair.For(gamma, eta);
    }

    /// <summary>Weight u φ₂(z)/γ² of the force in x.</summary>
    public double XFromForce { get; }

    /// <summary>Weight u(1−e^{−z})/γ of the force in v.</summary>
    public double VFromForce { get; }

    /// <summary>
    /// Advances (x, v) in place with force <paramref name="b"/> and normals ζ₁, ζ₂; overwrites ζ₁, ζ₂ and
    /// <paramref name="work"/> (d doubles).
    /// </summary>
    public void Apply(Span<double> x, Span<double> v, ReadOnlySpan<double> b, Span<double> zeta1, Span<double> zeta2,
        Span<double> work)
    {
        // A needs ζ₁ before it becomes D.
        pair.A(zeta1, zeta2, zeta2);
        pair.D(zeta1, zeta1);
        Update(x, v, b, xFromV: xFromV, xFromForce: XFromForce, zetaX: zeta1, cx: noiseX, e: e, vFromForce: VFromForce,
            zetaV: zeta2, cv: noiseV, work: work);
    }

    /// <summary>
    /// x += (xFromV·v + xFromForce·b) + cx·ζx and v = (e·v + vFromForce·b) + cv·ζv, the update shape of every
    /// underdamped exponential integrator here, in the scalar rounding order; x goes first as it reads the old v, and
    /// <paramref name="work"/> (d doubles) holds the inner sum of x.
    /// </summary>
    internal static void Update(Span<double> x, Span<double> v, ReadOnlySpan<double> b, double xFromV, double xFromForce,
        ReadOnlySpan<double> zetaX, double cx, double e, double vFromForce, ReadOnlySpan<double> zetaV, double cv,
        Span<double> work)
    {
        TensorPrimitives.Multiply(v, xFromV, work);
        TensorPrimitives.MultiplyAdd(b, xFromForce, work, work);
        TensorPrimitives.MultiplyAdd(zetaX, cx, work, work);
        TensorPrimitives.Add(x, work, x);
        TensorPrimitives.Multiply(v, e, v);
        TensorPrimitives.MultiplyAdd(b, vFromForce, v, v);
        TensorPrimitives.MultiplyAdd(zetaV, cv, v, v);
    }
}
