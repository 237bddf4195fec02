using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// Overdamped randomized midpoint (RLMC, docs/algorithms.md; [HBE20], [YKD24]): with U ~ Unif(0, 1) and one Brownian
/// path W on the step, y = x_k + U h s(x_k) + √2 W_{Uh}, x_{k+1} = x_k + h s(y) + √2 W_h, where s = ∇log π.
/// h·s(y) is an unbiased one-point estimate of ∫₀ʰ s(x_r) dr; W_h must contain W_{Uh} (nested increments), otherwise
/// the scheme is a different and worse one. Two score evaluations per step.
/// </summary>
public sealed class Rlmc : SamplerKernel, IStepDraws
{

    /// <summary>RLMC with step <paramref name="h"/> on a d-dimensional target, started from <paramref name="start"/>.</summary>
    public Rlmc(int dimension, double h, StartLaw start) : base(dimension, start)
    {
        H = Guard.Positive(h, nameof(h));
    }

    /// <summary>Step size h.</summary>
    public double H { get; }
    /// <inheritdoc/>
    public override string Name => "RLMC";
    /// <inheritdoc/>
    public override int ScratchLength => 4 * Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => 2;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension;
        double h = H, sqrt2 = Math.Sqrt(2.0);
        var x = state[..d];
        var s = ctx.Scratch[..d];
        var y = ctx.Scratch.Slice(d, d);
        // Blocks W(Uh) − W(0) and W(h) − W(Uh) of one bridged path: roles 0 and 1.
        var dW = ctx.Scratch.Slice(2 * d, 2 * d);
        double u = ctx.Uniform(0);
        ctx.BrownianIncrements(h, [u], dW);
        var wMid = dW[..d];
        var wRest = dW.Slice(d, d);

        // Both updates keep the scalar rounding order: y = (x + (u·h)·s) + √2·W_{Uh} and
        // x += h·s(y) + √2·(W_{Uh} + (W_h − W_{Uh})), the sum formed in the spent increment blocks.
        ctx.Score(x, 0, s);
        TensorPrimitives.MultiplyAdd(s, u * h, x, y);
        TensorPrimitives.MultiplyAdd(wMid, sqrt2, y, y);
        ctx.Score(y, 0, s);
        TensorPrimitives.Add(wMid, wRest, wRest);
        TensorPrimitives.Multiply(s, h, s);
        TensorPrimitives.MultiplyAdd(wRest, sqrt2, s, s);
        TensorPrimitives.Add(x, s, x);
    }

    /// <summary>One continuous uniform per step: the midpoint time, fresh at every step.</summary>
    public int UniformsPerStep => 1;

    /// <inheritdoc/>
    public StepDraw Draw(int index) => new(DrawKind.ContinuousUniform);

    /// <summary>
    /// 2: on s(x) = −Λ⁻¹(x − μ) the step is x' = (1 − hΛ⁻¹ + U h²Λ⁻²) x + … with W_{Uh} = √(Uh) ξ₀ and
    /// W_h − W_{Uh} = √((1 − U)h) ξ₁, so A, c are linear in U and every bₖbₖᵀ is linear in U.
    /// </summary>
    public int? MomentDegree => 2;
}
