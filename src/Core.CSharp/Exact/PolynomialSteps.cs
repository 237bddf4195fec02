using RateLab.Core.Contracts;
using RateLab.Core.Randomness;
using RateLab.Core.Samplers;
using RateLab.Core.Targets;

namespace RateLab.Core.Exact;

/// <summary>
/// Every step of every draw of a Langevin exact analysis as polynomials in the coordinate's precision p = 1/λ, probed
/// once for all coordinates instead of once per coordinate block. On the score q − p x a step given ω is, per
/// coordinate, Y' = A(p) Y + g(p) q + Σₖ bₖ(p) ξₖ (q = p μ): each score call multiplies by p at most once along any
/// path, and the calls of one round cannot see each other's results, so a step of R rounds has A of degree ≤ R,
/// g ≤ R − 1 (q enters through a call) and Q = Σₖ bₖbₖᵀ ≤ 2R. <see cref="NodeProbe"/> runs the real kernel at
/// <see cref="FitNodes"/> Chebyshev nodes on the reduction's [p_min, p_max], the series are truncated at those degrees
/// (<see cref="ChebyshevSeries"/>), and <see cref="CheckNodes"/> more nodes (both ends and an inner point) verify them
/// to a rounding bound: a kernel whose step is not such a polynomial, or whose rounds undercount its nesting, is left
/// to probing. <see cref="PolynomialLanes"/> then updates each coordinate block from these tables with no d-wide
/// kernel call.
/// </summary>
/// <remarks>
/// Used only where <see cref="TryBuild"/> says so: at least <see cref="ExactOptions.PolynomialCoordinates"/> distinct
/// coordinates, the target's <see cref="DiagonalGaussian"/> score (diffusion scores are rational in λ at each level),
/// a kernel that is neither time-homogeneous (squaring is faster) nor deterministic (one law, nothing to share), no
/// per-draw reference, steps of at most <see cref="MaxRounds"/> rounds (RLMC, PLMC, Shen–Lee: the lanes unroll that
/// degree), and tables of at most <see cref="MaxTableEntries"/> doubles. The laws agree with probing to rounding, not
/// bit for bit, which is why the default threshold (2¹⁶ distinct coordinates) lies above every analysis of the report.
/// </remarks>
sealed class PolynomialSteps
{
    /// <summary>Most rounds of a tabled step.</summary>
    public const int MaxRounds = 2;

    /// <summary>Degree of the basis a coordinate keeps: Q's, 2·<see cref="MaxRounds"/>.</summary>
    public const int Degree = 2 * MaxRounds;

    /// <summary>Interpolation nodes: Q's degree + 1.</summary>
    public const int FitNodes = Degree + 1;

    /// <summary>Verification nodes: t = −1, 1/√2 and 1, none of them a fit node.</summary>
    public const int CheckNodes = 3;

    /// <summary>Largest table (rows × entries × nodes) kept in memory: 2²⁴ doubles, 128 MiB.</summary>
    public const long MaxTableEntries = 1L << 24;

    // The unit roundoff u = 2⁻⁵³, and the rounding budget of one probed value of a kernel step: 2⁸ u of the entry's
    // largest node value (a step is a few dozen operations on values of that size).
    const double Unit = 1.0 / (1L << 53), ProbeRounding = 256 * Unit;

    readonly double[] draws, moments, weights, shares, spreads;
    readonly long[] evaluations, rounds;

    PolynomialSteps(int blocks, double centre, double halfWidth, long steps, double[] draws, long[] evaluations,
        long[] rounds, double[] moments, double[] weights)
    {
        Blocks = blocks; Centre = centre; HalfWidth = halfWidth; Steps = steps;
        this.draws = draws; this.evaluations = evaluations; this.rounds = rounds;
        this.moments = moments; this.weights = weights;
        // West's scalar factors of MomentAccumulator.Add: w/W and w(1 − w/W) with W the running total weight.
        (shares, spreads) = (new double[weights.Length], new double[weights.Length]);
        for (int c = 0; c < weights.Length; c++)
        {
            TotalWeight += weights[c];
            shares[c] = weights[c] / TotalWeight;
            spreads[c] = weights[c] * (1 - weights[c] / TotalWeight);
        }
    }

    /// <summary>Blocks m of the kernel.</summary>
    public int Blocks { get; }
    /// <summary>Centre c of the precision interval: t = (p − c)/w.</summary>
    public double Centre { get; }
    /// <summary>Half-width w of the precision interval.</summary>
    public double HalfWidth { get; }
    /// <summary>Steps n of every draw.</summary>
    public long Steps { get; }
    /// <summary>Combinations of the moment rule per step (0: no rule, the moments come from the replicates).</summary>
    public int Combinations => weights.Length;
    /// <summary>The rule's weights wᶜ.</summary>
    public ReadOnlySpan<double> Weights => weights;
    /// <summary>wᶜ/Wᶜ, Wᶜ = w¹ + … + wᶜ: the share of the mean's update.</summary>
    public ReadOnlySpan<double> Shares => shares;
    /// <summary>wᶜ(1 − wᶜ/Wᶜ): the factor of the spread's update.</summary>
    public ReadOnlySpan<double> SpreadFactors => spreads;
    /// <summary>The total weight of the rule.</summary>
    public double TotalWeight { get; }

