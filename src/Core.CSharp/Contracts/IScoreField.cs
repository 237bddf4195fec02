namespace RateLab.Core.Contracts;

/// <summary>
/// A score s(x, τ) = ∇ₓ log p_τ(x) at noise level τ. Langevin targets are the time-homogeneous case and ignore τ;
/// diffusion scores use the τ-parametrisation X_τ = √(1−τ) X₀ + √τ Z.
/// </summary>
public interface IScoreField
{
    /// <summary>Name shown in reports.</summary>
    string Name { get; }

    /// <summary>Dimension d.</summary>
    int Dimension { get; }

    /// <summary>Writes s(x, τ) into <paramref name="score"/> (both of length d).</summary>
    void Score(ReadOnlySpan<double> x, double tau, Span<double> score);

    /// <summary>
    /// s(x_r, τ) for every row x_r of <paramref name="rows"/> (contiguous rows of length d, e.g. a block of chains),
    /// all at one τ. Fields with a blocked kernel override it; a row's result must not depend on the other rows, so
    /// that runs reproduce for any split of chains into blocks. The default scores row by row.
    /// </summary>
    void ScoreRows(ReadOnlySpan<double> rows, double tau, Span<double> scores)
    {
        int d = Dimension;
        for (int r = 0; r < rows.Length / d; r++) Score(rows.Slice(r * d, d), tau, scores.Slice(r * d, d));
    }

    /// <summary>
    /// s(x_r, τ_r) for every row x_r of <paramref name="rows"/>, each at its own level τ_r = <paramref name="taus"/>[r]
    /// (e.g. a block of chains at their randomized midpoint levels). A field that overrides it must give every row
    /// exactly the bits <see cref="Score"/> gives it, so that a chain's output does not depend on whether it was scored
    /// alone or in a block. The default scores row by row.
    /// </summary>
    void ScoreRowsAt(ReadOnlySpan<double> rows, ReadOnlySpan<double> taus, Span<double> scores)
    {
        int d = Dimension;
        for (int r = 0; r < taus.Length; r++) Score(rows.Slice(r * d, d), taus[r], scores.Slice(r * d, d));
    }
}
