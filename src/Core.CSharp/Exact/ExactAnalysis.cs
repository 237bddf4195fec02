using RateLab.Core.Contracts;
using RateLab.Core.Randomness;
using RateLab.Core.Samplers;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>A sampler run on a Gaussian problem, on reduced coordinates (see <see cref="GaussianReduction"/>).</summary>
/// <param name="Kernel">The real kernel, constructed on the reduced dimension and start law.</param>
/// <param name="Score">The affine score field the kernel runs on (target or noised-data score).</param>
/// <param name="CentredScore">The same field without its constant term (mean 0).</param>
/// <param name="Reference">The law the position block is compared with (target, or q_δ for diffusion).</param>
/// <param name="Steps">Number of steps.</param>
public sealed record ExactProblem(ISamplerKernel Kernel, IScoreField Score, IScoreField CentredScore,
    DiagonalLaw Reference, long Steps)
{
    /// <summary>
    /// For samplers whose end level is itself drawn (Li–Jiao stops at the random level τ_{K,0}), the reference law of
    /// one draw, from the kernel's aux state after the run. The per-draw upper bounds compare each draw with its own
    /// reference (E_ω KL(N_ω ‖ q_{δ(ω)})); the moment-matched lower bound keeps <see cref="Reference"/>.
    /// </summary>
    public Func<double[], DiagonalLaw>? DrawReference { get; init; }

    /// <summary>ULA-style Langevin problem: kernel on the reduction, target score, target as reference.</summary>
    public static ExactProblem Langevin(GaussianReduction reduction, ISamplerKernel kernel, long steps)
    {
        ArgumentNullException.ThrowIfNull(reduction);
        return new ExactProblem(kernel, reduction.TargetScore(), reduction.CentredTargetScore(), reduction.Target, steps);
    }
}

/// <summary>Settings of <see cref="ExactAnalysis"/>.</summary>
/// <param name="Replicates">Draw replicates for the Monte Carlo upper bound (randomized kernels).</param>
/// <param name="Seed">Seed of the draws; replicate r uses the uniforms of chain r.</param>
/// <param name="QuadratureNodes">Gauss–Legendre nodes per continuous uniform for the exact moments.</param>
/// <param name="MaxCombinations">Largest tensor-product rule per step; above it the moments come from the replicates.</param>
/// <param name="BlockCoordinates">Coordinates per block when a reduction is analysed block by block: small enough that a
/// block's probe arrays stay in cache and, for two-block kernels, below the large-object heap's 85 000 bytes (larger
/// per-block arrays cost a gen-2 collection every few blocks: ULMC at d = 10⁶ took 0.58 s with 4096, 0.40 s with 2048),
/// large enough that the kernel's per-step overhead is amortised.</param>
/// <param name="MaxThreads">Threads over blocks (−1: all cores). Blocks are fixed by <paramref name="BlockCoordinates"/>
/// and their sums added in block order, so the result does not depend on it.</param>
/// <param name="PackedCoordinates">Largest packed kernel (probe copies × block coordinates) of a block analysis: up to
/// it, each step's 1 + m + roles probes run as one kernel step on side-by-side copies, which pays the kernel's per-call
/// overhead once (the report's small-d randomized analyses are that overhead); 0 probes one at a time. Results are the
/// same bit for bit either way.</param>
/// <param name="PolynomialCoordinates">Fewest distinct coordinates of a block analysis that takes each randomized
/// Langevin step as polynomials in the precision, probed once for all blocks (<see cref="PolynomialSteps"/>): at
/// d = 10⁶ the per-block probes are the whole cost. Its laws agree with probing to rounding, not bit for bit, so the
/// default 2¹⁶ keeps every smaller analysis (the report's) on probing; int.MaxValue turns it off.</param>
/// <param name="SeparationBound">Also bound a randomized kernel's mixture TV from below by a separating event
/// (<see cref="MixtureSeparation"/>): one characteristic-function inversion per draw replicate, so it is asked for only
/// where that figure is reported. Needs every draw's whole law at once, so up to
/// <see cref="ProductTotalVariation.MaxCoordinates"/> distinct coordinates.</param>
public sealed record ExactOptions(int Replicates = 256, ulong Seed = 1, int QuadratureNodes = 48, int MaxCombinations = 1 << 16,
    int BlockCoordinates = 1024, int MaxThreads = -1, int PackedCoordinates = 4096, int PolynomialCoordinates = 1 << 16,
    bool SeparationBound = false);

