using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Numerics;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Deterministic PF-ODE predictor + underdamped corrector, the predictor–corrector pair whose TV cost
/// O~(L² √d / ε) Chen et al. (2023) state: the phase and corrector schedule of <see cref="GuptaCaiChen"/>, with each
/// predictor step the score-frozen exponential Euler step x ← e^h x + (e^h − 1) s(x, τ_a) of OU length
/// h (1 NFE) instead of the randomized midpoint. Corrector steps are delegated to a <see cref="GuptaCaiChen"/> on the
/// same constants, so the corrector is exactly the one tested there; the state layout (x, v) and the draws agree.
/// </summary>
public sealed class PfOdeUnderdampedCorrector : ISamplerKernel
{
    readonly GuptaCaiChen corrector;
    // Per kernel step: the predictor's OU length h and level a (h = 0 marks a corrector step).
    readonly double[] length;
    readonly NoiseLevel[] from;

    /// <summary>The sampler in dimension <paramref name="dimension"/> on the schedule of <paramref name="constants"/>.</summary>
    public PfOdeUnderdampedCorrector(int dimension, GuptaCaiChenConstants constants)
    {
        corrector = new GuptaCaiChen(dimension, constants);
        var steps = new List<(double H, double SFrom)>();
        double tEnd = constants.TEnd, end = tEnd - constants.Delta;
        // The same phases as GuptaCaiChen, with its 1e-9 slack against spurious near-zero steps.
        int phases = (int)Math.Ceiling(end / constants.H0 - 1e-9);
        int correctorSteps = (int)Math.Ceiling(constants.TCorr / constants.HCorr - 1e-9);
        for (int r = 0; r < phases; r++)
        {
            double b0 = r * constants.H0, b1 = r == phases - 1 ? end : (r + 1) * constants.H0;
            int m = (int)Math.Ceiling((b1 - b0) / constants.HPred - 1e-9);
            for (int j = 0; j < m; j++)
            {
                double s0 = b0 + j * constants.HPred, s1 = j == m - 1 ? b1 : b0 + (j + 1) * constants.HPred;
                steps.Add((s1 - s0, tEnd - s0));
            }
            for (int j = 0; j < correctorSteps; j++) steps.Add((0, tEnd - b1));
        }
        if (steps.Count != corrector.Steps)
            throw new InvalidOperationException($"schedule of {steps.Count} steps differs from {corrector.Steps}.");
        length = steps.Select(s => s.H).ToArray();
        from = steps.Select(s => NoiseLevel.FromOuTime(s.SFrom)).ToArray();
        PredictorSteps = length.Count(h => h > 0);
    }

    /// <summary>Predictor steps of a full run (1 NFE each).</summary>
    public int PredictorSteps { get; }
    /// <summary>Corrector steps of a full run (1 NFE each).</summary>
    public int CorrectorSteps => corrector.CorrectorSteps;
    /// <summary>Kernel steps of a full run.</summary>
    public int Steps => length.Length;
    /// <summary>Score evaluations of a full run: one per kernel step.</summary>
    public long Evaluations => Steps;
    /// <summary>The output level τ_δ = 1 − e^{−2δ}.</summary>
    public NoiseLevel OutputLevel => corrector.OutputLevel;
    /// <inheritdoc/>
    public string Name => "PF-ODE+underdamped-corrector";
    /// <inheritdoc/>
    public int Dimension => corrector.Dimension;
    /// <inheritdoc/>
    public int Blocks => corrector.Blocks;
    /// <inheritdoc/>
    public int AuxLength => corrector.AuxLength;
    /// <inheritdoc/>
    public int ScratchLength => corrector.ScratchLength;
    /// <inheritdoc/>
    public int InitNormalRoles => corrector.InitNormalRoles;
    /// <inheritdoc/>
    public int NormalRoles => corrector.NormalRoles;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state) => corrector.Init(ref ctx, state);

    /// <inheritdoc/>
    public void Step(ref StepContext ctx, Span<double> state)
    {
        if (ctx.Step < 0 || ctx.Step >= Steps)
            throw new ArgumentOutOfRangeException(nameof(ctx), $"step = {ctx.Step} is out of range; allowed: [0, {Steps - 1}].");
        int k = (int)ctx.Step;
        double h = length[k];
        if (h == 0)
        {
            corrector.Step(ref ctx, state);
            return;
        }
        var x = state[..Dimension];
        var s = ctx.Scratch[..Dimension];
        ctx.Score(x, from[k].Tau, s);
        TensorPrimitives.Multiply(x, Math.Exp(h), x);
        TensorPrimitives.MultiplyAdd(s, StableMath.Expm1(h), x, x);
    }
}
