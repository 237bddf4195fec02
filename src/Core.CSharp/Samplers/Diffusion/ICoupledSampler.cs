using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// One piece of the path a coupled reference follows (docs/background.md): the exact PF-ODE from Top down to
/// Bottom, then, if Injects, the exact forward transition up to InjectTo driven by the sampler's own injected normals.
/// </summary>
/// <param name="Top">Level where the flow piece starts (noisier).</param>
/// <param name="Bottom">Level where the flow piece ends.</param>
/// <param name="Injects">Whether noise is injected after the flow piece.</param>
/// <param name="InjectTo">Level reached by the injection.</param>
/// <param name="InjectionStep">Kernel step whose normals drive the injection.</param>
/// <param name="InjectionRole">Normal role of those normals.</param>
public readonly record struct FlowSegment(NoiseLevel Top, NoiseLevel Bottom, bool Injects, NoiseLevel InjectTo,
    long InjectionStep, int InjectionRole);

/// <summary>
/// A diffusion sampler whose output can be coupled to the exact flow: its Init draws the start at the first segment's
/// top level from normals only, and it names the levels (and injections) it used, read from its final aux state.
/// PF-ODE samplers have one segment (top to bottom of their grid, sharing only the initial Gaussian).
/// </summary>
public interface ICoupledSampler : ISamplerKernel
{
    /// <summary>Kernel steps of a full run.</summary>
    int Steps { get; }

    /// <summary>Number of flow segments.</summary>
    int Segments { get; }

    /// <summary>Segment <paramref name="j"/> for a chain whose aux state is <paramref name="aux"/>.</summary>
    FlowSegment Segment(ReadOnlySpan<double> aux, int j);
}
