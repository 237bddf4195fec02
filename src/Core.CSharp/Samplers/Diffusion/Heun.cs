using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Heun's second-order PF-ODE sampler ([KAAL22], docs/algorithms.md) in VE coordinates x̄ = Y/√ᾱ, σ = √(τ/ᾱ),
/// ε̂ = −√τ s: x̄' = x̄_i + (σ_{i+1} − σ_i) ε̂_i, x̄_{i+1} = x̄_i + (σ_{i+1} − σ_i)(ε̂_i + ε̂(x̄', σ_{i+1}))/2, except a
/// plain Euler step when σ_{i+1} = 0. Two NFE per step (one for a step to σ = 0), in two sequential rounds.
/// </summary>
public sealed class Heun : ReverseGridKernel
{
    /// <summary>Heun on <paramref name="grid"/> (for example <see cref="NoiseGrid.Edm"/>).</summary>
    public Heun(int dimension, NoiseGrid grid, StartLaw? start = null) : base(dimension, grid, start) { }

    /// <inheritdoc/>
    public override string Name => $"Heun({Grid.Name})";
    /// <inheritdoc/>
    public override int ScratchLength => 3 * Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => 0;

    /// <summary>Score evaluations of a whole run: 2 per step, 1 for a final step to σ = 0.</summary>
    public int EvaluationsPerRun => 2 * Steps - (Grid.End.Tau == 0 ? 1 : 0);

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int k = StepIndex(ctx);
        Advance(ref ctx, state[..Dimension], Grid[k], Grid[k + 1]);
    }

    /// <summary>One Heun step of y from level <paramref name="from"/> to <paramref name="to"/> (Euler when
    /// τ_to = 0), using 3d doubles of the context's scratch; shared with <see cref="HeunChurn"/>.</summary>
    internal static void Advance(ref StepContext ctx, Span<double> y, NoiseLevel from, NoiseLevel to)
    {
        int d = y.Length;
        var eps = ctx.Scratch[..d];
        var yPrime = ctx.Scratch.Slice(d, d);
        var eps2 = ctx.Scratch.Slice(2 * d, d);
        ctx.Score(y, from.Tau, eps);
        if (!Predict(y, eps, yPrime, from, to)) return;
        ctx.Score(yPrime, to.Tau, eps2);
        Correct(y, eps, eps2, from, to);
    }

    /// <summary>
    /// The Euler predictor from the score <paramref name="eps"/> at <paramref name="from"/> (turned into ε̂ in place):
    /// writes y′ at <paramref name="to"/> and returns true, or, when <paramref name="to"/> is σ = 0, takes the final
    /// Euler step into <paramref name="y"/> and returns false (no correction follows).
    /// </summary>
    internal static bool Predict(Span<double> y, Span<double> eps, Span<double> yPrime, NoiseLevel from, NoiseLevel to)
    {
        double dSigma = to.Sigma - from.Sigma, inScale = 1 / from.SignalScale;
        TensorPrimitives.Multiply(eps, -from.NoiseScale, eps);
        if (to.Tau == 0)
        {
            TensorPrimitives.Multiply(y, inScale, y);
            TensorPrimitives.MultiplyAdd(eps, dSigma, y, y);
            return false;
        }
        TensorPrimitives.Multiply(y, inScale, yPrime);
        TensorPrimitives.MultiplyAdd(eps, dSigma, yPrime, yPrime);
        TensorPrimitives.Multiply(yPrime, to.SignalScale, yPrime);
        return true;
    }

    /// <summary>
    /// The trapezoidal corrector from ε̂ (<paramref name="eps"/>) and the score at y′ (<paramref name="eps2"/>, used
    /// as scratch): y = outScale·(y·inScale + (dσ/2)·(ε̂ + ε̂′)), in the scalar expression's rounding order.
    /// </summary>
    internal static void Correct(Span<double> y, ReadOnlySpan<double> eps, Span<double> eps2, NoiseLevel from,
        NoiseLevel to)
    {
        double dSigma = to.Sigma - from.Sigma, inScale = 1 / from.SignalScale;
        TensorPrimitives.MultiplyAdd(eps2, -to.NoiseScale, eps, eps2);
        TensorPrimitives.Multiply(eps2, dSigma * 0.5, eps2);
        TensorPrimitives.MultiplyAdd(y, inScale, eps2, y);
        TensorPrimitives.Multiply(y, to.SignalScale, y);
    }
}
