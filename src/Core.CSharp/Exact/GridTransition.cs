using MathNet.Numerics;
using System.Numerics.Tensors;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// A Markov transition in one dimension whose kernel from each node xᵢ is a mixture of Gaussians, P(xᵢ, ·) =
/// Σ_c w_c N(μ_c, σ_c²), held as its density matrix on a uniform grid (docs/algorithms.md, "Quadrature laws in one
/// dimension"). Applying it is the trapezoid sum p'(y) = Σᵢ Δ p(xᵢ) P(xᵢ, y). Mass a kernel puts beyond the grid is
/// counted per node, exactly (normal tails), so a law carries the mass it lost as a bound on the truncation's effect.
/// </summary>
public sealed class GridTransition
{
    /// <summary>Default reach: a Gaussian is added within 12 standard deviations of its mean, beyond which
    /// e^{−z²/2} &lt; 1e-31 of its peak.</summary>
    public const double DefaultReach = 12;
    /// <summary>The widest reach, 37 standard deviations, where e^{−z²/2} nears the smallest normal double: a law that
    /// serves as the reference q of KL(p ‖ q) needs its far tails wherever p may put mass.</summary>
    public const double FullReach = 37;

    readonly double reach;
    readonly ParallelOptions options;
    // Rows per parallel block of Apply: each row is one banded dot product, so a block's result does not depend on how
    // rows are split, and the bits do not depend on the thread count.
    const int RowBlock = 128;

    /// <summary>The most nodes a transition may have.</summary>
    public const int MaxCount = 1 << 14;

    readonly double[] matrix; // row-major: matrix[y·n + x] = density at node y of the kernel from node x
    readonly int[] first, last; // each row's nonzero columns lie in [first, last]: kernels are banded at fine steps
    readonly double[] escape, unresolved;

    /// <summary>
    /// The transition on <paramref name="count"/> nodes from <paramref name="lower"/> by <paramref name="spacing"/>,
    /// its kernel from node i written by <paramref name="kernel"/>(i, x_i, sink), run in parallel over the nodes with
    /// at most <paramref name="threads"/> threads (0: all); each node's column depends only on that node, so the result
    /// is the same for any thread count (a score the kernel calls must be safe to call from several threads, as the
    /// sampler runner already requires). Each Gaussian
    /// is placed within <paramref name="reach"/> standard deviations of its mean.
    /// </summary>
    public GridTransition(double lower, double spacing, int count, Action<int, double, KernelSink> kernel,
        int threads = 0, double reach = DefaultReach)
    {
        this.reach = Guard.InClosed(reach, 1, FullReach, nameof(reach));
        ArgumentNullException.ThrowIfNull(kernel);
        Lower = Guard.Finite(lower, nameof(lower));
        Spacing = Guard.Positive(spacing, nameof(spacing));
        // The dense matrix (and its transpose while it is built) holds count² doubles: 2 GiB at the limit.
        Count = Guard.InRange(count, 4, MaxCount, nameof(count));
        Guard.AtLeast(threads, 0, nameof(threads));
        int n = count;
        var columns = new double[(long)n * n];
        escape = new double[n];
        unresolved = new double[n];
        options = new ParallelOptions { MaxDegreeOfParallelism = threads == 0 ? Environment.ProcessorCount : threads };
        Parallel.For(0, n, options, i =>
        {
            var sink = new KernelSink(this, columns.AsMemory(i * n, n));
            kernel(i, lower + i * spacing, sink);
            escape[i] = sink.Escaped;
            unresolved[i] = sink.Unresolved;
        });
        matrix = new double[(long)n * n];
        for (int i = 0; i < n; i++)
            for (int y = 0; y < n; y++) matrix[(long)y * n + i] = columns[(long)i * n + y];
        first = new int[n];
        last = new int[n];
        for (int y = 0; y < n; y++)
        {
            var row = matrix.AsSpan(y * n, n);
            int a = row.IndexOfAnyExcept(0.0), b = row.LastIndexOfAnyExcept(0.0);
            (first[y], last[y]) = a < 0 ? (0, -1) : (a, b);
        }
    }

    /// <summary>x₀.</summary>
    public double Lower { get; }
    /// <summary>Δ.</summary>
    public double Spacing { get; }
    /// <summary>Nodes.</summary>
    public int Count { get; }

