using System.Globalization;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Randomness;

/// <summary>
/// One Brownian path W per chain (independent per coordinate) on [0, T], T = <see cref="Horizon"/>, for coupled coarse
/// and fine runs (docs/algorithms.md items 1 and 5). The path is fixed at the dyadic nodes n·δ, δ = T/2^J
/// (J = <see cref="Depth"/>), by Lévy's midpoint construction: W(T) = √T ξ_root, and the midpoint of a dyadic interval
/// [s, t] of level l is W((s+t)/2) = ½(W(s) + W(t)) + √((t − s)/4) ξ_{l,i}, each ξ keyed by (seed, chain, node).
/// </summary>
/// <remarks>
/// <para>Why coarse and fine runs stay coupled: a node's value depends only on (seed, chain, node), never on the step
/// size or on the order of calls, and a step of length h = T/2^j covers the finest nodes k·2^{J−j} … (k+1)·2^{J−j}.
/// Its increment W((k+1)h) − W(kh) is therefore the telescoping sum of the increments of the 2^{j'−j} finer steps of any
/// run with h' = T/2^{j'} that it contains: every run sees the same path. Node keys are (level, index) relative to T,
/// not to J, so a deeper path refines a shallower one with the same seed and horizon.</para>
/// <para>Cut points inside a step (random midpoints) at time t in the finest cell [cδ, (c+1)δ] are inserted by the
/// Brownian bridge from the previous known point of that cell (its left node or the previous cut) to its right node,
/// W(t) = W(a) + (t − a)/(b − a)·(W(b) − W(a)) + √((t − a)(b − t)/(b − a)) ζ, with ζ keyed by (seed, chain, cell, rank of
/// the cut within the cell). This is the exact conditional law given the nodes; a later run with other cuts in the same
/// cell sees other bridge values, which is fine because the node values, and hence every step increment, are shared.</para>
/// <para>Cost: each node value walks the Lévy tree from the root, O(d·J) per node, a few nodes per call; buffers are
/// per thread. Normals of roles below <see cref="CounterRng.UniformRoleBase"/> and uniforms are the plain Philox draws
/// of <see cref="PhiloxNoise"/> with the same seed; the path uses two reserved roles above that base.</para>
/// </remarks>
public sealed class DyadicBrownianPath : INoiseSource
{
    /// <summary>The reserved role of the Lévy-tree normals ξ (keyed by node id in the step word).</summary>
    public const int NodeRole = CounterRng.UniformRoleBase + 1;
    /// <summary>The first reserved role of cut-point bridge normals ζ (plus the cut's rank within its finest cell).</summary>
    public const int CutRoleBase = CounterRng.UniformRoleBase + 2;
    /// <summary>Largest depth J: node ids 2^l + i must fit the 48 step bits of a Philox counter.</summary>
    public const int MaxDepth = 46;
    /// <summary>Most cuts per call: the cut's rank within a cell is added to <see cref="CutRoleBase"/> in a 16-bit role.</summary>
    public const int MaxCuts = 0xFFFF - CutRoleBase + 1;

    readonly double finestCell;
    [ThreadStatic] static double[]? buffer;

    /// <summary>Paths on [0, <paramref name="horizon"/>] fixed down to cells of length horizon/2^<paramref name="depth"/>.</summary>
    public DyadicBrownianPath(ulong seed, double horizon, int depth)
    {
        Seed = seed;
        Horizon = Guard.Positive(horizon, nameof(horizon));
        Depth = (int)Guard.InClosed(depth, 0, MaxDepth, nameof(depth));
        finestCell = Math.ScaleB(horizon, -depth);
        Guard.Positive(finestCell, "horizon/2^depth");
    }

    /// <summary>The key of every draw.</summary>
    public ulong Seed { get; }
    /// <summary>T: the path lives on [0, T].</summary>
    public double Horizon { get; }
    /// <summary>J: the finest cell is T/2^J.</summary>
    public int Depth { get; }
    /// <summary>Number of finest cells 2^J.</summary>
    public long Cells => 1L << Depth;

    /// <inheritdoc/>
    public void Normals(long chain, long step, int role, Span<double> destination)
    {
        if ((uint)role >= CounterRng.UniformRoleBase) Guard.InClosed(role, 0, CounterRng.UniformRoleBase - 1, nameof(role));
        CounterRng.Normals(Seed, chain, step, role, destination);
    }

    /// <inheritdoc/>
    public double Uniform(long chain, long step, int index) => CounterRng.Uniform(Seed, chain, step, index);

    /// <summary>W(n·T/2^J) for <paramref name="chain"/>, one value per coordinate, n ∈ [0, 2^J].</summary>
    public void Value(long chain, long node, Span<double> w)
    {
        Guard.AtLeast(w.Length, 1, "d");
        if (node < 0 || node > Cells) Guard.InClosed(node, 0, Cells, nameof(node));
        var scratch = Buffer(3 * w.Length);
        NodeValue(chain, node, w, scratch);
    }

