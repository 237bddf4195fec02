using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>Time-discretisation schemes of docs/algorithms.md (only the valid ones).</summary>
public enum GridKind
{
    /// <summary>tₙ = n/N.</summary>
    Uniform,
    /// <summary>Random bounded-ratio: uₙ ~ U[1, ρ] iid, tₙ = Σ_{k≤n} u_k / Σ_{k≤N} u_k, so max Δ / min Δ ≤ ρ.</summary>
    Random,
    /// <summary>Shifted equidistant: one s ~ U(−1/N + 10⁻⁴, 1/N − 10⁻⁴), tₙ = n/N + s for 0 &lt; n &lt; N.</summary>
    ShiftedEquidistant,
}

/// <summary>
/// A time-grid family: kind, N steps and ratio bound ρ. Each trajectory gets its own grid, drawn from the uniforms of
/// its own key (trajectory, <see cref="GridStep"/>), so grids do not depend on batch layout. Endpoints are exactly 0 and 1
/// (log π←₀ = 0 and the forward-looking flow rely on it).
/// </summary>
public sealed record TimeGrid
{
    /// <summary>The step key under which grid uniforms are drawn; distinct from every simulation step n ≥ 0.</summary>
    public const long GridStep = -7;

    /// <summary>Grid family with <paramref name="steps"/> = N ≥ 1 and ratio bound <paramref name="ratio"/> = ρ ≥ 1 (used by Random).</summary>
    public TimeGrid(GridKind kind, int steps, double ratio = TrainingDefaults.Ratio)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), $"kind = {kind} is out of range; allowed: Uniform, Random, ShiftedEquidistant.");
        Kind = kind;
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
        Ratio = Guard.InClosed(ratio, 1, double.MaxValue, nameof(ratio));
    }

    /// <summary>Scheme.</summary>
    public GridKind Kind { get; }
    /// <summary>Number of steps N.</summary>
    public int Steps { get; }
    /// <summary>Ratio bound ρ of the random scheme.</summary>
    public double Ratio { get; }

    /// <summary>Writes t₀ = 0 &lt; … &lt; t_N = 1 for <paramref name="trajectory"/> into <paramref name="t"/> (length N + 1).</summary>
    public void Fill(INoiseSource noise, long trajectory, Span<double> t)
    {
        Guard.Length(t.Length, Steps + 1, nameof(t));
        int n = Steps;
        switch (Kind)
        {
            case GridKind.Uniform:
                for (int i = 0; i <= n; i++) t[i] = (double)i / n;
                break;
            case GridKind.Random:
                t[0] = 0;
                for (int i = 1; i <= n; i++) t[i] = t[i - 1] + 1 + (Ratio - 1) * noise.Uniform(trajectory, GridStep, i - 1);
                double total = t[n];
                for (int i = 1; i < n; i++) t[i] /= total;
                break;
            default:
                double s = (2 * noise.Uniform(trajectory, GridStep, 0) - 1) * (1.0 / n - 1e-4);
                t[0] = 0;
                for (int i = 1; i < n; i++) t[i] = (double)i / n + s;
                break;
        }
        t[n] = 1;
    }
}
