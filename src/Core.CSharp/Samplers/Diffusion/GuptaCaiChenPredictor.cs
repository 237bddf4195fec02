using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Numerics;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>How the Gupta–Cai–Chen predictor draws its random midpoint.</summary>
public enum MidpointRule
{
    /// <summary>α ~ Unif[0, 1] in OU time, weight h e^{(1−α)h}: eq. (8) of [GCC24].</summary>
    Uniform,
    /// <summary>Offset r = αh with density ∝ e^{h−r} on [0, h], weight e^h − 1 ([ZHH+25], `stephen-huan/edm_rmd`).</summary>
    ImportanceSampled,
}

/// <summary>
/// Gupta–Cai–Chen randomized-midpoint predictor for the PF-ODE (docs/algorithms.md, eqs. (7)–(8)) on a decreasing grid
/// of levels, in τ-form. A step from τ_a to τ_b has OU length h = ½ log(ᾱ_b/ᾱ_a); with α = ctx.Uniform(0),
/// x_mid = e^{αh} x + (e^{αh} − 1) s(x, τ_a) (7) at τ_mid = 1 − ᾱ_a^{1−α} ᾱ_b^α (uniform in OU time), then
/// x ← e^h x + h e^{(1−α)h} s(x_mid, τ_mid) (8), the one-point unbiased estimate of ∫₀ʰ e^{h−r} s dr. 2 NFE per step.
/// Starts from N(0, I) at the top level (normals of role 0 at step −1); no Gaussian noise afterwards.
/// </summary>
public sealed class GuptaCaiChenPredictor : GuptaPredictorKernel, IStepDraws
{
    readonly double[] logAlphaBar;

    /// <summary>The predictor on <paramref name="grid"/> (strictly decreasing τ, at least two levels).</summary>
    public GuptaCaiChenPredictor(int dimension, NoiseLevel[] grid, MidpointRule rule = MidpointRule.Uniform)
        : base(dimension, grid, nameof(grid))
    {
        // log ᾱ is log1p(−τ) where τ is small, so the OU step lengths keep their digits near the clean end.
        logAlphaBar = Array.ConvertAll(this.grid, l => l.LogAlphaBar);
        Rule = rule;
    }

    /// <summary>The predictor on the levels of <paramref name="grid"/>.</summary>
    public GuptaCaiChenPredictor(int dimension, NoiseGrid grid, MidpointRule rule = MidpointRule.Uniform)
        : this(dimension, (grid ?? throw new ArgumentNullException(nameof(grid))).Levels.ToArray(), rule) { }

    /// <summary>Midpoint rule.</summary>
    public MidpointRule Rule { get; }
    /// <summary>Kernel steps of a full run: grid length − 1.</summary>
    public override int Steps => grid.Length - 1;
    /// <inheritdoc/>
    public override string Name => Rule == MidpointRule.Uniform ? "Gupta-Cai-Chen-predictor" : "Gupta-Cai-Chen-predictor(importance)";

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int k = StepIndex(ctx);
        Advance(ref ctx, state[..Dimension], grid[k], logAlphaBar[k], logAlphaBar[k + 1], Rule);
    }

    /// <summary>One predictor step of x from level a (log ᾱ_a) to log ᾱ_b; uses 2d scratch and uniform 0.</summary>
    internal static void Advance(ref StepContext ctx, Span<double> x, NoiseLevel a, double logA, double logB, MidpointRule rule)
    {
        int d = x.Length;
        double h = 0.5 * (logB - logA), u = ctx.Uniform(0), alpha, weight;
        if (rule == MidpointRule.Uniform)
        {
            alpha = u;
            weight = h * Math.Exp((1 - u) * h);
        }
        else
        {
            // Inverse CDF of the density ∝ e^{−r} on [0, h]; the weight e^{h−r}/p(r) is then the constant e^h − 1.
            alpha = -StableMath.Log1p(u * StableMath.Expm1(-h)) / h;
            weight = StableMath.Expm1(h);
        }
        double logMid = logA + 2 * alpha * h, tauMid = -StableMath.Expm1(logMid);
        double grow = Math.Exp(alpha * h), growM1 = StableMath.Expm1(alpha * h);
        var s = ctx.Scratch[..d];
        var xm = ctx.Scratch.Slice(d, d);
        ctx.Score(x, a.Tau, s);
        TensorPrimitives.Multiply(x, grow, xm);
        TensorPrimitives.MultiplyAdd(s, growM1, xm, xm);
        ctx.Score(xm, tauMid, s);
        TensorPrimitives.Multiply(x, Math.Exp(h), x);
        TensorPrimitives.MultiplyAdd(s, weight, x, x);
    }

    /// <summary>One continuous uniform per step: the midpoint time, fresh at every step.</summary>
    public int UniformsPerStep => 1;

    /// <inheritdoc/>
    public StepDraw Draw(int index) => new(DrawKind.ContinuousUniform);
}
