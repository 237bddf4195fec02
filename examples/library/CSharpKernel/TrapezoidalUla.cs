using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Samplers;

namespace CSharpKernel;

/// <summary>
/// A user's kernel: ULA with a trapezoidal (stochastic Heun) drift. With one Brownian increment ΔW per step,
/// y = x + h s(x) + √2 ΔW, x' = x + (h/2)(s(x) + s(y)) + √2 ΔW. Two score calls per step.
/// </summary>
/// <remarks><paramref name="noiseScale"/> exists to plant a bug: anything but 1 scales the noise wrongly.</remarks>
public sealed class TrapezoidalUla(int dimension, double h, StartLaw start, double noiseScale = 1.0) : ISamplerKernel
{
    public double H { get; } = h > 0 && double.IsFinite(h)
        ? h
        : throw new ArgumentOutOfRangeException(nameof(h), $"h = {h} is out of range; allowed: (0, ∞).");

    public string Name => noiseScale == 1.0 ? "trapezoidal ULA" : $"trapezoidal ULA (noise × {noiseScale})";
    public int Dimension { get; } = dimension;
    public int Blocks => 1;
    public int AuxLength => 0;
    public int ScratchLength => 3 * Dimension;
    public int InitNormalRoles => 1;
    public int NormalRoles => 1;

    public void Init(ref StepContext ctx, Span<double> state) => start.Draw(ref ctx, 0, state[..Dimension]);

    public void Step(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension;
        var x = state[..d];
        var s = ctx.Scratch[..d];
        var y = ctx.Scratch.Slice(d, d);
        var dW = ctx.Scratch.Slice(2 * d, d);
        ctx.BrownianIncrements(H, [], dW);
        TensorPrimitives.Multiply(dW, noiseScale * Math.Sqrt(2.0), dW);
        ctx.Score(x, 0, s);
        // y = x + h·s(x) + √2·ΔW, then x ← x + (h/2)·s(x) + √2·ΔW + (h/2)·s(y)
        TensorPrimitives.MultiplyAdd(s, H, x, y);
        TensorPrimitives.Add(y, dW, y);
        TensorPrimitives.MultiplyAdd(s, 0.5 * H, x, x);
        TensorPrimitives.Add(x, dW, x);
        ctx.Score(y, 0, s);
        TensorPrimitives.MultiplyAdd(s, 0.5 * H, x, x);
    }
}
