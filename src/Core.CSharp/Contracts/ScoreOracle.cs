
namespace RateLab.Core.Contracts;

/// <summary>
/// Wraps a score field and counts what the samplers ask of it: evaluations (NFE, one per point) and rounds (one per
/// call, however many points it carries), per chain. The cost a report shows is this count, never a sampler's claim.
/// Each chain is stepped by one thread at a time, so per-chain counters need no locking.
/// </summary>
public sealed class ScoreOracle
{
    readonly long[] evaluations, rounds;

    /// <summary>An oracle for <paramref name="chains"/> chains over <paramref name="field"/>.</summary>
    public ScoreOracle(IScoreField field, int chains)
    {
        Field = field ?? throw new ArgumentNullException(nameof(field));
        Validation.Guard.AtLeast(chains, 1, nameof(chains));
        evaluations = new long[chains];
        rounds = new long[chains];
    }

    /// <summary>The wrapped score.</summary>
    public IScoreField Field { get; }

    /// <summary>Dimension d.</summary>
    public int Dimension => Field.Dimension;

    /// <summary>Number of chains counted.</summary>
    public int Chains => evaluations.Length;

    /// <summary>One evaluation s(x, τ) for <paramref name="chain"/>: one NFE, one round.</summary>
    public void Evaluate(long chain, ReadOnlySpan<double> x, double tau, Span<double> score)
    {
        Field.Score(x, tau, score);
        evaluations[chain]++;
        rounds[chain]++;
    }

    /// <summary>
    /// Several points evaluated in one batched call (rows of length d, each at its own τ): as many NFE as rows, one
    /// round. This is how parallel-in-time samplers report their depth.
    /// </summary>
    public void EvaluateRows(long chain, ReadOnlySpan<double> rows, ReadOnlySpan<double> taus, Span<double> scores)
    {
        int n = taus.Length;
        if (n == 0) return;
        Field.ScoreRowsAt(rows, taus, scores);
        evaluations[chain] += n;
        rounds[chain]++;
    }

    /// <summary>
    /// One evaluation for each chain of a block in one batched call: row c of <paramref name="rows"/> is chain
    /// <paramref name="firstChain"/> + c, all at <paramref name="tau"/>. Each chain is counted one NFE and one round,
    /// exactly as if it had called <see cref="Evaluate"/> itself.
    /// </summary>
    public void EvaluateBlock(long firstChain, ReadOnlySpan<double> rows, double tau, Span<double> scores)
    {
        int d = Dimension, n = rows.Length / d;
        if (rows.Length != n * d)
            throw new ArgumentException($"rows.Length = {rows.Length} is not a multiple of d = {d}.", nameof(rows));
        Validation.Guard.Length(scores.Length, rows.Length, nameof(scores));
        if (firstChain < 0 || firstChain + n > Chains)
            throw new ArgumentOutOfRangeException(nameof(firstChain),
                $"chains {firstChain}…{firstChain + n - 1} are out of range; allowed: 0…{Chains - 1}.");
        Field.ScoreRows(rows, tau, scores);
        for (long c = firstChain; c < firstChain + n; c++) { evaluations[c]++; rounds[c]++; }
    }

    /// <summary>
    /// One evaluation for each chain of a block in one batched call, each at its own level: row c of
    /// <paramref name="rows"/> is chain <paramref name="firstChain"/> + c at τ = <paramref name="taus"/>[c]. Each chain
    /// is counted one NFE and one round, exactly as if it had called <see cref="Evaluate"/> itself.
    /// </summary>
    public void EvaluateBlockAt(long firstChain, ReadOnlySpan<double> rows, ReadOnlySpan<double> taus,
        Span<double> scores)
    {
        int d = Dimension, n = taus.Length;
        Validation.Guard.Length(rows.Length, n * d, nameof(rows));
        Validation.Guard.Length(scores.Length, rows.Length, nameof(scores));
        if (firstChain < 0 || firstChain + n > Chains)
            throw new ArgumentOutOfRangeException(nameof(firstChain),
                $"chains {firstChain}…{firstChain + n - 1} are out of range; allowed: 0…{Chains - 1}.");
        Field.ScoreRowsAt(rows, taus, scores);
        for (long c = firstChain; c < firstChain + n; c++) { evaluations[c]++; rounds[c]++; }
    }

    /// <summary>Evaluations made for one chain.</summary>
    public long Evaluations(long chain) => evaluations[chain];

    /// <summary>Sequential rounds of evaluations for one chain (parallel depth).</summary>
    public long Rounds(long chain) => rounds[chain];

    /// <summary>Total evaluations over all chains.</summary>
    public long TotalEvaluations { get { long s = 0; foreach (var e in evaluations) s += e; return s; } }

    /// <summary>Mean evaluations per chain.</summary>
    public double MeanEvaluations => (double)TotalEvaluations / Chains;

    /// <summary>Forgets all counts.</summary>
    public void Reset() { Array.Clear(evaluations); Array.Clear(rounds); }
}