    /// <summary>
    /// Doubles per step and draw: the m² entries of A (column-major) with coefficients c₀ c₁ c₂, the m of g with c₀ c₁,
    /// the m(m+1)/2 of Q (packed upper triangle) with c₀ … c₄; a step of fewer rounds has its higher ones zero.
    /// </summary>
    public static int RowLength(int blocks) =>
        blocks * blocks * (MaxRounds + 1) + blocks * MaxRounds + GaussianState.PackedEntries(blocks) * (Degree + 1);

    /// <summary>The n rows of replicate <paramref name="replicate"/>'s steps.</summary>
    public ReadOnlySpan<double> Draw(long replicate)
    {
        int row = RowLength(Blocks);
        return draws.AsSpan(checked((int)(replicate * Steps * row)), (int)(Steps * row));
    }

    /// <summary>The rows of the moment rule, combination-minor (step s, combination c at s·C + c).</summary>
    public ReadOnlySpan<double> Moments => moments;

    /// <summary>The score evaluations and rounds of replicate <paramref name="replicate"/>'s n steps.</summary>
    public (long Evaluations, long Rounds) Counts(long replicate) => (evaluations[replicate], rounds[replicate]);

    /// <summary>
    /// The tables of <paramref name="head"/> (the problem of the reduction's first block) on
    /// <paramref name="reduction"/>, or null where the polynomial path does not apply or a step fails its check (the
    /// analysis then probes as before). <paramref name="build"/> makes the probe kernel on the nodes.
    /// </summary>
    public static PolynomialSteps? TryBuild(GaussianReduction reduction, ExactProblem head,
        Func<GaussianReduction, ExactProblem> build, ExactOptions options)
    {
        var kernel = head.Kernel;
        if (reduction.Dimension < options.PolynomialCoordinates || head.Steps < 1 || head.DrawReference is not null
            || kernel is null || !kernel.IsAffineOnGaussians || kernel.Blocks is < 1 or > 2
            || (kernel is ITimeHomogeneous && kernel.AuxLength == 0) || BlockField(head) is null)
            return null;
        var (centre, halfWidth) = Interval(reduction.Variance);
        int n = FitNodes + CheckNodes;
        var precisions = new double[n];
        for (int j = 0; j < n; j++) precisions[j] = centre + halfWidth * NodeAbscissa(j);
        int copies = AffinePropagator.PackedCopies(kernel);
        var nodes = GaussianReduction.Diagonal(new double[n], Array.ConvertAll(precisions, p => 1 / p),
            new StartLaw(new double[n], Ones(n)));
        var nodeKernel = build(nodes.Repeat(copies)).Kernel;
        if (nodeKernel is null || nodeKernel.Dimension != copies * n || nodeKernel.Blocks != kernel.Blocks
            || nodeKernel.AuxLength != kernel.AuxLength || nodeKernel.NormalRoles != kernel.NormalRoles)
            return null;
        var probe = new NodeProbe(nodeKernel, copies, precisions, new ProbeNoise());
        var rule = kernel is IStepDraws stepDraws
                   && DrawQuadrature.CombinationCount(stepDraws, options.QuadratureNodes) <= options.MaxCombinations
            ? new DrawQuadrature(stepDraws, options.QuadratureNodes)
            : null;
        // The probed values (more than the fitted rows) must fit the budget.
        long rows = (options.Replicates + (rule?.Count ?? 0)) * head.Steps;
        if (rows * probe.Entries * n > MaxTableEntries) return null;
        return new Builder(probe, head.Steps, rule).Build(options, centre, halfWidth);
    }

    /// <summary>The block's target score when it is the diagonal Gaussian score with its centred twin (what
    /// <see cref="ExactProblem.Langevin"/> makes), else null.</summary>
    public static DiagonalGaussian? BlockField(ExactProblem problem)
    {
        if (problem.Score is not DiagonalGaussian real || problem.CentredScore is not DiagonalGaussian centred) return null;
        var (mean, variance) = centred.SharedMoments;
        return ReferenceEquals(variance, real.SharedMoments.Variance) && !mean.AsSpan().ContainsAnyExcept(0.0) ? real : null;
    }

    // [p_min, p_max] as centre and half-width; a single precision gets a small interval around it, so t stays finite.
    static (double Centre, double HalfWidth) Interval(ReadOnlySpan<double> variance)
    {
        double lo = double.PositiveInfinity, hi = 0;
        foreach (double v in variance)
        {
            double p = 1 / v;
            lo = Math.Min(lo, p);
            hi = Math.Max(hi, p);
        }
        double centre = 0.5 * (lo + hi), halfWidth = 0.5 * (hi - lo);
        return (centre, Math.Max(halfWidth, centre / (1 << 20)));
    }

