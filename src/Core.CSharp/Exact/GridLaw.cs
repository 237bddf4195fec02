using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// A one-dimensional law given by its density at the nodes xⱼ = Lower + j·Spacing of a uniform grid
/// (docs/algorithms.md, "Quadrature laws in one dimension"). Integrals are trapezoid sums, which converge faster than any
/// power of the spacing for smooth densities that vanish at both ends, so the grid must be fine against the law's
/// smallest length scale and wide enough to hold its mass.
/// </summary>
public sealed class GridLaw
{
    readonly double[] density;

    /// <summary>The law with density values <paramref name="density"/> at Lower + j·Spacing (copied).</summary>
    public GridLaw(double lower, double spacing, ReadOnlySpan<double> density)
    {
        Lower = Guard.Finite(lower, nameof(lower));
        Spacing = Guard.Positive(spacing, nameof(spacing));
        Guard.AtLeast(density.Length, 4, "density length");
        Guard.AllFinite(density, nameof(density));
        Guard.AllNonNegative(density, nameof(density));
        this.density = density.ToArray();
    }

    /// <summary>The law ∝ exp(<paramref name="logDensity"/>) on <paramref name="count"/> nodes from
    /// <paramref name="lower"/>, normalised by the trapezoid sum.</summary>
    public static GridLaw FromLogDensity(double lower, double spacing, int count, Func<double, double> logDensity)
    {
        ArgumentNullException.ThrowIfNull(logDensity);
        Guard.AtLeast(count, 4, nameof(count));
        var log = new double[count];
        for (int j = 0; j < count; j++) log[j] = logDensity(lower + j * spacing);
        double top = log.Max();
        var p = log.Select(l => Math.Exp(l - top)).ToArray();
        double mass = p.Sum() * spacing;
        for (int j = 0; j < count; j++) p[j] /= mass;
        return new GridLaw(lower, spacing, p);
    }

    /// <summary>x₀, the first node.</summary>
    public double Lower { get; }
    /// <summary>Δ, the distance between nodes.</summary>
    public double Spacing { get; }
    /// <summary>The number of nodes.</summary>
    public int Count => density.Length;
    /// <summary>The density at the nodes.</summary>
    public ReadOnlySpan<double> Density => density;
    // The same values for this assembly's parallel loops, which cannot capture a span; never written.
    internal double[] Values => density;
    /// <summary>The node xⱼ.</summary>
    public double Node(int j) => Lower + j * Spacing;

    /// <summary>∫ p on the grid (1 up to truncation and round-off for a law built here).</summary>
    public double Mass => density.Sum() * Spacing;

    /// <summary>E x.</summary>
    public double Mean
    {
        get
        {
            double s = 0;
            for (int j = 0; j < Count; j++) s += Node(j) * density[j];
            return s * Spacing / Mass;
        }
    }

    /// <summary>Var x.</summary>
    public double Variance
    {
        get
        {
            double m = Mean, s = 0;
            for (int j = 0; j < Count; j++) s += (Node(j) - m) * (Node(j) - m) * density[j];
            return s * Spacing / Mass;
        }
    }

    /// <summary>
    /// KL(p ‖ q) = Σ Δ q φ(p/q) with φ(r) = r log r − r + 1 ≥ 0, which is KL for equal masses and sums non-negative terms,
    /// so a small KL keeps its digits. +∞ where q vanishes under p.
    /// </summary>
    public static double KullbackLeibler(GridLaw p, GridLaw q)
    {
        RequireSameGrid(p, q);
        double s = 0;
        for (int j = 0; j < p.Count; j++)
        {
            double a = p.density[j], b = q.density[j];
            if (a == 0) { s += b; continue; }
            if (b == 0) return double.PositiveInfinity;
            s += b * Phi(a / b - 1);
        }
        return s * p.Spacing;
    }