    /// <summary>
    /// Increments of the path over step <paramref name="step"/> = [k h, (k+1) h] split at <paramref name="cuts"/>;
    /// h must be T/2^j with j ≤ J and (k+1)·h ≤ T.
    /// </summary>
    public void BrownianIncrements(long chain, long step, double h, ReadOnlySpan<double> cuts, Span<double> increments)
    {
        if (cuts.Length > MaxCuts) Guard.InClosed(cuts.Length, 0, MaxCuts, "cuts.Length");
        int pieces = cuts.Length + 1, d = increments.Length / pieces;
        Guard.AtLeast(d, 1, "d");
        Guard.Length(increments.Length, pieces * d, nameof(increments));
        long cellsPerStep = CellsPerStep(h);
        long steps = Cells / cellsPerStep;
        if (step < 0 || step >= steps)
            throw new ArgumentOutOfRangeException(nameof(step),
                $"step = {step} is out of range; allowed: [0, {steps - 1}] so that (step + 1)·h ≤ horizon = {Show(Horizon)} with h = {Show(h)}.");

        var scratch = Buffer(6 * d);
        var tree = scratch[..(3 * d)];
        var start = scratch.Slice(3 * d, d);
        var leftNode = scratch.Slice(4 * d, d);
        var rightNode = scratch.Slice(5 * d, d);
        long first = step * cellsPerStep;
        NodeValue(chain, first, start, tree);

        // Each cut block first holds W at the cut; differences are taken at the end.
        long previousCell = -1;
        double previousFraction = 0, lastCut = 0;
        int rank = 0;
        for (int j = 0; j < cuts.Length; j++)
        {
            double u = cuts[j];
            if (!(u > lastCut && u < 1))
                throw new ArgumentException($"cuts[{j}] = {Show(u)} is out of range; allowed: ({Show(lastCut)}, 1) (cuts increase strictly inside (0, 1)).", nameof(cuts));
            lastCut = u;
            // u·2^(J−j) is exact, so the cell and the fraction within it carry no rounding.
            double offset = u * cellsPerStep, whole = Math.Floor(offset), fraction = offset - whole;
            long cell = first + (long)whole;
            ReadOnlySpan<double> left;
            double leftFraction;
            if (cell == previousCell)
            {
                left = increments.Slice((j - 1) * d, d);
                leftFraction = previousFraction;
                rank++;
            }
            else
            {
                NodeValue(chain, cell, leftNode, tree);
                NodeValue(chain, cell + 1, rightNode, tree);
                left = leftNode;
                leftFraction = 0;
                rank = 0;
            }
            var w = increments.Slice(j * d, d);
            CounterRng.Normals(Seed, chain, cell, CutRoleBase + rank, w);
            double span = 1 - leftFraction, weight = (fraction - leftFraction) / span;
            double sd = Math.Sqrt((fraction - leftFraction) * (1 - fraction) / span * finestCell);
            for (int i = 0; i < d; i++) w[i] = left[i] + weight * (rightNode[i] - left[i]) + sd * w[i];
            previousCell = cell;
            previousFraction = fraction;
        }
        NodeValue(chain, first + cellsPerStep, increments.Slice(cuts.Length * d, d), tree);

        for (int p = pieces - 1; p >= 1; p--)
        {
            var piece = increments.Slice(p * d, d);
            var before = increments.Slice((p - 1) * d, d);
            for (int i = 0; i < d; i++) piece[i] -= before[i];
        }
        var firstPiece = increments[..d];
        for (int i = 0; i < d; i++) firstPiece[i] -= start[i];
    }

    static string Show(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    static Span<double> Buffer(int length) =>
        (buffer is { Length: var n } && n >= length ? buffer : buffer = new double[length]).AsSpan(0, length);

    // 2^(J−j) for h = T/2^j; a comparison with the exactly scaled horizon, so only true dyadic fractions pass.
    long CellsPerStep(double h)
    {
        for (int j = 0; j <= Depth; j++)
            if (Math.ScaleB(Horizon, -j) == h) return 1L << (Depth - j);
        throw new ArgumentOutOfRangeException(nameof(h),
            $"h = {Show(h)} is out of range; allowed: horizon/2^j for an integer j in [0, {Depth}], horizon = {Show(Horizon)}.");
    }

    // Walks the Lévy tree from [0, T] down to the node. Node ids: 0 for W(T); 2^l + i for the midpoint of the i-th
    // interval of level l (length T/2^l). `tree` holds the running left, right and midpoint values (3·d).
    void NodeValue(long chain, long node, Span<double> w, Span<double> tree)
    {
        int d = w.Length;
        if (node == 0) { w.Clear(); return; }
        var lo = tree[..d];
        var hi = tree.Slice(d, d);
        var mid = tree.Slice(2 * d, d);
        CounterRng.Normals(Seed, chain, 0, NodeRole, hi);
        double sqrtT = Math.Sqrt(Horizon);
        for (int i = 0; i < d; i++) hi[i] *= sqrtT;
        lo.Clear();
        long left = 0, right = Cells, index = 0;
        for (int level = 0; node != right; level++)
        {
            long centre = (left + right) / 2;
            CounterRng.Normals(Seed, chain, (1L << level) + index, NodeRole, mid);
            double sd = Math.Sqrt(Math.ScaleB(Horizon, -level) / 4);
            for (int i = 0; i < d; i++) mid[i] = 0.5 * (lo[i] + hi[i]) + sd * mid[i];
            var spare = mid;
            if (node < centre) { mid = hi; hi = spare; index = 2 * index; right = centre; }
            else { mid = lo; lo = spare; index = 2 * index + 1; left = centre; }
            if (node == left) { lo.CopyTo(w); return; }
        }
        hi.CopyTo(w);
    }
}
