namespace RateLab.Core.Contracts;

/// <summary>How a kernel uses one of its per-step scalar uniforms.</summary>
public enum DrawKind
{
    /// <summary>Used as a continuous U ~ Unif(0, 1) (e.g. a randomized-midpoint time).</summary>
    ContinuousUniform,
    /// <summary>Used only through the event U &lt; p (a Bernoulli(p) switch).</summary>
    Bernoulli,
    /// <summary>Not read by the step (an index skipped by the kernel, e.g. Poisson midpoint's fine step 0).</summary>
    Unused,
}

/// <summary>One per-step scalar draw: its kind and, for <see cref="DrawKind.Bernoulli"/>, its success probability.</summary>
public readonly record struct StepDraw(DrawKind Kind, double P = 0);

/// <summary>
/// Optional declaration by a kernel that each Step draws exactly <see cref="UniformsPerStep"/> uniforms, fresh at every
/// step (independent across steps), Init draws none, and its aux state does not depend on them. Then the exact
/// analysis propagates the total mean and covariance by quadrature (continuous) or enumeration (Bernoulli) instead of
/// Monte Carlo over replicates (docs/background.md, "Exact expectations over draws").
/// </summary>
public interface IStepDraws
{
    /// <summary>Number of uniforms each Step draws (indices 0..UniformsPerStep−1).</summary>
    int UniformsPerStep { get; }

    /// <summary>How uniform <paramref name="index"/> is used.</summary>
    StepDraw Draw(int index);

    /// <summary>
    /// On a Gaussian problem, the largest degree in each continuous uniform of the step's image moments (A μ + c and the
    /// second moments A C Aᵀ + Σₖ bₖbₖᵀ + (A μ + c)(A μ + c)ᵀ) when they are polynomials in it, so ⌊p/2⌋ + 1
    /// Gauss–Legendre nodes are exact; null when they are not polynomial (e.g. exponentials of a midpoint time).
    /// </summary>
    int? MomentDegree => null;
}
