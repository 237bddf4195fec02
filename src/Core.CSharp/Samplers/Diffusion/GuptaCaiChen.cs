using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Numerics;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// The full sequential Gupta–Cai–Chen sampler (docs/algorithms.md; structure from the peer reviews, constants
/// reconstructed): from x ~ N(0, I) at OU time T_end, phases of OU length h₀ each run predictor steps (eqs. (7)–(8), step
/// ≤ h_pred, 2 NFE) down to the phase end t_c, then a corrector: underdamped Langevin targeting q_{τ_c} ⊗ N(0, I),
/// dx = v dt, dv = −γv dt + s(x, τ_c) dt + √(2γ) dB (u = 1, score frozen at the phase's level), started from a fresh
/// v ~ N(0, I) (role 2), ⌈T_corr/h_corr⌉ exponential-integrator steps of length h_corr (the ULMC step, 1 NFE,
/// ζ₁, ζ₂ = roles 0, 1); only x is kept. Ends at early-stopping OU time δ. Each kernel step is one predictor or one
/// corrector step.
/// </summary>
public sealed class GuptaCaiChen : ISamplerKernel
{
    readonly NoiseLevel[] from, to;
    readonly double[] logFrom, logTo;
    readonly bool[] corrector, freshVelocity;
    // Exponential-integrator coefficients for the fixed corrector step (the ULMC step with u = 1, g = −s).
    readonly double xFromV, xFromS, vFromV, vFromS, sdX, vFromZeta1, sdV;

    /// <summary>The sampler in dimension <paramref name="dimension"/>; <paramref name="predictorOnly"/> drops the corrector.</summary>
    public GuptaCaiChen(int dimension, GuptaCaiChenConstants constants, bool predictorOnly = false,
        MidpointRule rule = MidpointRule.Uniform)
    {
        Dimension = Guard.AtLeast(dimension, 1, "d");
        Constants = constants ?? throw new ArgumentNullException(nameof(constants));
        constants.Validate();
        PredictorOnly = predictorOnly;
        Rule = rule;

        var ops = new List<(double SFrom, double STo, bool Corr, bool Fresh)>();
        double tEnd = constants.TEnd, end = tEnd - constants.Delta;
        // The 1e-9 slack keeps round-off in b/h from adding a spurious near-zero step.
        int phases = (int)Math.Ceiling(end / constants.H0 - 1e-9);
        int correctorSteps = (int)Math.Ceiling(constants.TCorr / constants.HCorr - 1e-9);
        for (int r = 0; r < phases; r++)
        {
            double b0 = r * constants.H0, b1 = r == phases - 1 ? end : (r + 1) * constants.H0;
            int m = (int)Math.Ceiling((b1 - b0) / constants.HPred - 1e-9);
            for (int j = 0; j < m; j++)
                ops.Add((tEnd - (b0 + j * constants.HPred), tEnd - (j == m - 1 ? b1 : b0 + (j + 1) * constants.HPred), false, false));
            if (!predictorOnly)
                for (int j = 0; j < correctorSteps; j++) ops.Add((tEnd - b1, tEnd - b1, true, j == 0));
        }
        from = ops.Select(o => NoiseLevel.FromOuTime(o.SFrom)).ToArray();
        to = ops.Select(o => NoiseLevel.FromOuTime(o.STo)).ToArray();
        logFrom = ops.Select(o => -2 * o.SFrom).ToArray();
        logTo = ops.Select(o => -2 * o.STo).ToArray();
        corrector = ops.Select(o => o.Corr).ToArray();
        freshVelocity = ops.Select(o => o.Fresh).ToArray();
        PredictorSteps = corrector.Count(c => !c);
        CorrectorSteps = corrector.Length - PredictorSteps;

        double g = constants.Gamma, z = g * constants.HCorr, em1 = StableMath.Expm1(-z);
        xFromV = -em1 / g;
        vFromV = 1 + em1;
        vFromS = -em1 / g;
        // z + expm1(−z) = z²/2 − z³/6 + … and φ(z) = z − 2(1−e^{−z}) + ½(1−e^{−2z}) = z³/3 − z⁴/4 + 7z⁵/60 − z⁶/24 + … cancel
        // catastrophically for small z, so switch to their series.
        double zPlus = z < 1e-3 ? z * z * (0.5 - z / 6 + z * z / 24 - z * z * z / 120) : z + em1;
        double phi = z < 1e-3
            ? z * z * z * (1.0 / 3 - z / 4 + 7 * z * z / 60 - z * z * z / 24)
            : z + 2 * em1 - 0.5 * StableMath.Expm1(-2 * z);
        xFromS = zPlus / (g * g);
        double vx = 2 * phi / (g * g), vv = -StableMath.Expm1(-2 * z), cxv = em1 * em1 / g;
        sdX = Math.Sqrt(vx);
        vFromZeta1 = cxv / sdX;
        sdV = Math.Sqrt(Math.Max(0, vv - cxv * cxv / vx));
    }

