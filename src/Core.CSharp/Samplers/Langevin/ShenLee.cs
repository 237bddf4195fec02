using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// Shen &amp; Lee's randomized midpoint method for underdamped Langevin (RMP-ULD, docs/algorithms.md; [SL19]) with
/// friction γ (γ = 2 in [SL19]): with α ~ Unif(0, 1) and s = ∇log π,
/// x_{n+½} = x_n + (1−e^{−γαh})/γ v_n + (u/γ)(αh − (1−e^{−γαh})/γ) s(x_n) + √(2u/γ) W₁,
/// x_{n+1} = x_n + (1−e^{−γh})/γ v_n + (uh/γ)(1−e^{−γ(1−α)h}) s(x_{n+½}) + √(2u/γ) W₂,
/// v_{n+1} = e^{−γh} v_n + uh e^{−γ(1−α)h} s(x_{n+½}) + √(2γu) W₃.
/// W₁, W₂, W₃ are built from two Brownian-integral pairs on [0, αh] and [αh, h] (the stable A-form), so they share
/// the first pair as they must. Two score evaluations per step; state blocks (x, v). At γ = 2 the coefficients are
/// those of [SL19] (√(2u/γ) = √u, √(2γu) = 2√u) to the bit.
/// </summary>
/// <remarks>
/// Pitfall: W₂ and the x_{n+1}, v_{n+1} lines use e^{−γh} and e^{−γ(1−α)h}, never e^{−γαh} (a public implementation
/// has that bug). [SL19] use u = 1/L and γ = 2; both are parameters here.
/// </remarks>
public sealed class ShenLee : SamplerKernel, IStepDraws
{
    readonly double eFull, xFromV, sqrtU, noiseX, noiseV;

    /// <summary>
    /// RMP-ULD with step <paramref name="h"/>, inverse mass <paramref name="u"/> (1/L in [SL19]) and friction
    /// <paramref name="gamma"/> (2 in [SL19]); x₀ from <paramref name="start"/>, v₀ ~ N(0, u I) unless
    /// <paramref name="zeroVelocity"/> (then v₀ = 0).
    /// </summary>
    public ShenLee(int dimension, double h, double u, StartLaw start, bool zeroVelocity = false, double gamma = 2.0)
        : base(dimension, start)
    {
        H = Guard.Positive(h, nameof(h));
        U = Guard.Positive(u, nameof(u));
        ZeroVelocity = zeroVelocity;
        Gamma = Guard.Positive(gamma, nameof(gamma));
        double oneMinusE = OuIntegrals.OneMinusExp(Gamma * h);
        eFull = 1 - oneMinusE;
        xFromV = oneMinusE / Gamma;
        sqrtU = Math.Sqrt(u);
        noiseX = Math.Sqrt(2 * u / gamma);
        noiseV = Math.Sqrt(2 * gamma * u);
    }

    /// <summary>Step size h.</summary>
    public double H { get; }
    /// <summary>Inverse mass u.</summary>
    public double U { get; }
    /// <summary>Friction γ.</summary>
    public double Gamma { get; }
    /// <summary>True when chains start at rest (v₀ = 0).</summary>
    public bool ZeroVelocity { get; }
    /// <inheritdoc/>
    public override string Name => "ShenLee";
    /// <inheritdoc/>
    public override int Blocks => 2;
    /// <inheritdoc/>
    public override int ScratchLength => 6 * Dimension;
    /// <inheritdoc/>
    public override int InitNormalRoles => UnderdampedStart.NormalRoles(ZeroVelocity);
    /// <inheritdoc/>
    public override int NormalRoles => 4;

    /// <inheritdoc/>
    public override void Init(ref StepContext ctx, Span<double> state)
        => UnderdampedStart.Draw(ref ctx, Start, sqrtU, ZeroVelocity, Dimension, state);

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension;
        double h = H, u = U;
        var x = state[..d];
        var v = state.Slice(d, d);
        var s = ctx.Scratch[..d];
        var xm = ctx.Scratch.Slice(d, d);
        var z1 = ctx.Scratch.Slice(2 * d, d);
        var z2 = ctx.Scratch.Slice(3 * d, d);
        var z3 = ctx.Scratch.Slice(4 * d, d);
        var z4 = ctx.Scratch.Slice(5 * d, d);

        double alpha = ctx.Uniform(0), t1 = alpha * h, t2 = (1 - alpha) * h;
        // Pair (D₁, A₁) on [0, αh] from roles 0, 1 and (D₂, A₂) on [αh, h] from roles 2, 3; H = D + A.
        var p1 = ExponentialBrownianPair.For(Gamma, t1);
        var p2 = ExponentialBrownianPair.For(Gamma, t2);
        ctx.Normals(0, z1);
        ctx.Normals(1, z2);
        ctx.Normals(2, z3);
        ctx.Normals(3, z4);

        double midFromV = OuIntegrals.OneMinusExp(Gamma * t1) / Gamma;
        // (u/γ)(αh − (1 − e^{−γαh})/γ) = (u/γ²) φ₂(γαh) without cancellation.
        double midFromScore = u / Gamma / Gamma * OuIntegrals.Phi2(Gamma * t1);
        // The normals are turned into the pairs in place (A before D, which overwrites ζ): z1..z4 = D₁, A₁, D₂, A₂.
        // Every sum below keeps the rounding order of the scalar form.
        p1.A(z1, z2, z2);
        p1.D(z1, z1);
        p2.A(z3, z4, z4);
        p2.D(z3, z3);
        ctx.Score(x, 0, s);
        // x_{n+½} = ((x + midFromV·v) + midFromScore·s) + √(2u/γ) D₁.
        TensorPrimitives.MultiplyAdd(v, midFromV, x, xm);
        TensorPrimitives.MultiplyAdd(s, midFromScore, xm, xm);
        TensorPrimitives.MultiplyAdd(z1, noiseX, xm, xm);
        ctx.Score(xm, 0, s);

        double oneMinusE2 = OuIntegrals.OneMinusExp(Gamma * t2), e2 = 1 - oneMinusE2;
        double xFromScore = u / Gamma * h * oneMinusE2, vFromScore = u * h * e2;
        // W₃ = e^{−γ(1−α)h} A₁ + A₂ (into z4) and W₂ = H₁ + H₂ − W₃ = (D₁ + D₂) + (1 − e^{−γ(1−α)h}) A₁ (into z1).
        TensorPrimitives.MultiplyAdd(z2, e2, z4, z4);
        TensorPrimitives.Add(z1, z3, z1);
        TensorPrimitives.MultiplyAdd(z2, oneMinusE2, z1, z1);
        // x += (xFromV·v + xFromScore·s) + √(2u/γ) W₂ and v = (eFull·v + vFromScore·s) + √(2γu) W₃, summed in the
        // spent x_{n+½}.
        UnderdampedExponentialStep.Update(x, v, b: s, xFromV: xFromV, xFromForce: xFromScore, zetaX: z1, cx: noiseX,
            e: eFull, vFromForce: vFromScore, zetaV: z4, cv: noiseV, work: xm);
    }

    /// <summary>One continuous uniform per step: the midpoint time, fresh at every step.</summary>
    public int UniformsPerStep => 1;

    /// <inheritdoc/>
    public StepDraw Draw(int index) => new(DrawKind.ContinuousUniform);
}