    // φ(1 + e) = (1 + e) log(1 + e) − e, by its series near e = 0 where the closed form cancels.
    static double Phi(double e) =>
        Math.Abs(e) < 1e-3
            ? e * e * (0.5 + e * (-1.0 / 6 + e * (1.0 / 12 + e * (-1.0 / 20))))
            : (1 + e) * Math.Log(1 + e) - e;

    /// <summary>TV(p, q) = ½ Σ Δ |p − q|: second order in Δ, because |p − q| has a kink where the densities cross
    /// (the error is at most Δ²|(p − q)′|/8 per crossing).</summary>
    public static double TotalVariation(GridLaw p, GridLaw q)
    {
        RequireSameGrid(p, q);
        double s = 0;
        for (int j = 0; j < p.Count; j++) s += Math.Abs(p.density[j] - q.density[j]);
        return 0.5 * s * p.Spacing;
    }

    /// <summary>
    /// W2(p, q) through the monotone map T = G⁻¹∘F: W2² = ∫ (T(x) − x)² p(x) dx. F and G are the sixth-order cumulative
    /// integrals of the two densities by one linear rule, so F − G is that rule applied to p − q and keeps its relative
    /// accuracy when the laws are close. Where the map moves a node by less than half a spacing (close laws) the offset
    /// solves a Taylor polynomial of G about the node; elsewhere G⁻¹ is found on the cubic Hermite interpolant of
    /// (G, q). Beyond p's median the
    /// map is read from the upper tails 1 − F and 1 − G, integrated from the right, so that far-tail nodes keep their
    /// relative accuracy instead of the 1e-16 absolute of a distribution function near 1 (divided by a tiny q, that
    /// would move a small W2). Both laws are normalised to unit mass first.
    /// </summary>
    public static double Wasserstein2(GridLaw p, GridLaw q)
    {
        RequireSameGrid(p, q);
        int n = p.Count;
        double h = p.Spacing, mp = p.Mass, mq = q.Mass;
        var f = p.density.Select(v => v / mp).ToArray();
        var g = q.density.Select(v => v / mq).ToArray();
        var cf = Cumulative(f, h);
        var cg = Cumulative(g, h);
        var fr = f.Reverse().ToArray();
        var gr = g.Reverse().ToArray();
        var sf = Cumulative(fr, h);
        var sg = Cumulative(gr, h);
        double s = 0;
        for (int j = 0; j < n; j++)
        {
            if (f[j] == 0) continue;
            int jr = n - 1 - j;
            bool left = cf[j] <= sf[jr];
            // F − G at x_j, from whichever side keeps its relative accuracy.
            double gap = left ? cf[j] - cg[j] : sg[jr] - sf[jr];
            double d = NearNode(g, h, j, gap);
            if (double.IsNaN(d))
                d = left
                    ? InverseHermite(cg, g, h, cf[j], j) - j * h
                    : -(InverseHermite(sg, gr, h, sf[jr], jr) - jr * h);
            s += d * d * f[j];
        }
        return Math.Sqrt(s * h);
    }

    // The offset δ with G(x_j + δ) − G(x_j) = gap, by Newton on the Taylor polynomial g δ + g′δ²/2 + g″δ³/6 with g′
    // and g″ from fourth-order central differences, when δ is below half a spacing (NaN otherwise, or near the ends).
    // The Hermite interpolant is exact only at the nodes: its error grows like δ² there, which makes the relative error
    // of a small W2 second order in the spacing; the Taylor polynomial's is of order δ³ g‴/g.
    static double NearNode(double[] g, double h, int j, double gap)
    {
        if (j < 2 || j + 2 >= g.Length || g[j] <= 0) return double.NaN;
        double d = gap / g[j];
        if (!(Math.Abs(d) <= 0.5 * h)) return double.NaN;
        double g1 = (g[j - 2] - 8 * g[j - 1] + 8 * g[j + 1] - g[j + 2]) / (12 * h);
        double g2 = (-g[j - 2] + 16 * g[j - 1] - 30 * g[j] + 16 * g[j + 1] - g[j + 2]) / (12 * h * h);
        for (int it = 0; it < 8; it++)
        {
            double value = d * (g[j] + d * (0.5 * g1 + d * g2 / 6)) - gap;
            double slope = g[j] + d * (g1 + 0.5 * d * g2);
            if (slope <= 0) return double.NaN;
            double step = value / slope;
            d -= step;
            if (Math.Abs(step) <= 1e-16 * Math.Abs(d)) break;
        }
        return Math.Abs(d) <= 0.5 * h ? d : double.NaN;
    }

