/// The result records that flow from experiments through fits and verdicts into the report. The report renders only
/// these; nothing downstream reaches back into samplers.
module RateLab.Analysis.Model.Records

/// A value with a two-sided confidence interval at level Level (e.g. 0.95).
type Estimate =
    {
        Value: float
        Lower: float
        Upper: float
        /// Standard error when it exists (NaN for exact values).
        StdError: float
        Level: float
    }

/// How an error value was obtained; every number in a report names one of these.
type MetricKind =
    /// Exact KL of a Gaussian law (deterministic sampler on a Gaussian target).
    | ExactKl
    /// E_draws KL of the per-draw Gaussian laws: an upper bound on the output law's KL (convexity).
    | KlUpper
    /// KL of the moment-matched Gaussian: a lower bound on the output law's KL (Pythagorean identity).
    | KlLower
    /// Exact W2 between Gaussians (Bures).
    | ExactW2
    /// Upper bound on W2 by (E_draws W2²)^½.
    | W2Upper
    /// Gelbrich lower bound on W2 from the first two moments.
    | W2Lower
    /// Upper bound on TV (Pinsker or Bretagnolle–Huber, whichever is smaller, or the Hellinger sandwich).
    | TvUpper
    /// Lower bound on TV (Hellinger sandwich).
    | TvLower
    /// RMS pathwise error against a coupled reference run on the same noise.
    | StrongError
    /// A sample-based metric, estimated with a standard error.
    | SampleMetric of name: string

/// One point of an error curve: a cost and the error measured at that cost.
type ErrorPoint =
    {
        /// Step count or grid size of the run.
        Steps: int
        /// Step size h where it applies (NaN otherwise).
        StepSize: float
        /// Score/gradient evaluations per chain, counted by the oracle (mean over chains for random NFE).
        Nfe: float
        /// Sequential rounds of evaluations (parallel depth), NaN where not applicable.
        Depth: float
        Error: Estimate
    }

/// An error curve of one sampler on one target under one metric.
type ErrorCurve =
    {
        Sampler: string
        /// Parameters of the sampler as name/value pairs, for the record.
        Parameters: (string * string) list
        Target: string
        Dimension: int
        Metric: MetricKind
        Seeds: uint64 list
        Points: ErrorPoint list
        /// One sentence on how the numbers were obtained.
        Method: string
    }

/// A least-squares fit of log y on regressors, with confidence intervals on every coefficient.
type FitResult =
    {
        /// Names of the regressors, e.g. ["log d"; "log(1/eps)"] or ["log N"].
        Regressors: string list
        Intercept: Estimate
        /// One estimate per regressor, in order.
        Slopes: Estimate list
        /// Indices (into the input points) used by the fit.
        Window: int list
        /// The rule that chose the window, in words.
        WindowRule: string
        Residuals: float list
        /// (input index, reason in words) of every input point the fit left out, so a report can say why.
        Excluded: (int * string) list
        /// How the intervals were obtained (bootstrap kind, replicates, level).
        IntervalMethod: string
    }

/// The verdicts of a claim against measured evidence (rules in Claims/Verdicts.fs and docs/claims.md).
type Verdict =
    /// Two-sided evidence within the equivalence margin of the claimed exponent.
    | ConsistentTight
    /// Evidence that the true rate is faster than claimed by more than the margin.
    | ConsistentFaster
    /// One-sided evidence (an upper bound on the error) no slower than claimed; tightness is not tested.
    | Consistent
    /// Evidence that the true rate is slower than claimed by more than the margin.
    | ViolatesBound
    | Inconclusive
    /// A measurement that no published claim states a rate for: reported, not judged.
    | NoPublishedClaim
    /// A section of a `--cached-only` report whose computations are not all in the cache yet: nothing was measured,
    /// so nothing is judged.
    | NotComputed

/// Verdict names as results.json and CSS classes spell them; one table, read both ways.
module VerdictNames =
    let private names =
        [ ConsistentTight, "consistent_tight"
          ConsistentFaster, "consistent_faster"
          Consistent, "consistent"
          ViolatesBound, "violates_bound"
          Inconclusive, "inconclusive"
          NoPublishedClaim, "no_published_claim"
          NotComputed, "not_computed" ]

    let toName (v: Verdict) =
        names |> List.find (fst >> (=) v) |> snd

    let tryParse (s: string) =
        names |> List.tryFind (snd >> (=) s) |> Option.map fst
