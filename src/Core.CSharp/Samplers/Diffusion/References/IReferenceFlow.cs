using RateLab.Core.Diffusion;

namespace RateLab.Core.Samplers.Diffusion.References;

/// <summary>A solver of the probability-flow ODE (docs/algorithms.md) used as the exact path of a coupled reference.</summary>
public interface IReferenceFlow
{
    /// <summary>Dimension d.</summary>
    int Dimension { get; }

    /// <summary>Moves <paramref name="y"/> along the PF-ODE from level <paramref name="from"/> down to the less noisy <paramref name="to"/>.</summary>
    void Transport(Span<double> y, NoiseLevel from, NoiseLevel to);
}
