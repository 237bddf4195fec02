namespace RateLab.Core.Contracts;

/// <summary>
/// A sampler as a pure step kernel (BlackJAX's init/step split): it owns no threads and allocates nothing per step.
/// A chain's state is one contiguous span: <see cref="Blocks"/> blocks of length d (position, then velocity for
/// kinetic samplers) followed by <see cref="AuxLength"/> auxiliary doubles (e.g. a drawn time schedule, counters).
/// </summary>
/// <remarks>
/// The exact Gaussian analysis relies on this contract: on a Gaussian target every step is affine in the blocks and in
/// the normals of roles 0..<see cref="NormalRoles"/>−1, given the scalar uniforms; Init is affine in the normals of
/// roles 0..<see cref="InitNormalRoles"/>−1 drawn at step −1. Kernels must draw all their Gaussian noise through those
/// roles (directly or via Brownian increments) and all other randomness through uniforms.
/// </remarks>
public interface ISamplerKernel
{
    /// <summary>Name shown in reports and errors.</summary>
    string Name { get; }
    /// <summary>Dimension d of the target.</summary>
    int Dimension { get; }
    /// <summary>Number of per-coordinate state blocks (1 for x, 2 for (x, v)).</summary>
    int Blocks { get; }
    /// <summary>Auxiliary doubles per chain after the blocks.</summary>
    int AuxLength { get; }
    /// <summary>Scratch doubles a step needs.</summary>
    int ScratchLength { get; }
    /// <summary>Normal roles drawn by <see cref="Init"/> (at step −1).</summary>
    int InitNormalRoles { get; }
    /// <summary>Normal roles drawn by each <see cref="Step"/>.</summary>
    int NormalRoles { get; }
    /// <summary>Total state length per chain: Blocks·d + AuxLength.</summary>
    int StateLength => Blocks * Dimension + AuxLength;
    /// <summary>False for kernels that are not affine on Gaussian targets (Metropolis-adjusted ones); the exact
    /// analysis refuses those.</summary>
    bool IsAffineOnGaussians => true;

    /// <summary>Draws the start state (positions from the start law, velocities, schedules).</summary>
    void Init(ref StepContext ctx, Span<double> state);

    /// <summary>Advances one chain by one step.</summary>
    void Step(ref StepContext ctx, Span<double> state);
}