    /// <summary>
    /// One step: the law after the transition from <paramref name="law"/>, with <paramref name="escaped"/> the mass sent
    /// beyond the grid and <paramref name="unresolvedMass"/> the mass on nodes whose kernel the builder could not resolve
    /// (both are bounds on the total-variation error the step adds).
    /// </summary>
    public GridLaw Apply(GridLaw law, out double escaped, out double unresolvedMass)
    {
        ArgumentNullException.ThrowIfNull(law);
        if (law.Count != Count || law.Lower != Lower || law.Spacing != Spacing)
            throw new ArgumentException($"law's grid ({law.Count} nodes from {law.Lower}) is out of range; allowed: the transition's ({Count} from {Lower}).", nameof(law));
        int n = Count;
        var p = law.Values;
        var next = new double[n];
        Parallel.For(0, (n + RowBlock - 1) / RowBlock, options, block =>
        {
            var m = matrix.AsSpan();
            for (int y = block * RowBlock, end = Math.Min(n, y + RowBlock); y < end; y++)
            {
                int a = first[y], len = last[y] - a + 1;
                if (len > 0) next[y] = Spacing * TensorPrimitives.Dot(m.Slice(y * n + a, len), p.AsSpan(a, len));
            }
        });
        escaped = Spacing * TensorPrimitives.Dot(escape.AsSpan(), p);
        unresolvedMass = Spacing * TensorPrimitives.Dot(unresolved.AsSpan(), p);
        return new GridLaw(Lower, Spacing, next);
    }

    /// <summary>Receives the Gaussian components of the kernel from one node.</summary>
    public sealed class KernelSink
    {
        readonly GridTransition owner;
        readonly Memory<double> column;

        internal KernelSink(GridTransition owner, Memory<double> column) => (this.owner, this.column) = (owner, column);

        internal double Escaped { get; private set; }
        internal double Unresolved { get; private set; }

        /// <summary>Marks weight <paramref name="weight"/> of the kernel as not computed (its mass is reported, not
        /// placed).</summary>
        public void MarkUnresolved(double weight) => Unresolved += Guard.NonNegative(weight, nameof(weight));

        /// <summary>Adds w·N(μ, σ²) to the kernel's density at the nodes, the mass beyond the grid to the escape.</summary>
        public void Add(double weight, double mean, double sd)
        {
            Guard.NonNegative(weight, nameof(weight));
            Guard.Finite(mean, nameof(mean));
            Guard.Positive(sd, nameof(sd));
            if (weight == 0) return;
            var g = owner;
            var col = column.Span;
            int n = col.Length;
            double lo = g.Lower, dx = g.Spacing, hi = lo + (n - 1) * dx;
            Escaped += weight * (Cdf((lo - mean) / sd) + Cdf((mean - hi) / sd));
            double reach = g.reach;
            if (mean + reach * sd < lo || mean - reach * sd > hi) return;
            // e^{−z²/2} along the nodes by a product recurrence (two multiplies a node): with a = Δ/σ,
            // g_{j+1} = g_j r_j, r_j = e^{−a z_j − a²/2}, r_{j+1} = r_j e^{−a²}; rounding grows by one ulp a node.
            double a = dx / sd, scale = weight / (sd * Math.Sqrt(2 * Math.PI)), shrink = Math.Exp(-a * a);
            int j0 = (int)Math.Clamp(Math.Round((mean - lo) / dx), 0, n - 1);
            double z0 = (lo + j0 * dx - mean) / sd, g0 = Math.Exp(-0.5 * z0 * z0);
            int nodes = (int)Math.Ceiling(reach / a);
            double v = g0, r = Math.Exp(-a * z0 - 0.5 * a * a);
            for (int j = j0; j < n && j <= j0 + nodes; j++)
            {
                col[j] += scale * v;
                v *= r;
                r *= shrink;
            }
            v = g0 * Math.Exp(a * z0 - 0.5 * a * a);
            r = Math.Exp(a * z0 - 1.5 * a * a);
            for (int j = j0 - 1; j >= 0 && j >= j0 - nodes; j--)
            {
                col[j] += scale * v;
                v *= r;
                r *= shrink;
            }
        }

        static double Cdf(double z) => 0.5 * SpecialFunctions.Erfc(-z / Math.Sqrt(2));
    }
}
