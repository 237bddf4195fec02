using RateLab.Core.Numerics;

namespace RateLab.Core.Exact;

/// <summary>
/// Distances from a Gaussian law P to a reference Q, both products over the same reduced coordinates: KL(P‖Q),
/// W₂ (Bures), H² = 1 − BC, and TV — exact when a closed form exists (one coordinate, or equal covariances), otherwise
/// bracketed. From below by the best of the Hellinger sandwich, the TV of the block of identical coordinates farthest
/// apart, and, where the sums carry it, the inverted TV of the whole law less its error bound
/// (<see cref="ProductTotalVariation"/>; TV = 1 when P has a point mass). From above by the best of Pinsker,
/// Bretagnolle–Huber and the sandwich. The sandwich's H² is of second order in a small discrepancy while TV is of first
/// order, so on near-converged laws the block's TV is the lower bound that keeps TV's order, and the inverted TV the one
/// that meets the upper bound. The upper bound does not use the inversion: a cached upper figure stays what it was.
/// </summary>
public sealed record LawDistances(double Kl, double W2, double Hellinger2, double TvLower, double TvUpper, double? TvExact)
{
    /// <summary>All distances from <paramref name="p"/> to <paramref name="q"/>.</summary>
    public static LawDistances Between(DiagonalLaw p, DiagonalLaw q) => From(DistanceSums.Of(p, q, productTv: true));

    /// <summary>All distances from the coordinate sums of P against Q (possibly added up over blocks).</summary>
    public static LawDistances From(DistanceSums sums)
    {
        double kl = sums.Kl, w2 = Math.Sqrt(sums.W2Squared);
        double h2 = -StableMath.Expm1(sums.LogBhattacharyya);
        var (lower, sandwichUpper) = GaussianDistances.HellingerSandwich(h2);
        double upper = Math.Min(1, Math.Min(sandwichUpper,
            Math.Min(GaussianDistances.PinskerBound(kl), GaussianDistances.BretagnolleHuberBound(kl))));
        // A point mass against a density is singular: TV = 1.
        double? exact = sums.PointMass ? 1.0
            : sums.OneDimensionalTv ?? (sums.EqualVariances ? GaussianDistances.TvFromMahalanobis(sums.Mahalanobis2) : null);
        double bestLower = Math.Max(Math.Max(lower, sums.FarthestTvLower), sums.ProductTv?.Lower ?? 0);
        return new LawDistances(kl, w2, h2, exact ?? bestLower, exact ?? upper, exact);
    }
}
/// <summary>A Monte Carlo mean over draw replicates and its standard error (0 when exact).</summary>
public readonly record struct McEstimate(double Value, double StandardError);

/// <summary>
/// Upper bounds on the distances of the output mixture p = E_ω N(μ_ω, S_ω) to the reference, by convexity
/// (docs/background.md): KL(p‖q) ≤ E_ω KL, W₂(p, q)² ≤ E_ω W₂², TV(p, q) ≤ E_ω TV (each TV by its best upper bound).
/// </summary>
public sealed record MixtureBounds(McEstimate Kl, McEstimate W2Squared, McEstimate TvUpper, int Replicates)
{
    /// <summary>(E_ω W₂²)^½.</summary>
    public double W2 => Math.Sqrt(W2Squared.Value);
    /// <summary>Delta-method standard error of <see cref="W2"/>: SE(E W₂²) / (2 W₂).</summary>
    public double W2StandardError => W2 > 0 ? W2Squared.StandardError / (2 * W2) : 0;
}

/// <summary>
/// What the exact analysis says about a sampler run of <see cref="Steps"/> steps on a Gaussian problem.
/// </summary>
/// <param name="Sampler">Kernel name.</param>
/// <param name="Steps">Steps analysed.</param>
/// <param name="Randomized">Whether the kernel draws scalar uniforms (otherwise its output law is exactly Gaussian).</param>
/// <param name="Upper">Mixture upper bounds (exact values with zero error for deterministic kernels).</param>
/// <param name="MomentMatched">Distances of the moment-matched Gaussian p_G: KL is a lower bound on KL(p‖q)
/// (Pythagorean identity), W₂ is Gelbrich's lower bound; exact output distances for deterministic kernels.</param>
/// <param name="MomentsExact">True when p_G's moments are exact (deterministic kernel, quadrature or enumeration);
/// false when they are Monte Carlo estimates (then the KL lower bound is biased upward by their noise, and
/// <see cref="LowerError"/> gives the bounds' standard errors).</param>
/// <param name="Law">The law of the state blocks behind <see cref="MomentMatched"/> (reduced coordinates).</param>
/// <param name="Evaluations">Mean score evaluations per chain (NFE), counted by the oracle, of chains 0 … R − 1 of the
/// real run with the analysis seed (R replicates; chain 0 alone for a deterministic kernel).</param>
/// <param name="Rounds">Mean sequential rounds of those chains.</param>
public sealed record ExactResult(string Sampler, long Steps, bool Randomized, MixtureBounds Upper,
    LawDistances MomentMatched, bool MomentsExact, GaussianState Law, double Evaluations, double Rounds)
{
    /// <summary>Standard errors of the moment-matched lower bounds when <see cref="MomentsExact"/> is false (their
    /// moments are Monte Carlo estimates over the replicates); null when they are exact.</summary>
    public MatchedJackknife? LowerError { get; init; }

    /// <summary>The separating-event lower bound on a randomized kernel's mixture TV (<see cref="MixtureSeparation"/>),
    /// when <see cref="ExactOptions.SeparationBound"/> asked for it and it applies; null otherwise.</summary>
    public MixtureSeparation.Estimate? Separation { get; init; }

    /// <summary>
    /// Throws <see cref="BoundsContradictionException"/> when a lower bound (KL, W₂, and TV where computed) exceeds its
    /// upper bound beyond their standard errors. Callers that report bounds must check; callers that only need the law
    /// need not (a Monte Carlo upper bound that missed rare draws does not make the law wrong).
    /// </summary>
    public void CheckBounds()
    {
        if (!Randomized) return;
        BoundsContradictionException.Check(Sampler, Steps, "KL", LowerError?.Kl ?? new McEstimate(MomentMatched.Kl, 0),
            Upper.Kl);
        BoundsContradictionException.Check(Sampler, Steps, "W2", LowerError?.W2 ?? new McEstimate(MomentMatched.W2, 0),
            new McEstimate(Upper.W2, Upper.W2StandardError));
        if (Separation is { } separation) BoundsContradictionException.Check(Sampler, Steps, "TV", separation.Lower, Upper.TvUpper);
    }
}
