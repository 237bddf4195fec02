using MathNet.Numerics.Integration;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// A tensor-product rule for E_ω over one step's uniforms: Gauss–Legendre on (0, 1) for a continuous uniform (n nodes
/// integrate polynomials of degree ≤ 2n − 1 exactly and analytic integrands with geometric accuracy), and the two
/// outcomes of a Bernoulli(p) switch {U &lt; p, U ≥ p} at the representative points p/2 and (1 + p)/2 with weights
/// p and 1 − p (exact enumeration of the 2^K patterns). Accuracy: exact for the randomized-midpoint schemes whose step
/// moments are polynomials of low degree in U (RLMC: degree 2, so 2 nodes suffice); for an analytic dependence on U,
/// 48 and 96 nodes agree to better than 1e-13 relative (test "Gauss–Legendre accuracy" in Exact.Propagation). A kernel
/// that declares its <see cref="IStepDraws.MomentDegree"/> p gets the exact ⌊p/2⌋ + 1 nodes when that is fewer.
/// </summary>
public sealed class DrawQuadrature
{
    /// <summary>The rule for the draws declared by <paramref name="draws"/>, with <paramref name="nodes"/>
    /// Gauss–Legendre nodes per continuous uniform (fewer when the declared moment degree makes fewer exact).</summary>
    public DrawQuadrature(IStepDraws draws, int nodes)
    {
        ArgumentNullException.ThrowIfNull(draws);
        nodes = NodesFor(draws, Guard.AtLeast(nodes, 1, nameof(nodes)));
        Width = Guard.AtLeast(draws.UniformsPerStep, 0, "UniformsPerStep");
        var axes = new (double[] Points, double[] Weights)[Width];
        var legendre = new GaussLegendreRule(0, 1, nodes);
        double count = 1;
        for (int u = 0; u < Width; u++)
        {
            var draw = draws.Draw(u);
            axes[u] = draw.Kind switch
            {
                DrawKind.Bernoulli => ([Guard.InOpen(draw.P, 0, 1, $"Draw({u}).P") / 2, (1 + draw.P) / 2], [draw.P, 1 - draw.P]),
                DrawKind.Unused => ([0.5], [1.0]),
                _ => (legendre.Abscissas, legendre.Weights),
            };
            count *= axes[u].Points.Length;
        }
        Count = count <= int.MaxValue ? (int)count : throw new ArgumentOutOfRangeException(nameof(nodes),
            $"nodes = {nodes} gives {count} quadrature combinations; allowed: at most {int.MaxValue}.");
        Points = new double[Count * Width];
        Weights = new double[Count];
        for (int c = 0; c < Count; c++)
        {
            double w = 1;
            for (int u = 0, rest = c; u < Width; u++)
            {
                int n = axes[u].Points.Length, k = rest % n;
                rest /= n;
                Points[c * Width + u] = axes[u].Points[k];
                w *= axes[u].Weights[k];
            }
            Weights[c] = w;
        }
    }

    DrawQuadrature(int width, double[] points, double[] weights) =>
        (Width, Count, Points, Weights) = (width, weights.Length, points, weights);

    /// <summary>
    /// An exact rule with 1 + m + m(m−1)/2 combinations instead of 2^m for m Bernoulli switches H_j ~ Bernoulli(p_j)
    /// whose step image moments are at most quadratic jointly in the switches (multilinear of degree ≤ 2), as when the
    /// step's affine image is itself affine in the vector H (Poisson midpoint: the corrections enter one fine step each,
    /// at points that do not depend on H). For f = c + Σ c_j H_j + Σ_{j&lt;k} c_jk H_j H_k, E f is matched by the
    /// patterns 0, e_j and e_j + e_k with weights w_jk = p_j p_k, w_j = p_j (1 − Σ_{k≠j} p_k) and w_0 = 1 − Σ_j w_j −
    /// Σ_{j&lt;k} w_jk (a weight may be negative when Σ p_j &gt; 1; the rule stays exact). Every draw must be Bernoulli
    /// or unused; the caller vouches for the degree, which tensor enumeration can confirm on small cases.
    /// </summary>
    public static DrawQuadrature PairwiseBernoulli(IStepDraws draws)
    {
        ArgumentNullException.ThrowIfNull(draws);
        int width = Guard.AtLeast(draws.UniformsPerStep, 0, "UniformsPerStep");
        var switches = new List<(int Index, double P)>();
        for (int u = 0; u < width; u++)
        {
            var draw = draws.Draw(u);
            if (draw.Kind == DrawKind.Bernoulli) switches.Add((u, Guard.InOpen(draw.P, 0, 1, $"Draw({u}).P")));
            else if (draw.Kind != DrawKind.Unused)
                throw new ArgumentException($"Draw({u}).Kind = {draw.Kind} is out of range; allowed: Bernoulli, Unused.", nameof(draws));
        }
        int m = switches.Count;
        double total = switches.Sum(s => s.P);
        var patterns = new List<(int J, int K, double W)> { (-1, -1, 0) };
        for (int j = 0; j < m; j++) patterns.Add((j, -1, switches[j].P * (1 - (total - switches[j].P))));
        for (int j = 0; j < m; j++)
            for (int k = j + 1; k < m; k++) patterns.Add((j, k, switches[j].P * switches[k].P));
        double rest = 1;
        for (int c = 1; c < patterns.Count; c++) rest -= patterns[c].W;
        patterns[0] = (-1, -1, rest);

        var points = new double[patterns.Count * width];
        var weights = new double[patterns.Count];
        for (int c = 0; c < patterns.Count; c++)
        {
            var row = points.AsSpan(c * width, width);
            row.Fill(0.5);
            // A switch is on at U = p/2 (U < p) and off at U = (1 + p)/2, as in the tensor rule.
            foreach (var (index, p) in switches) row[index] = (1 + p) / 2;
            foreach (int on in new[] { patterns[c].J, patterns[c].K })
                if (on >= 0) row[switches[on].Index] = switches[on].P / 2;
            weights[c] = patterns[c].W;
        }
        return new DrawQuadrature(width, points, weights);
    }

    /// <summary>Uniforms per combination.</summary>
    public int Width { get; }
    /// <summary>Number of combinations.</summary>
    public int Count { get; }
    /// <summary>The uniforms of combination c at [c·Width, (c+1)·Width).</summary>
    public double[] Points { get; }
    /// <summary>Weights summing to 1.</summary>
    public double[] Weights { get; }

    /// <summary>The combinations a rule with <paramref name="nodes"/> nodes per continuous uniform would have.</summary>
    public static double CombinationCount(IStepDraws draws, int nodes)
    {
        ArgumentNullException.ThrowIfNull(draws);
        nodes = NodesFor(draws, nodes);
        double count = 1;
        for (int u = 0; u < draws.UniformsPerStep; u++)
            count *= draws.Draw(u).Kind switch { DrawKind.Bernoulli => 2, DrawKind.Unused => 1, _ => nodes };
        return count;
    }

    // n Gauss–Legendre nodes integrate degree 2n − 1 exactly.
    static int NodesFor(IStepDraws draws, int nodes) => draws.MomentDegree is int p
        ? Math.Min(nodes, Guard.AtLeast(p, 0, "MomentDegree") / 2 + 1)
        : nodes;
}
