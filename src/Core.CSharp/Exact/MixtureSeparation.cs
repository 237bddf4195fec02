using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// A lower bound on TV(p, q̄) between a randomized kernel's output mixture p = E_ω N_ω and the mixed reference
/// q̄ = E_ω q_ω (q_ω = q unless the reference depends on the draw), by one separating event. For any event A,
/// TV(p, q̄) ≥ P_p(A) − P_q̄(A) = E_ω[P_{N_ω}(A) − P_{q_ω}(A)], and each term is a product-Gaussian probability
/// difference, exact up to a bounded numerical error (<see cref="ProductTotalVariation.Separation"/>). The event is
/// A = {p_G &gt; q}, with p_G the moment-matched law: where p is close to p_G it separates p from q̄ by nearly their TV,
/// so unlike H² it keeps TV's first order. The mean over draw replicates is a Monte Carlo estimate with its standard
/// error. A must not depend on the draws it is averaged over: with exact total moments (quadrature) p_G is fixed;
/// with moments estimated from the replicates, p_G comes from the even-numbered draws and the average runs over the
/// odd-numbered ones, so the estimate stays unbiased.
/// </summary>
public static class MixtureSeparation
{
    // Panels per term: the draws' standard error dwarfs an inversion error of 1e-6, which 128 panels reach even where
    // only four coordinates have unequal variances (the slowest tail), at an eighth of the cost of a full inversion.
    const int TermPanels = 128;

    /// <summary>The estimate of P_p(A) − P_q̄(A).</summary>
    /// <param name="Value">Mean over the evaluated draws.</param>
    /// <param name="StandardError">Its standard error over them.</param>
    /// <param name="NumericalError">The largest inversion error bound of a term (a bound on the mean's).</param>
    /// <param name="Draws">Draws averaged over.</param>
    /// <param name="SplitDraws">True when A came from the other half of the draws.</param>
    public sealed record Estimate(double Value, double StandardError, double NumericalError, int Draws, bool SplitDraws)
    {
        /// <summary>The lower bound with its standard error: the mean less the numerical error.</summary>
        public McEstimate Lower => new(Value - NumericalError, StandardError);
    }

    /// <summary>
    /// The estimate over the draw laws <paramref name="draws"/> (position marginals, whole laws) against their
    /// references <paramref name="references"/>; <paramref name="matched"/> is p_G when its moments are exact, null to
    /// match it on the even-numbered draws. Null when an inversion does not apply (see
    /// <see cref="ProductTotalVariation.Separation"/>) or fewer than two draws are left to average.
    /// </summary>
    public static Estimate? Of(IReadOnlyList<DiagonalLaw> draws, IReadOnlyList<DiagonalLaw> references,
        DiagonalLaw reference, DiagonalLaw? matched, int maxThreads = -1)
    {
        ArgumentNullException.ThrowIfNull(draws);
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(reference);
        Guard.Threads(maxThreads, nameof(maxThreads));
        if (references.Count != draws.Count)
            throw new ArgumentException($"references.Count = {references.Count} is out of range; allowed: draws.Count = {draws.Count}.", nameof(references));
        bool split = matched is null;
        var separating = matched ?? DiagonalLaw.MomentMatched([.. draws.Where((_, r) => r % 2 == 0)]);
        int[] used = [.. Enumerable.Range(0, draws.Count).Where(r => !split || r % 2 == 1)];
        if (used.Length < 2) return null;
        var terms = new ProductTotalVariation.Result?[used.Length];
        ParallelParts.For(used.Length, maxThreads,
            k => terms[k] = ProductTotalVariation.Separation(draws[used[k]], references[used[k]], separating, reference,
                TermPanels));
        if (terms.Any(t => t is null)) return null;
        // Summed in draw order, so the estimate does not depend on the thread count.
        double mean = 0, numerical = 0;
        foreach (var t in terms) (mean, numerical) = (mean + t!.Value.Value, Math.Max(numerical, t.Value.Error));
        mean /= used.Length;
        double squares = 0;
        foreach (var t in terms) squares += (t!.Value.Value - mean) * (t.Value.Value - mean);
        double se = Math.Sqrt(squares / (used.Length - 1) / used.Length);
        return new Estimate(mean, se, numerical, used.Length, split);
    }
}
