using RateLab.Core.Randomness;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// The per-draw position laws N(μ_ω, S_ω) of a randomized kernel, one per draw replicate: what the mixture bounds of
/// <see cref="MixtureChiSquare"/> need beyond the distance sums <see cref="ExactAnalysis"/> keeps. Replicate r is
/// propagated exactly as the analysis with the same seed propagates it (<see cref="ExactAnalysis.PropagateDraw"/> on
/// the uniforms of chain r), so its first replicates are the analysis's draws.
/// </summary>
public static class DrawLaws
{
    /// <summary>The position laws (with the reference's multiplicities) of replicates 0 … <paramref name="replicates"/>
    /// − 1 of <paramref name="problem"/>'s kernel, drawn with <paramref name="seed"/>.</summary>
    public static DiagonalLaw[] Positions(ExactProblem problem, int replicates, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(problem);
        Guard.AtLeast(replicates, 1, nameof(replicates));
        Guard.AtLeast(problem.Steps, 0, "problem.Steps");
        var kernel = problem.Kernel ?? throw new ArgumentNullException(nameof(problem), "problem.Kernel is null.");
        ArgumentNullException.ThrowIfNull(problem.Reference);
        Guard.Length(problem.Reference.Count, kernel.Dimension, "reference dimension");
        var weights = problem.Reference.Multiplicity;
        var propagator = new AffinePropagator(kernel, problem.Score, problem.CentredScore, new ProbeNoise());
        var source = new PhiloxNoise(seed);
        var law = new GaussianState(kernel.Blocks, kernel.Dimension);
        var laws = new DiagonalLaw[replicates];
        for (int r = 0; r < replicates; r++)
        {
            ExactAnalysis.PropagateDraw(propagator, source, r, problem.Steps, law);
            laws[r] = law.Position(weights);
        }
        return laws;
    }
}
