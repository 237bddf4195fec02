using RateLab.Core.Contracts;
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
    /// − 1 of <paramref name="problem"/>'s kernel, drawn with <paramref name="seed"/>, on up to
    /// <paramref name="maxThreads"/> threads (−1: all cores). Each replicate is a function of (seed, replicate) alone,
    /// propagated by its thread's own propagator, so the laws do not depend on the thread count, bit for bit.</summary>
    public static DiagonalLaw[] Positions(ExactProblem problem, int replicates, ulong seed, int maxThreads = -1) =>
        Propagate(problem, null, replicates, seed, maxThreads);

    /// <summary>
    /// The position laws of the problem <paramref name="build"/> makes of <paramref name="reduction"/>, as
    /// <see cref="Positions(ExactProblem, int, ulong, int)"/> gives them bit for bit, but with each step's probes run
    /// as one step of the kernel built on side-by-side probe copies where it fits <paramref name="packedCoordinates"/>
    /// (as <see cref="ExactAnalysis"/> does for a block): a kernel on a few coordinates costs mostly its per-call
    /// overhead, which the probes then pay once.
    /// </summary>
    public static DiagonalLaw[] Positions(GaussianReduction reduction, Func<GaussianReduction, ExactProblem> build,
        int replicates, ulong seed, int maxThreads = -1, int packedCoordinates = 4096)
    {
        ArgumentNullException.ThrowIfNull(reduction);
        ArgumentNullException.ThrowIfNull(build);
        Guard.AtLeast(packedCoordinates, 0, nameof(packedCoordinates));
        var problem = build(reduction);
        ArgumentNullException.ThrowIfNull(problem);
        return Propagate(problem, ExactAnalysis.PackedKernel(build, reduction, problem.Kernel, packedCoordinates),
            replicates, seed, maxThreads);
    }

    static DiagonalLaw[] Propagate(ExactProblem problem, ISamplerKernel? packed, int replicates, ulong seed,
        int maxThreads)
    {
        ArgumentNullException.ThrowIfNull(problem);
        Guard.AtLeast(replicates, 1, nameof(replicates));
        Guard.Threads(maxThreads, nameof(maxThreads));
        Guard.AtLeast(problem.Steps, 0, "problem.Steps");
        var kernel = problem.Kernel ?? throw new ArgumentNullException(nameof(problem), "problem.Kernel is null.");
        ArgumentNullException.ThrowIfNull(problem.Reference);
        Guard.Length(problem.Reference.Count, kernel.Dimension, "reference dimension");
        var laws = new DiagonalLaw[replicates];
        // Chunks of replicates, each with its own propagator: the kernel is pure and the score fields are shared by
        // parallel chains elsewhere too; only the propagator's oracles, noise and law are per thread.
        int chunk = Math.Max(1, Math.Min(64, replicates / (4 * Environment.ProcessorCount)));
        int chunks = (replicates + chunk - 1) / chunk;
        ParallelParts.For(chunks, maxThreads, PropagateChunk);
        return laws;

        void PropagateChunk(int c)
        {
            var propagator = packed is null
                ? new AffinePropagator(kernel, problem.Score, problem.CentredScore, new ProbeNoise())
                : new AffinePropagator(kernel, problem.Score, problem.CentredScore, new ProbeNoise(), packed);
            var source = new PhiloxNoise(seed);
            var law = new GaussianState(kernel.Blocks, kernel.Dimension);
            for (int r = c * chunk; r < Math.Min(replicates, (c + 1) * chunk); r++)
            {
                ExactAnalysis.PropagateDraw(propagator, source, r, problem.Steps, law);
                laws[r] = law.Position(problem.Reference.Multiplicity);
            }
        }
    }
}