/// <summary>
/// The exact Gaussian analysis of docs/background.md A deterministic kernel's output law is Gaussian and computed
/// exactly. For a randomized kernel the output is the mixture p = E_ω N(μ_ω, S_ω): the analysis reports the convexity
/// upper bounds E_ω KL, (E_ω W₂²)^½, E_ω TV by Monte Carlo over draw replicates (with standard errors), and the
/// moment-matched lower bounds KL(p_G‖q) and Gelbrich W₂ from the total moments — exact by quadrature/enumeration when
/// the kernel declares fresh per-step draws (<see cref="IStepDraws"/>), otherwise estimated from the replicates with a
/// jackknife standard error (<see cref="MatchedJackknife"/>).
/// p_G is matched coordinate by coordinate: the draws shared by all coordinates correlate them under p, and the product
/// of the per-coordinate matched laws drops those correlations. Against a product reference q both bounds survive:
/// KL(p_G‖q) = KL(p_G‖⊗ᵢp_G,ᵢ) + Σᵢ KL(p_G,ᵢ‖qᵢ) ≥ Σᵢ KL(p_G,ᵢ‖qᵢ), and Gelbrich's W₂² only grows with the
/// correlations, since tr (B^½ΣB^½)^½ ≤ Σᵢ (Bᵢᵢ Σᵢᵢ)^½ for diagonal B (concavity of √ on the diagonal of a PSD matrix).
/// </summary>
public static class ExactAnalysis
{
    /// <summary>Analyses <paramref name="problem"/> in one piece.</summary>
    public static ExactResult Analyse(ExactProblem problem, ExactOptions? options = null)
    {
        options = Checked(options);
        var (block, law) = AnalyseBlock(problem, null, options);
        var result = Combine([block], law, WholeLawTv(block.Randomized, law, [problem.Reference]));
        return result with { Separation = Separation([block], law, [problem.Reference], options) };
    }

