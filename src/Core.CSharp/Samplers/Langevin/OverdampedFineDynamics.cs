using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// OLMC as Poisson-midpoint base dynamics (docs/algorithms.md, first table row): A_h = I, G_h = h I, Γ_h Z = √(2h) Z,
/// i.e. one ULA step x_{j+1} = x_j + h ∇log π(x_j) + √(2h) Z_j.
/// </summary>
public sealed class OverdampedFineDynamics : IHomogeneousFineDynamics
{
    readonly StartLaw start;
    readonly double noise;

    /// <summary>Fine steps of size <paramref name="h"/>, chains started from <paramref name="start"/>.</summary>
    public OverdampedFineDynamics(int dimension, double h, StartLaw start)
    {
        Dimension = Guard.AtLeast(dimension, 1, "d");
        H = Guard.Positive(h, nameof(h));
        this.start = start ?? throw new ArgumentNullException(nameof(start));
        start.CheckDimension(dimension);
        noise = Math.Sqrt(2 * h);
    }

    /// <inheritdoc/>
    public string Name => "OLMC";
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <inheritdoc/>
    public double H { get; }
    /// <inheritdoc/>
    public int Blocks => 1;
    /// <inheritdoc/>
    public int NoiseRoles => 1;
    /// <inheritdoc/>
    public int InitNormalRoles => 1;
    /// <inheritdoc/>
    public int ScratchLength => Dimension;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state) => start.Draw(ref ctx, 0, state[..Dimension]);

    /// <inheritdoc/>
    public void Advance(ref StepContext ctx, int j, Span<double> state, ReadOnlySpan<double> b, Span<double> scratch)
    {
        int d = Dimension;
        var z = scratch[..d];
        ctx.Normals(j, z);
        // state += (H·b + noise·z), in the scalar expression's rounding order; z is this step's own scratch.
        TensorPrimitives.Multiply(z, noise, z);
        TensorPrimitives.MultiplyAdd(b, H, z, z);
        TensorPrimitives.Add(state[..d], z, state[..d]);
    }

    /// <inheritdoc/>
    public void AddPropagatedDrift(Span<double> state, int m, double w, ReadOnlySpan<double> delta)
    {
        var x = state[..Dimension];
        TensorPrimitives.MultiplyAdd(delta, w * H, x, x);
    }
}
