using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// The practical randomized-midpoint predictor of the authors' public code (`shivamgupta2/randomized-midpoint`,
/// docs/algorithms.md), on a generic fine grid of levels τ_0 &gt; … &gt; τ_F in place of the 1000 DDPM indices. A coarse step
/// goes from fine index i to i + Δ (Δ = stride, "trailing" spacing from the top); the midpoint index is
/// i + ⌊U Δ⌋ with U = ctx.Uniform(0). With ε̂ = −√τ s and the DDIM (η = 0) move
/// D(x; n → m, ε̂) = √(ᾱ_m/ᾱ_n) x + (√τ_m − √(ᾱ_m/ᾱ_n) √τ_n) ε̂:
/// x_mid = D(x; i → mid, ε̂(x, τ_i)), then x ← D(x; i → i+Δ, ε̂(x_mid, τ_mid)). 2 NFE per step.
/// </summary>
/// <remarks>
/// Not the analysed estimator of eqs. (7)–(8): the midpoint is uniform in the grid index (not in OU time), and the
/// midpoint's ε̂ is frozen over the whole DDIM step instead of being weighted by e^{(1−α)h}, so it is not the unbiased
/// one-point estimate of the step's exponential integral. Kept to compare the published practice with the analysed scheme.
/// </remarks>
public sealed class GuptaPracticalPredictor : GuptaPredictorKernel
{
    /// <summary>The practical predictor on <paramref name="fineGrid"/> taking coarse steps of <paramref name="stride"/> indices.</summary>
    public GuptaPracticalPredictor(int dimension, NoiseLevel[] fineGrid, int stride)
        : base(dimension, fineGrid, nameof(fineGrid))
    {
        Stride = Guard.AtLeast(stride, 1, nameof(stride));
        int f = grid.Length - 1;
        if (f % stride != 0)
            throw new ArgumentOutOfRangeException(nameof(stride), $"stride = {stride} is out of range; allowed: divisors of fineGrid.Length − 1 = {f}.");
    }

    /// <summary>Fine indices per coarse step Δ.</summary>
    public int Stride { get; }
    /// <summary>Kernel steps of a full run: (fine grid length − 1)/Δ.</summary>
    public override int Steps => (grid.Length - 1) / Stride;
    /// <inheritdoc/>
    public override string Name => "Gupta-practical-predictor";

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension, i = StepIndex(ctx) * Stride;
        int mid = i + Math.Min(Stride - 1, (int)Math.Floor(ctx.Uniform(0) * Stride));
        var x = state[..d];
        var eps = ctx.Scratch[..d];
        var xm = ctx.Scratch.Slice(d, d);
        Epsilon(ref ctx, x, grid[i], eps);
        Ddim(x, grid[i], grid[mid], eps, xm);
        Epsilon(ref ctx, xm, grid[mid], eps);
        Ddim(x, grid[i], grid[i + Stride], eps, x);
    }

    static void Epsilon(ref StepContext ctx, ReadOnlySpan<double> x, NoiseLevel at, Span<double> eps)
    {
        ctx.Score(x, at.Tau, eps);
        TensorPrimitives.Multiply(eps, -Math.Sqrt(at.Tau), eps);
    }

    static void Ddim(ReadOnlySpan<double> x, NoiseLevel n, NoiseLevel m, ReadOnlySpan<double> eps, Span<double> result)
    {
        double r = Math.Sqrt(m.AlphaBar / n.AlphaBar), c = Math.Sqrt(m.Tau) - r * Math.Sqrt(n.Tau);
        // r·x goes into result first, so result may alias x.
        TensorPrimitives.Multiply(x, r, result);
        TensorPrimitives.MultiplyAdd(eps, c, result, result);
    }
}