    /// <summary>The reconstructed constants.</summary>
    public GuptaCaiChenConstants Constants { get; }
    /// <summary>True when the corrector phases are dropped.</summary>
    public bool PredictorOnly { get; }
    /// <summary>Midpoint rule of the predictor.</summary>
    public MidpointRule Rule { get; }
    /// <summary>Predictor steps of a full run (2 NFE each).</summary>
    public int PredictorSteps { get; }
    /// <summary>Corrector steps of a full run (1 NFE each).</summary>
    public int CorrectorSteps { get; }
    /// <summary>Kernel steps of a full run.</summary>
    public int Steps => corrector.Length;
    /// <summary>Score evaluations of a full run: 2·predictor + corrector steps.</summary>
    public long Evaluations => 2L * PredictorSteps + CorrectorSteps;
    /// <summary>The output level τ_δ = 1 − e^{−2δ}.</summary>
    public NoiseLevel OutputLevel => NoiseLevel.FromOuTime(Constants.Delta);
    /// <inheritdoc/>
    public string Name => PredictorOnly ? "Gupta-Cai-Chen(predictor-only)" : "Gupta-Cai-Chen";
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <inheritdoc/>
    public int Blocks => PredictorOnly ? 1 : 2;
    /// <inheritdoc/>
    public int AuxLength => 0;
    /// <inheritdoc/>
    public int ScratchLength => 3 * Dimension;
    /// <inheritdoc/>
    public int InitNormalRoles => 1;
    /// <inheritdoc/>
    public int NormalRoles => PredictorOnly ? 0 : 3;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state)
    {
        ctx.Normals(0, state[..Dimension]);
        state[Dimension..(Blocks * Dimension)].Clear();
    }

    /// <inheritdoc/>
    public void Step(ref StepContext ctx, Span<double> state)
    {
        if (ctx.Step < 0 || ctx.Step >= Steps)
            throw new ArgumentOutOfRangeException(nameof(ctx), $"step = {ctx.Step} is out of range; allowed: [0, {Steps - 1}].");
        int k = (int)ctx.Step, d = Dimension;
        var x = state[..d];
        if (!corrector[k])
        {
            GuptaCaiChenPredictor.Advance(ref ctx, x, from[k], logFrom[k], logTo[k], Rule);
            return;
        }
        var v = state.Slice(d, d);
        if (freshVelocity[k]) ctx.Normals(2, v);
        var s = ctx.Scratch[..d];
        var z1 = ctx.Scratch.Slice(d, d);
        var z2 = ctx.Scratch.Slice(2 * d, d);
        ctx.Score(x, from[k].Tau, s);
        ctx.Normals(0, z1);
        ctx.Normals(1, z2);
        // Terms added left to right as in x + a·v + b·s + c·ζ₁ (the scalar rounding order); x first, from the old v.
        TensorPrimitives.MultiplyAdd(v, xFromV, x, x);
        TensorPrimitives.MultiplyAdd(s, xFromS, x, x);
        TensorPrimitives.MultiplyAdd(z1, sdX, x, x);
        TensorPrimitives.Multiply(v, vFromV, v);
        TensorPrimitives.MultiplyAdd(s, vFromS, v, v);
        TensorPrimitives.MultiplyAdd(z1, vFromZeta1, v, v);
        TensorPrimitives.MultiplyAdd(z2, sdV, v, v);
    }
}
