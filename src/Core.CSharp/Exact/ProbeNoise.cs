using RateLab.Core.Contracts;
using RateLab.Core.Randomness;

namespace RateLab.Core.Exact;

/// <summary>
/// The noise source of the probing engine (the KEY DESIGN of the exact analysis): normals are all ones for the probed
/// role and zero for every other role, so a kernel step returns one column of its affine noise map; uniforms are those
/// of one fixed draw ω — either a replicate of a real <see cref="INoiseSource"/> or fixed quadrature nodes.
/// </summary>
public sealed class ProbeNoise : INoiseSource
{
    INoiseSource? draws;
    long replicate;
    double[] nodes = [];

    /// <summary>The role whose normals are all ones; −1 probes no role (all normals zero).</summary>
    public int ProbedRole { get; set; } = -1;

    /// <summary>Roles the current call may draw (the kernel's declared count); drawing beyond it is a kernel bug.</summary>
    public int RoleLimit { get; set; }

    /// <summary>
    /// Packed probing: when positive, the kernel runs on side-by-side copies of this many coordinates, and role k's
    /// normals are ones on copy <see cref="FirstNoiseCopy"/> + k only (zero elsewhere); 0 probes one role at a time
    /// through <see cref="ProbedRole"/>.
    /// </summary>
    public int CopyLength { get; set; }

    /// <summary>Copies the packed kernel runs on (its dimension is <see cref="Copies"/> ·
    /// <see cref="CopyLength"/>).</summary>
    public int Copies { get; set; }

    /// <summary>The copy whose normals are those of role 0 in packed probing.</summary>
    public int FirstNoiseCopy { get; set; }

    /// <summary>Number of uniforms drawn since the last <see cref="UseDraw"/> or <see cref="UseNodes"/>.</summary>
    public long UniformDraws { get; private set; }

    /// <summary>Takes uniforms from <paramref name="source"/> as chain <paramref name="replicateIndex"/> would see
    /// them, so replicate r reproduces the draws of chain r of a real run with that source.</summary>
    public void UseDraw(INoiseSource source, long replicateIndex)
    {
        draws = source ?? throw new ArgumentNullException(nameof(source));
        replicate = replicateIndex;
        UniformDraws = 0;
    }

    /// <summary>Returns <paramref name="values"/>[index] for uniform index; drawing past the end throws.</summary>
    public void UseNodes(ReadOnlySpan<double> values)
    {
        draws = null;
        if (nodes.Length != values.Length) nodes = new double[values.Length];
        values.CopyTo(nodes);
        UniformDraws = 0;
    }

    /// <inheritdoc/>
    public void Normals(long chain, long step, int role, Span<double> destination)
    {
        if (role < 0 || role >= RoleLimit)
            throw new InvalidOperationException(
                $"the kernel drew normal role {role} at step {step} but declares roles 0..{RoleLimit - 1}; the exact analysis would miss its noise.");
        if (CopyLength == 0)
        {
            destination.Fill(role == ProbedRole ? 1.0 : 0.0);
            return;
        }
        int start = (FirstNoiseCopy + role) * CopyLength;
        if (destination.Length != Copies * CopyLength)
            throw new InvalidOperationException(
                $"the kernel drew {destination.Length} normals of role {role} at step {step}; " +
                $"packed probing needs {Copies} copies of {CopyLength}.");
        destination.Clear();
        destination.Slice(start, CopyLength).Fill(1.0);
    }

    /// <inheritdoc/>
    public double Uniform(long chain, long step, int index)
    {
        UniformDraws++;
        if (draws is not null) return draws.Uniform(replicate, step, index);
        if (index < 0 || index >= nodes.Length)
            throw new InvalidOperationException(
                $"the kernel drew uniform {index} at step {step} but declares {nodes.Length} uniforms for it (IStepDraws).");
        return nodes[index];
    }

    /// <inheritdoc/>
    public void BrownianIncrements(long chain, long step, double h, ReadOnlySpan<double> cuts, Span<double> increments) =>
        StepwiseNoise.BridgeIncrements(this, chain, step, h, cuts, increments);
}
