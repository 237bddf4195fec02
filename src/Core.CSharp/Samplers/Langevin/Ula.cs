using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// Unadjusted Langevin algorithm (ULA / LMC), the Euler–Maruyama step of dX = ∇log π(X) dt + √2 dB
/// (docs/algorithms.md): x_{k+1} = x_k + h ∇log π(x_k) + √2 (B_{(k+1)h} − B_{kh}). One score evaluation per step.
/// </summary>
public sealed class Ula : SamplerKernel, IBlockKernel, ITimeHomogeneous
{
    /// <summary>ULA with step <paramref name="h"/> on a d-dimensional target, started from <paramref name="start"/>.</summary>
    public Ula(int dimension, double h, StartLaw start) : base(dimension, start)
    {
        H = Guard.Positive(h, nameof(h));
    }

    /// <summary>Step size h.</summary>
    public double H { get; }
    /// <inheritdoc/>
    public override string Name => "ULA";
    /// <inheritdoc/>
    public override int ScratchLength => 2 * Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => 1;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension;
        var x = state[..d];
        var score = ctx.Scratch[..d];
        var dW = ctx.Scratch.Slice(d, d);
        ctx.Score(x, 0, score);
        ctx.BrownianIncrements(H, [], dW);
        Advance(x, score, dW);
    }

    /// <summary>The block's scores in one batched call, then each chain's own increment, as
    /// <see cref="Step"/>.</summary>
    public void StepBlock(ref BlockContext ctx, Span<double> states)
    {
        int d = Dimension, n = ctx.Chains;
        var scores = ctx.Scratch[..(n * d)];
        var dW = ctx.Scratch.Slice(n * d, d);
        ctx.ScoreBlock(states[..(n * d)], 0, scores);
        for (int c = 0; c < n; c++)
        {
            ctx.BrownianIncrements(c, H, [], dW);
            Advance(states.Slice(c * d, d), scores.Slice(c * d, d), dW);
        }
    }

    // x += (h·score + √2·dW), in the scalar expression's rounding order; score is overwritten.
    void Advance(Span<double> x, Span<double> score, ReadOnlySpan<double> dW)
    {
        TensorPrimitives.Multiply(score, H, score);
        TensorPrimitives.MultiplyAdd(dW, Math.Sqrt(2.0), score, score);
        TensorPrimitives.Add(x, score, x);
    }
}