    // C(x_j) = ∫_{x₀}^{x_j} v, each interval by the sixth-order six-point rule
    // ∫_{x_k}^{x_k+1} v ≈ h(11v_{k−2} − 93v_{k−1} + 802v_k + 802v_{k+1} − 93v_{k+2} + 11v_{k+3})/1440 (its error, of order
    // h⁶ v⁽⁶⁾, stays below a W2 gap's digits where a fourth-order rule's did not), the trapezoid rule in the two end
    // intervals on each side, where a law built here is negligible.
    static double[] Cumulative(double[] v, double h)
    {
        int n = v.Length;
        var c = new double[n];
        for (int k = 0; k + 1 < n; k++)
        {
            double piece = k >= 2 && k + 3 < n
                ? (11 * (v[k - 2] + v[k + 3]) - 93 * (v[k - 1] + v[k + 2]) + 802 * (v[k] + v[k + 1])) / 1440
                : 0.5 * (v[k] + v[k + 1]);
            c[k + 1] = c[k] + h * piece;
        }
        return c;
    }

    // The offset y (from x₀) with G(y) = u: the bracketing interval by bisection from the hint, then Newton steps on
    // the cubic Hermite interpolant of G, whose slopes are the densities.
    static double InverseHermite(double[] cg, double[] g, double h, double u, int hint)
    {
        int n = cg.Length;
        if (u <= cg[0]) return 0;
        if (u >= cg[n - 1]) return (n - 1) * h;
        int lo = 0, hi = n - 1;
        int k = Math.Clamp(hint, 0, n - 2);
        if (cg[k] <= u && u <= cg[k + 1]) lo = k;
        else
        {
            while (hi - lo > 1)
            {
                int mid = (lo + hi) / 2;
                if (cg[mid] <= u) lo = mid; else hi = mid;
            }
        }
        double c0 = cg[lo], c1 = cg[lo + 1], d0 = g[lo] * h, d1 = g[lo + 1] * h;
        double t = c1 > c0 ? (u - c0) / (c1 - c0) : 0.5;
        for (int it = 0; it < 30; it++)
        {
            double t2 = t * t, t3 = t2 * t;
            double val = (2 * t3 - 3 * t2 + 1) * c0 + (t3 - 2 * t2 + t) * d0 + (-2 * t3 + 3 * t2) * c1 + (t3 - t2) * d1;
            double der = (6 * t2 - 6 * t) * c0 + (3 * t2 - 4 * t + 1) * d0 + (-6 * t2 + 6 * t) * c1 + (3 * t2 - 2 * t) * d1;
            if (der <= 0) break;
            double step = (val - u) / der;
            t = Math.Clamp(t - step, 0, 1);
            if (Math.Abs(step) < 1e-15) break;
        }
        return (lo + t) * h;
    }

    static void RequireSameGrid(GridLaw p, GridLaw q)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        if (p.Count != q.Count || p.Lower != q.Lower || p.Spacing != q.Spacing)
            throw new ArgumentException($"q's grid ({q.Count} nodes from {q.Lower} by {q.Spacing}) is out of range; "
                + $"allowed: p's grid ({p.Count} nodes from {p.Lower} by {p.Spacing}).", nameof(q));
    }
}