    /// <summary>
    /// Analyses the problem <paramref name="build"/> makes of <paramref name="reduction"/>, block by block: the kernels
    /// act coordinate-wise and the draws ω do not depend on the coordinate, so each block of
    /// <see cref="ExactOptions.BlockCoordinates"/> coordinates is an independent problem with the same draws, and the
    /// per-draw distance sums of the blocks add up to the whole law's (<see cref="DistanceSums"/>). This keeps d = 10⁶
    /// distinct coordinates in cache and runs blocks in parallel; <paramref name="build"/> must make its kernel's
    /// parameters from the sampler settings only, never from the block's spectrum.
    /// </summary>
    public static ExactResult Analyse(GaussianReduction reduction, Func<GaussianReduction, ExactProblem> build,
        ExactOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reduction);
        ArgumentNullException.ThrowIfNull(build);
        options = Checked(options);
        int size = options.BlockCoordinates, count = (reduction.Dimension + size - 1) / size;
        GaussianReduction Slice(int b) => reduction.Slice(b * size, Math.Min(size, reduction.Dimension - b * size));
        var head = build(Slice(0));
        var polynomial = PolynomialSteps.TryBuild(reduction, head, build, options);
        var law = new GaussianState(head.Kernel.Blocks, reduction.Dimension);
        var blocks = new BlockOutcome[count];
        var references = new DiagonalLaw[count];
        // Each block is built, analysed and written into the whole law in place, so only the sums outlive it.
        ParallelParts.For(count, options.MaxThreads, b =>
        {
            var slice = Slice(b);
            var problem = b == 0 ? head : build(slice);
            var lanes = polynomial is null ? null : PolynomialLanes.For(polynomial, problem);
            var packed = lanes is null ? PackedKernel(build, slice, problem.Kernel, options.PackedCoordinates) : null;
            (blocks[b], var part) = AnalyseBlock(problem, packed, options, lanes);
            part.CopyTo(law, b * size);
            references[b] = problem.Reference;
        });
        var result = Combine(blocks, law, WholeLawTv(blocks[0].Randomized, law, references));
        return result with { Separation = Separation(blocks, law, references, options) };
    }

    // The separating-event bound on a randomized kernel's mixture TV (MixtureSeparation) over the whole laws of the
    // draws, assembled from the blocks so that any block size gives the same figure; null unless asked for and
    // applicable. `matched` is the whole moment-matched law.
    static MixtureSeparation.Estimate? Separation(BlockOutcome[] blocks, GaussianState matched, DiagonalLaw[] references,
        ExactOptions options)
    {
        if (!options.SeparationBound || !blocks[0].Randomized || blocks[0].DrawLaws is null) return null;
        static DiagonalLaw Whole(IEnumerable<DiagonalLaw> parts) => DiagonalLaw.Concatenate([.. parts]);
        var reference = DiagonalLaw.Concatenate(references);
        int replicates = blocks[0].DrawLaws!.Length;
        var draws = new DiagonalLaw[replicates];
        var drawReferences = new DiagonalLaw[replicates];
        for (int r = 0; r < replicates; r++)
        {
            draws[r] = Whole(blocks.Select(b => b.DrawLaws![r]));
            drawReferences[r] = Whole(blocks.Select(b => b.DrawReferences![r]));
        }
        var exactMatched = blocks[0].MomentsExact ? matched.Position(reference.Multiplicity) : null;
        return MixtureSeparation.Of(draws, drawReferences, reference, exactMatched, options.MaxThreads);
    }

    // The inverted TV of a deterministic kernel's whole output law (ProductTotalVariation), which unlike the other
    // distances does not add over blocks, so it is taken once all blocks are in: the same figure for any block size.
    // Null for a randomized kernel (its law is a mixture) and beyond the inversion's size.
    static ProductTotalVariation.Result? WholeLawTv(bool randomized, GaussianState law, DiagonalLaw[] references)
    {
        if (randomized || law.Dimension > ProductTotalVariation.MaxCoordinates) return null;
        var reference = DiagonalLaw.Concatenate(references);
        return ProductTotalVariation.Of(law.Position(reference.Multiplicity), reference);
    }

    static ExactOptions Checked(ExactOptions? options)
    {
        options ??= new ExactOptions();
        Guard.AtLeast(options.Replicates, 2, "Replicates");
        Guard.AtLeast(options.QuadratureNodes, 1, "QuadratureNodes");
        Guard.AtLeast(options.MaxCombinations, 1, "MaxCombinations");
        Guard.AtLeast(options.BlockCoordinates, 1, "BlockCoordinates");
        Guard.AtLeast(options.PackedCoordinates, 0, "PackedCoordinates");
        Guard.AtLeast(options.PolynomialCoordinates, 1, "PolynomialCoordinates");
        Guard.Threads(options.MaxThreads, "MaxThreads");
        return options;
    }

    // What one block contributes besides its law: per-replicate distance sums (one entry for a deterministic kernel),
    // the moment-matched sums, and the counted cost of the replicates' chains (the same for every block).
    // LeftOut: the leave-one-out matched sums when the moments come from the replicates (null otherwise).
    // DrawLaws, DrawReferences: each draw's position law and reference, kept for the separating-event bound.
    sealed record BlockOutcome(string Sampler, long Steps, bool Randomized, DistanceSums[] Draws, DistanceSums Matched,
        bool MomentsExact, double Evaluations, double Rounds, DistanceSums[]? LeftOut = null,
        DiagonalLaw[]? DrawLaws = null, DiagonalLaw[]? DrawReferences = null);

    // The block's kernel built on packed probe copies, when it steps probe by probe (not by squaring) and fits
    // packedCoordinates; null otherwise.
    internal static ISamplerKernel? PackedKernel(Func<GaussianReduction, ExactProblem> build, GaussianReduction slice,
        ISamplerKernel? kernel, int packedCoordinates)
    {
        if (kernel is null || !kernel.IsAffineOnGaussians || kernel.Blocks is < 1 or > 2) return null;
        if (kernel is ITimeHomogeneous && kernel.AuxLength == 0) return null;
        int copies = AffinePropagator.PackedCopies(kernel);
        if ((long)copies * slice.Dimension > packedCoordinates) return null;
        // A kernel whose shape changes with d (aux state, roles) cannot stand for the probes: probe one at a time.
        var packed = build(slice.Repeat(copies)).Kernel;
        return packed is not null && packed.Dimension == copies * slice.Dimension && packed.Blocks == kernel.Blocks
               && packed.AuxLength == kernel.AuxLength && packed.NormalRoles == kernel.NormalRoles
            ? packed
            : null;
    }

    // `lanes`: the block's steps come from the polynomial tables (Init and the counts of Init still from probing).
    static (BlockOutcome Outcome, GaussianState Law) AnalyseBlock(ExactProblem problem, ISamplerKernel? packed,
        ExactOptions options, PolynomialLanes? lanes = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        Guard.AtLeast(problem.Steps, 0, "Steps");
        ArgumentNullException.ThrowIfNull(problem.Reference);
        var kernel = problem.Kernel ?? throw new ArgumentNullException(nameof(problem), "problem.Kernel is null.");
        Guard.Length(problem.Reference.Count, kernel.Dimension, "reference dimension");
        var weights = problem.Reference.Multiplicity;

        var noise = new ProbeNoise();
        var propagator = packed is null
            ? new AffinePropagator(kernel, problem.Score, problem.CentredScore, noise)
            : new AffinePropagator(kernel, problem.Score, problem.CentredScore, noise, packed);
        var source = new PhiloxNoise(options.Seed);

        void Draw(long replicate, GaussianState law)
        {
            if (lanes is null) PropagateDraw(propagator, source, replicate, problem.Steps, law);
            else lanes.PropagateDraw(propagator, source, replicate, law);
        }
        var first = new GaussianState(kernel.Blocks, kernel.Dimension);
        Draw(0, first);
        // Chain r of a real run with this seed draws the uniforms of replicate r; the mean probes ran the real kernel on
        // the real score with them, so the oracle's counts are those chains' NFE without simulating d-dimensional noise.
        var (evaluations, rounds) = (new RunningMean(), new RunningMean());
        evaluations.Add(propagator.Evaluations);
        rounds.Add(propagator.Rounds);
        if (noise.UniformDraws == 0 && lanes is null)
        {
            var exact = DistanceSums.Of(first.Position(weights), problem.Reference);
            return (new BlockOutcome(kernel.Name, problem.Steps, false, [exact], exact, true, evaluations.Estimate.Value,
                rounds.Estimate.Value), first);
        }

        var rule = kernel is IStepDraws stepDraws
                   && DrawQuadrature.CombinationCount(stepDraws, options.QuadratureNodes) <= options.MaxCombinations
            ? new DrawQuadrature(stepDraws, options.QuadratureNodes)
            : null;
        var moments = new MomentAccumulator(kernel.Blocks, kernel.Dimension);
        var jackknife = rule is null ? new MomentJackknife(options.Replicates) : null;
        var draws = new DistanceSums[options.Replicates];
        bool keep = options.SeparationBound && problem.Kernel.Dimension <= ProductTotalVariation.MaxCoordinates;
        var drawLaws = keep ? new DiagonalLaw[options.Replicates] : null;
        var drawReferences = keep ? new DiagonalLaw[options.Replicates] : null;
        var law = first;
        for (int r = 0; r < options.Replicates; r++)
        {
            if (r > 0)
            {
                Draw(r, law);
                evaluations.Add(propagator.Evaluations);
                rounds.Add(propagator.Rounds);
            }
            var reference = problem.DrawReference is { } of ? of(propagator.Aux.ToArray()) : problem.Reference;
            var position = law.Position(weights);
            draws[r] = DistanceSums.Of(position, reference);
            if (drawLaws is not null) (drawLaws[r], drawReferences![r]) = (position, reference);
            moments.Add(1, law.Mean, law.Covariance);
            jackknife?.Add(position);
        }

        var matched = new GaussianState(kernel.Blocks, kernel.Dimension);
        if (rule is not null && lanes is not null) lanes.PropagateMoments(propagator, matched);
        else if (rule is not null) PropagateMoments(propagator, rule, problem.Steps, matched);
        else moments.WriteTo(matched);
        // Finite replicates can still have total moments that overflow: the mixture has diverged as a whole.
        if (!matched.IsFinite) throw new SamplerDivergedException(kernel.Name, problem.Steps - 1, MomentLawChain);
        var matchedSums = DistanceSums.Of(matched.Position(weights), problem.Reference);
        return (new BlockOutcome(kernel.Name, problem.Steps, true, draws, matchedSums, rule is not null,
            evaluations.Estimate.Value, rounds.Estimate.Value, jackknife?.LeaveOneOut(problem.Reference), drawLaws,
            drawReferences), matched);
    }

    // Adds the blocks' sums in block order; per draw, the distances of the whole law come from its summed sums.
    static ExactResult Combine(BlockOutcome[] blocks, GaussianState law, ProductTotalVariation.Result? wholeLawTv)
    {
        var head = blocks[0];
        var matched = head.Matched;
        var draws = (DistanceSums[])head.Draws.Clone();
        var leftOut = (DistanceSums[]?)head.LeftOut?.Clone();
        foreach (var block in blocks.AsSpan(1))
        {
            // The call pattern depends on the draws only, never on the coordinates; a kernel breaking that would make
            // the blocks disagree on what a chain costs.
            if (block.Evaluations != head.Evaluations || block.Rounds != head.Rounds || block.Randomized != head.Randomized)
                throw new InvalidOperationException($"sampler '{head.Sampler}' behaves differently on different coordinate blocks; " +
                                                    "analyse it in one piece.");
            matched += block.Matched;
            for (int r = 0; r < draws.Length; r++) draws[r] += block.Draws[r];
            if (leftOut is not null)
                for (int r = 0; r < leftOut.Length; r++) leftOut[r] += block.LeftOut![r];
        }
        var (kl, w2, tv) = (new RunningMean(), new RunningMean(), new RunningMean());
        foreach (var sums in draws)
        {
            var d = LawDistances.From(sums);
            kl.Add(d.Kl); w2.Add(d.W2 * d.W2); tv.Add(d.TvUpper);
        }
        var upper = new MixtureBounds(kl.Estimate, w2.Estimate, tv.Estimate, head.Randomized ? draws.Length : 1);
        var lower = LawDistances.From(matched with { ProductTv = wholeLawTv });
        var error = leftOut is null ? null : MatchedJackknife.From(lower, leftOut);
        return new ExactResult(head.Sampler, head.Steps, head.Randomized, upper, lower, head.MomentsExact, law,
            head.Evaluations, head.Rounds)
        { LowerError = error };
    }

    /// <summary>The chain number <see cref="SamplerDivergedException"/> carries when the moment-matched law (not a
    /// single chain) stopped being finite.</summary>
    public const long MomentLawChain = -1;

    /// <summary>The exact law N(μ_ω, S_ω) after <paramref name="steps"/> steps given the draws of replicate
    /// <paramref name="replicate"/> of <paramref name="source"/>: by repeated squaring of the one-step map for a
    /// time-homogeneous kernel, otherwise step by step. A law that is not finite at the end is traced step by step to
    /// the first step where it stopped being finite, reported as the sampler's divergence (chain = replicate).</summary>
    public static void PropagateDraw(AffinePropagator propagator, INoiseSource source, long replicate, long steps,
        GaussianState law)
    {
        ArgumentNullException.ThrowIfNull(propagator);
        Guard.AtLeast(replicate, 0, nameof(replicate));
        Guard.AtLeast(steps, 0, nameof(steps));
        propagator.Noise.UseDraw(source, replicate);
        propagator.Init(law);
        if (propagator.IsTimeHomogeneous) propagator.Power(steps, law);
        else for (long s = 0; s < steps; s++) propagator.Step(s, law);
        if (law.IsFinite) return;
        // The squared maps can overflow on the way where the steps themselves do not: then the steps' law stands.
        propagator.Noise.UseDraw(source, replicate);
        propagator.Init(law);
        if (!law.IsFinite) throw new SamplerDivergedException(propagator.Sampler, -1, replicate);
        for (long s = 0; s < steps; s++)
        {
            propagator.Step(s, law);
            if (!law.IsFinite) throw new SamplerDivergedException(propagator.Sampler, s, replicate);
        }
    }

    /// <summary>
    /// The exact total mean and covariance after <paramref name="steps"/> steps when each step's draws are fresh:
    /// mean' = E_ω[A m + c], Cov' = E_ω[A Cov Aᵀ + B Bᵀ] + Var_ω(A m + c) (law of total covariance; docs/algorithms.md,
    /// 'Exact Gaussian engine'), E_ω by <paramref name="rule"/>. Moments that stop being finite are the sampler's
    /// divergence (chain <see cref="MomentLawChain"/>).
    /// </summary>
    public static void PropagateMoments(AffinePropagator propagator, DrawQuadrature rule, long steps, GaussianState law)
    {
        ArgumentNullException.ThrowIfNull(propagator);
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(law);
        Guard.AtLeast(steps, 0, nameof(steps));
        var noise = propagator.Noise;
        noise.UseNodes([]);
        propagator.Init(law);
        var acc = new MomentAccumulator(law.Blocks, law.Dimension);
        var mean = new double[law.Mean.Length];
        var cov = new double[law.Covariance.Length];
        for (long s = 0; s < steps; s++)
        {
            acc.Clear();
            for (int c = 0; c < rule.Count; c++)
            {
                noise.UseNodes(rule.Points.AsSpan(c * rule.Width, rule.Width));
                propagator.Probe(s, law.Mean, law.Covariance, mean, cov);
                acc.Add(rule.Weights[c], mean, cov);
            }
            propagator.CommitAux();
            acc.WriteTo(law);
            if (!law.IsFinite) throw new SamplerDivergedException(propagator.Sampler, s, MomentLawChain);
        }
    }

    // Welford mean and the standard error of the mean.
    sealed class RunningMean
    {
        long n;
        double mean, m2;

        public void Add(double x)
        {
            n++;
            double delta = x - mean;
            mean += delta / n;
            m2 += delta * (x - mean);
        }

        public McEstimate Estimate => new(mean, n > 1 ? Math.Sqrt(m2 / (n - 1) / n) : 0);
    }
}
