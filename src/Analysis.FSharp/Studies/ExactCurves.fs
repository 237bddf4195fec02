/// Error figures from the exact Gaussian analysis, each labelled with what it is: the quantity itself or a bound on it
/// (and from which side), and how it was evaluated (closed form, quadrature/enumeration, or Monte Carlo over draw
/// replicates with a standard error).
module RateLab.Analysis.Studies.ExactCurves

open RateLab.Core.Exact
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Stats

/// Whether a figure is the error itself or bounds it, and from which side.
type Bound =
    | Exact
    | UpperBound
    | LowerBound

/// How a figure was computed.
type Evaluation =
    /// A closed form of Gaussian laws propagated exactly (no randomness involved).
    | ClosedForm
    /// Exact expectations over each step's draws by Gauss–Legendre quadrature or by enumerating Bernoulli patterns.
    | QuadratureOrEnumeration
    /// A mean (or a function of means) over this many independent draw replicates, with a standard error.
    | MonteCarlo of replicates: int

/// The unit a figure is measured in.
type FigureUnit =
    | Nats
    /// The length unit of the target's coordinates (W2 is a distance between points).
    | TargetLength
    | Dimensionless

/// One labelled figure of an exact analysis.
type Figure =
    { Metric: MetricKind
      Estimate: Estimate
      Bound: Bound
      Evaluation: Evaluation }


/// An exact value: no standard error, a zero-width interval (printed as the value alone).
let exactEstimate v =
    { Value = v
      Lower = v
      Upper = v
      StdError = nan
      Level = 0.95 }

/// A Monte Carlo estimate with its normal-approximation 95% interval.
let mcEstimate (e: McEstimate) =
    let half = Normal.z975 * e.StandardError

    { Value = e.Value
      Lower = e.Value - half
      Upper = e.Value + half
      StdError = e.StandardError
      Level = 0.95 }

/// The unit of a metric.
let unitOf metric =
    match metric with
    | ExactKl
    | KlUpper
    | KlLower -> Nats
    | ExactW2
    | W2Upper
    | W2Lower
    | StrongError -> TargetLength
    | TvUpper
    | TvLower
    | SampleMetric _ -> Dimensionless

/// The side a metric bounds the error from (every figure of the exact analysis has one).
let boundOf metric =
    match metric with
    | KlUpper
    | W2Upper
    | TvUpper -> UpperBound
    | KlLower
    | W2Lower
    | TvLower -> LowerBound
    | ExactKl
    | ExactW2
    | StrongError
    | SampleMetric _ -> Exact

// A distance is ≥ 0 and a TV ≤ 1: an interval clipped to that range keeps its coverage.
let private clipped metric (e: Estimate) =
    let top = if unitOf metric = Dimensionless then 1.0 else infinity

    { e with
        Lower = max 0.0 e.Lower
        Upper = min top e.Upper }

let private figure metric evaluation estimate =
    { Metric = metric
      Estimate = clipped metric estimate
      Bound = boundOf metric
      Evaluation = evaluation }

/// The figures of one exact analysis. A deterministic kernel's law is exact, so KL and W2 are exact and TV is
/// bracketed in closed form (equal ends when TV has a closed form). A randomized kernel gets the convexity upper bounds
/// (Monte Carlo over R draw replicates) and the moment-matched lower bounds: exact when quadrature or enumeration gave
/// the moments, otherwise Monte Carlo with the jackknife standard error of the engine; and the separating-event TV
/// lower bound where the analysis computed it (ExactOptions.SeparationBound).
let figures (r: ExactResult) : Figure list =
    let m = r.MomentMatched

    if not r.Randomized then
        [ figure ExactKl ClosedForm (exactEstimate m.Kl)
          figure ExactW2 ClosedForm (exactEstimate m.W2)
          figure TvUpper ClosedForm (exactEstimate m.TvUpper)
          figure TvLower ClosedForm (exactEstimate m.TvLower) ]
    else
        let replicates = MonteCarlo r.Upper.Replicates
        let upper = r.Upper

        let klLower, w2Lower, lowerEvaluation =
            match r.LowerError with
            | null -> exactEstimate m.Kl, exactEstimate m.W2, QuadratureOrEnumeration
            | e -> mcEstimate e.Kl, mcEstimate e.W2, MonteCarlo e.Replicates

        [ figure KlUpper replicates (mcEstimate upper.Kl)
          figure KlLower lowerEvaluation klLower
          figure W2Upper replicates (mcEstimate (McEstimate(upper.W2, upper.W2StandardError)))
          figure W2Lower lowerEvaluation w2Lower
          figure TvUpper replicates (mcEstimate upper.TvUpper)
          match r.Separation with
          | null -> ()
          | s -> figure TvLower (MonteCarlo s.Draws) (mcEstimate s.Lower) ]

