using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// Exact minimum-cost perfect matching of an n × n cost matrix by the Hungarian method with potentials and shortest
/// augmenting paths (Jonker–Volgenant style), O(n³) time, O(n) extra memory besides the matrix.
/// </summary>
public static class OptimalAssignment
{
    /// <summary>Returns col[i], the column assigned to row i, minimising Σᵢ cost[i, col[i]] (row-major n × n).</summary>
    public static int[] Solve(ReadOnlySpan<double> cost, int n)
    {
        Guard.AtLeast(n, 1, nameof(n));
        Guard.Length(cost.Length, n * n, nameof(cost));
        Guard.AllFinite(cost, nameof(cost));
        // 1-based rows/columns with the virtual column 0 as the start of each augmenting path.
        var u = new double[n + 1]; var v = new double[n + 1]; var minv = new double[n + 1];
        var p = new int[n + 1]; var way = new int[n + 1]; var used = new bool[n + 1];
        for (int i = 1; i <= n; i++)
        {
            p[0] = i;
            int j0 = 0;
            Array.Fill(minv, double.PositiveInfinity);
            Array.Clear(used);
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                int row = (i0 - 1) * n - 1;
                for (int j = 1; j <= n; j++)
                {
                    if (used[j]) continue;
                    double cur = cost[row + j] - u[i0] - v[j];
                    if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
                    if (minv[j] < delta) { delta = minv[j]; j1 = j; }
                }
                for (int j = 0; j <= n; j++)
                {
                    if (used[j]) { u[p[j]] += delta; v[j] -= delta; }
                    else minv[j] -= delta;
                }
                j0 = j1;
            } while (p[j0] != 0);
            do { int j1 = way[j0]; p[j0] = p[j1]; j0 = j1; } while (j0 != 0);
        }
        var col = new int[n];
        for (int j = 1; j <= n; j++) col[p[j] - 1] = j - 1;
        return col;
    }

    /// <summary>
    /// W₂ between the empirical measures of two equal-size sample sets (rows of length d): √(min_π (1/n)Σᵢ‖aᵢ − b_π(i)‖²)
    /// — for uniform weights and equal sizes an optimal plan is a permutation (Birkhoff).
    /// </summary>
    public static double Wasserstein2(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int d)
    {
        Guard.AtLeast(d, 1, nameof(d));
        Guard.Length(b.Length, a.Length, nameof(b));
        if (a.Length == 0 || a.Length % d != 0) throw new ArgumentException($"a has length {a.Length}; allowed: a positive multiple of d = {d}.", nameof(a));
        int n = a.Length / d;
        var cost = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++) { double z = a[i * d + k] - b[j * d + k]; s += z * z; }
                cost[i * n + j] = s;
            }
        var col = Solve(cost, n);
        double total = 0;
        for (int i = 0; i < n; i++) total += cost[i * n + col[i]];
        return Math.Sqrt(total / n);
    }
}