    // Abscissa t of node j: the fit nodes, then the check nodes −1, 1/√2, 1.
    static double NodeAbscissa(int j) => j < FitNodes ? ChebyshevSeries.Node(j, FitNodes) : (j - FitNodes) switch
    {
        0 => -1.0,
        1 => Math.Sqrt(0.5),
        _ => 1.0,
    };

    static double[] Ones(int n)
    {
        var ones = new double[n];
        Array.Fill(ones, 1.0);
        return ones;
    }

    // Probes every step of every draw, then fits each at its own round count.
    sealed class Builder(NodeProbe probe, long steps, DrawQuadrature? rule)
    {
        readonly List<(double[] Values, int Rounds)> drawRows = [], momentRows = [];

        public PolynomialSteps? Build(ExactOptions options, double centre, double halfWidth)
        {
            var noise = probe.Noise;
            var source = new PhiloxNoise(options.Seed);
            var (evaluations, rounds) = (new long[options.Replicates], new long[options.Replicates]);
            for (int r = 0; r < options.Replicates; r++)
            {
                noise.UseDraw(source, r);
                probe.Init();
                for (long s = 0; s < steps; s++)
                {
                    var (e, k) = ProbeRow(drawRows, s);
                    (evaluations[r], rounds[r]) = (evaluations[r] + e, rounds[r] + k);
                    probe.CommitAux();
                }
                // A kernel that draws no uniforms is deterministic: its one law gains nothing from the tables.
                if (noise.UniformDraws == 0) return null;
            }
            if (rule is not null)
            {
                noise.UseNodes([]);
                probe.Init();
                for (long s = 0; s < steps; s++)
                {
                    for (int c = 0; c < rule.Count; c++)
                    {
                        noise.UseNodes(rule.Points.AsSpan(c * rule.Width, rule.Width));
                        ProbeRow(momentRows, s);
                    }
                    probe.CommitAux();
                }
            }
            var draws = Fit(drawRows, probe.Blocks);
            var moments = Fit(momentRows, probe.Blocks);
            return draws is null || moments is null
                ? null
                : new PolynomialSteps(probe.Blocks, centre, halfWidth, steps, draws, evaluations, rounds, moments,
                    rule?.Weights.ToArray() ?? []);
        }

        (long Evaluations, long Rounds) ProbeRow(List<(double[] Values, int Rounds)> rows, long step)
        {
            var values = new double[probe.Entries * (FitNodes + CheckNodes)];
            var (e, k) = probe.Step(step, values);
            rows.Add((values, (int)Math.Min(k, int.MaxValue)));
            return (e, k);
        }

        // Every row's series at its own degrees, zero-padded to RowLength's; null when a step has more than MaxRounds
        // rounds or fails its check.
        static double[]? Fit(List<(double[] Values, int Rounds)> rows, int m)
        {
            int n = FitNodes + CheckNodes, length = RowLength(m);
            var table = new double[rows.Count * length];
            Span<double> basis = stackalloc double[FitNodes];
            for (int i = 0; i < rows.Count; i++)
            {
                var (values, k) = rows[i];
                if (k > MaxRounds) return null;
                // Offsets and degrees of the row's entries: A's, g's, then Q's.
                int entry = 0, offset = 0;
                for (int e = 0; e < m * m + m + GaussianState.PackedEntries(m); e++, entry++)
                {
                    var (degree, stride) = e < m * m ? (k, MaxRounds + 1)
                        : e < m * m + m ? (Math.Max(k - 1, 0), MaxRounds)
                        : (2 * k, Degree + 1);
                    var coefficients = table.AsSpan(i * length + offset, degree + 1);
                    if (!FitEntry(values.AsSpan(entry * n, n), coefficients, basis)) return null;
                    offset += stride;
                }
            }
            return table;
        }

        // Fits one entry from its fit nodes and checks the series at the check nodes against the probed values: the
        // values carry the kernel's rounding δ ≤ ProbeRounding·F (F: the entry's largest node value), the fit moves
        // by ≤ 2(D + 1)δ plus (D + 1) ulps of F in the evaluation, and the checked value itself by δ.
        static bool FitEntry(ReadOnlySpan<double> values, Span<double> coefficients, Span<double> basis)
        {
            ChebyshevSeries.Fit(values[..FitNodes], coefficients);
            double scale = 0;
            foreach (double v in values) scale = Math.Max(scale, Math.Abs(v));
            int degree = coefficients.Length - 1;
            double bound = ((2 * degree + 3) * ProbeRounding + (degree + 1) * Unit) * scale;
            var b = basis[..coefficients.Length];
            for (int c = 0; c < CheckNodes; c++)
            {
                ChebyshevSeries.Basis(NodeAbscissa(FitNodes + c), b);
                if (!(Math.Abs(ChebyshevSeries.Evaluate(coefficients, b) - values[FitNodes + c]) <= bound)) return false;
            }
            return true;
        }
    }
}
