using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// Metropolis-adjusted Langevin algorithm, the exact reference sampler: propose the ULA step
/// y = x + h s(x) + √(2h) ξ (s = ∇log π, docs/algorithms.md) and accept with probability
/// min(1, π(y) q(x | y) / (π(x) q(y | x))), log q(y | x) = −‖y − x − h s(x)‖²/(4h). π is left exactly invariant.
/// </summary>
/// <remarks>
/// Aux layout per chain: [accepted count, log π(x), s(x) (d doubles)]; caching s(x) and log π(x) makes one score
/// evaluation per step (at the proposal), and the one of Init is counted as well. Not affine on Gaussians.
/// </remarks>
public sealed class Mala : SamplerKernel
{
    const int AcceptedSlot = 0, LogDensitySlot = 1, ScoreSlot = 2;
    readonly ITarget target;

    /// <summary>MALA with step <paramref name="h"/> on <paramref name="target"/>, started from <paramref name="start"/>.</summary>
    public Mala(ITarget target, double h, StartLaw start) : base(DimensionOf(target), start)
    {
        this.target = target;
        H = Guard.Positive(h, nameof(h));
    }

    // The target is checked before the base reads its dimension.
    static int DimensionOf(ITarget target) => (target ?? throw new ArgumentNullException(nameof(target))).Dimension;

    /// <summary>Step size h.</summary>
    public double H { get; }
    /// <inheritdoc/>
    public override string Name => "MALA";
    /// <inheritdoc/>
    public override int AuxLength => 2 + Dimension;
    /// <inheritdoc/>
    public override int ScratchLength => 3 * Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => 1;
    /// <inheritdoc/>
    public override bool IsAffineOnGaussians => false;

    /// <inheritdoc/>
    public override void Init(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension;
        var x = state[..d];
        Start.Draw(ref ctx, 0, x);
        var aux = state[d..];
        aux[AcceptedSlot] = 0;
        aux[LogDensitySlot] = target.LogDensity(x);
        ctx.Score(x, 0, aux.Slice(ScoreSlot, d));
    }

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension;
        double h = H, noise = Math.Sqrt(2 * h);
        var x = state[..d];
        var aux = state[d..];
        var sx = aux.Slice(ScoreSlot, d);
        var y = ctx.Scratch[..d];
        var sy = ctx.Scratch.Slice(d, d);
        var xi = ctx.Scratch.Slice(2 * d, d);

        ctx.Normals(0, xi);
        // y = (x + h s(x)) + √(2h) ξ, in the scalar expression's rounding order.
        TensorPrimitives.MultiplyAdd(sx, h, x, y);
        TensorPrimitives.MultiplyAdd(xi, noise, y, y);
        ctx.Score(y, 0, sy);
        double logPiY = target.LogDensity(y);

        // log q(x | y) − log q(y | x); the forward residual y − x − h s(x) is √(2h) ξ, and the backward one
        // (x − y) − h s(y) goes into ξ's spent buffer. The sums of squares add lane-wise, so they round differently from
        // a sequential loop; harmless, as the ratio only decides acceptance.
        double forward = 2 * h * TensorPrimitives.SumOfSquares(xi);
        TensorPrimitives.Subtract(x, y, xi);
        TensorPrimitives.MultiplyAdd(sy, -h, xi, xi);
        double backward = TensorPrimitives.SumOfSquares(xi);
        double logRatio = logPiY - aux[LogDensitySlot] - (backward - forward) / (4 * h);
        if (Math.Log(ctx.Uniform(0)) >= logRatio) return;

        y.CopyTo(x);
        sy.CopyTo(sx);
        aux[LogDensitySlot] = logPiY;
        aux[AcceptedSlot] += 1;
    }

    /// <summary>Accepted proposals of local chain <paramref name="c"/> of a batch run by this kernel.</summary>
    public double Accepted(ChainBatch batch, int c)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Guard.Length(batch.StateLength, ((ISamplerKernel)this).StateLength, "batch state length");
        return batch.State(c)[Dimension + AcceptedSlot];
    }

    /// <summary>Mean acceptance rate over the chains of <paramref name="batch"/> after <paramref name="steps"/> steps.</summary>
    public double AcceptanceRate(ChainBatch batch, long steps)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Guard.AtLeast(steps, 1, nameof(steps));
        double total = 0;
        for (int c = 0; c < batch.Chains; c++) total += Accepted(batch, c);
        return total / ((double)batch.Chains * steps);
    }
}
