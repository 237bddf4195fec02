/// Error curves from the exact Gaussian analysis: one exact evaluation per grid point, no Monte Carlo over states.
module RateLab.Analysis.Studies.ExactCurves

open RateLab.Core.Exact
open RateLab.Analysis.Model.Records

/// An exact value (no interval).
let exactEstimate v = { Value = v; Lower = v; Upper = v; StdError = nan; Level = 0.95 }

/// A Monte Carlo estimate with a normal-approximation 95% interval.
let mcEstimate (e: McEstimate) =
    let half = 1.959963984540054 * e.StandardError
    { Value = e.Value; Lower = e.Value - half; Upper = e.Value + half; StdError = e.StandardError; Level = 0.95 }

/// The metrics one exact analysis yields, each with its kind: exact values for deterministic kernels, the
/// convexity upper bound (Monte Carlo over draws, with its interval) and the moment-matched lower bound otherwise.
let metrics (r: ExactResult) : (MetricKind * Estimate) list =
    if not r.Randomized then
        [ ExactKl, exactEstimate r.MomentMatched.Kl
          ExactW2, exactEstimate r.MomentMatched.W2
          TvUpper, exactEstimate r.MomentMatched.TvUpper
          TvLower, exactEstimate r.MomentMatched.TvLower ]
    else
        let w2 = r.Upper.W2
        let w2Se = r.Upper.W2StandardError
        [ KlUpper, mcEstimate r.Upper.Kl
          KlLower, exactEstimate r.MomentMatched.Kl
          W2Upper, { Value = w2; Lower = w2 - 1.96 * w2Se; Upper = w2 + 1.96 * w2Se; StdError = w2Se; Level = 0.95 }
          W2Lower, exactEstimate r.MomentMatched.W2
          TvUpper, mcEstimate r.Upper.TvUpper ]

/// How a metric of the exact analysis was obtained, in one sentence.
let describe (randomized: bool) (replicates: int) (momentsExact: bool) =
    if not randomized then
        "Exact: the sampler is affine on a Gaussian target, so its output law is Gaussian and was propagated in closed form (no Monte Carlo)."
    else
        let lower =
            if momentsExact then "the moment-matched lower bound uses exact total moments (Gauss–Legendre quadrature over each step's uniform, or enumeration of Bernoulli patterns)"
            else "the moment-matched lower bound uses total moments estimated from the same replicates (biased upward by their noise)"
        $"Randomized sampler: the upper bound E_draws[KL] (by convexity) is a Monte Carlo mean over {replicates} draw replicates of the exact per-draw Gaussian law, with a 95%% interval; {lower}."