/// The metrics one exact analysis yields with their estimates (see `figures` for their labels).
let metrics (r: ExactResult) : (MetricKind * Estimate) list =
    figures r |> List.map (fun f -> f.Metric, f.Estimate)

/// "exact", "upper bound" or "lower bound".
let boundText b =
    match b with
    | Exact -> "exact"
    | UpperBound -> "upper bound"
    | LowerBound -> "lower bound"

/// "closed form", "quadrature or enumeration" or "Monte Carlo over R replicates".
let evaluationText e =
    match e with
    | ClosedForm -> "closed form"
    | QuadratureOrEnumeration -> "quadrature or enumeration"
    | MonteCarlo r -> $"Monte Carlo over {r} replicates"

/// "nats", "target length unit" or "dimensionless".
let unitText u =
    match u with
    | Nats -> "nats"
    | TargetLength -> "target length unit"
    | Dimensionless -> "dimensionless"

/// How NFE was counted: exact for a deterministic kernel, a mean over the replicate chains otherwise.
let nfeText (r: ExactResult) =
    if r.Randomized then
        $"mean over {r.Upper.Replicates} chains"
    else
        "count of one chain"

/// How a figure was obtained, in one sentence, for an error curve's Method.
let describe (r: ExactResult) (f: Figure) =
    let what =
        match f.Bound with
        | Exact -> "the exact value"
        | UpperBound -> "an upper bound"
        | LowerBound -> "a lower bound"

    let how =
        match f.Bound, f.Evaluation with
        | Exact, _ ->
            "the sampler is affine on a Gaussian target, so its output law is Gaussian and was propagated exactly"
        | LowerBound, ClosedForm ->
            "TV between the exact Gaussian laws from below: the best of H², the exact TV of the block of identical "
            + "coordinates farthest apart, and the whole law's TV by characteristic-function inversion less its error "
            + "bound (up to 4096 distinct coordinates); the exact TV where it has a closed form (one coordinate, or "
            + "equal variances)"
        | _, ClosedForm ->
            "TV between the exact Gaussian laws is bracketed by the Hellinger sandwich, Pinsker and Bretagnolle–Huber; "
            + "both ends are equal where TV has a closed form (one coordinate, or equal variances)"
        | UpperBound, _ ->
            "by convexity, the mean over draw replicates of the exact per-draw Gaussian laws' distances; "
            + "± is its standard error and the interval is 95% (normal approximation)"
        | LowerBound, MonteCarlo _ when f.Metric = TvLower ->
            let half =
                match r.Separation with
                | NonNull s when s.SplitDraws ->
                    "from the even-numbered draw replicates, averaged over the odd-numbered ones"
                | _ -> "with exact total moments, averaged over the draw replicates"

            "P_p(A) − P_q̄(A) for the event A = {p_G > q} of the moment-matched Gaussian p_G ("
            + half
            + "), each draw's term by characteristic-function inversion less its error bound; ± is the standard error "
            + "over the draws and the interval is 95%"
        | LowerBound, MonteCarlo _ ->
            "the moment-matched Gaussian with total moments estimated from the replicates; ± is a jackknife "
            + "standard error (inflated by the jackknife bias, since a plug-in divergence near zero is biased upward "
            + "by the moments' noise) and the interval is 95%"
        | LowerBound, _ -> "the moment-matched Gaussian with exact total moments"

    let name = MetricNames.toName f.Metric
    $"{name} is {what} ({evaluationText f.Evaluation}, in {unitText (unitOf f.Metric)}): {how}. NFE is the {nfeText r}."
