/// A convergence claim as typed data: what the paper states (exponents, log factors, metric, provenance) and how RateLab
/// tests it (sampler and target from the catalog, the metrics it measures with the direction of their evidence, the
/// experiment grid). Exponents are stored as the papers print them (ε and N exponents negative: cost ∝ ε^(−2/3) is
/// stored as −2/3); the schema is documented in docs/claims.md.
module RateLab.Analysis.Claims.Claim

open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits

/// Provenance grade of a stated number.
type Grade =
    /// Read in the primary source.
    | Verified
    /// Derived, or filled in to agree with secondary sources.
    | Reconstructed
    /// Only seen in secondary sources, or recalled.
    | Unverified

/// The grade of each stated exponent; None exactly where no term states that exponent.
type ExponentGrades =
    { D: Grade option
      Epsilon: Grade option
      Conditioning: Grade option
      Steps: Grade option }

/// What kind of statement the claim makes.
type ClaimForm =
    /// Cost to reach accuracy ε: N* ∝ d^a · ε^e · (κ or L)^c (a bound: the true cost may grow more slowly).
    | CostBound
    /// Error after N steps: error ∝ d^a · N^s (a prediction for a specific target).
    | ErrorDecay
    /// No exponent to fit (comparisons, existence results, empirical claims); tested by a dedicated study.
    | Qualitative

/// Which cost a cost bound counts.
type CostMeasure =
    /// Score/gradient evaluations.
    | Evaluations
    /// Sequential rounds of evaluations (parallel depth).
    | Rounds

/// One term of a complexity or error expression; None where the source gives no exponent.
type Term =
    { D: float option
      Epsilon: float option
      Conditioning: float option
      Steps: float option }

/// In which direction a metric's evidence on the claimed error points.
type EvidenceDirection =
    /// The claimed error itself (exact): two-sided evidence.
    | ExactValue
    /// An upper bound on the claimed error (e.g. E_draws KL, a TV bound): can show "consistent", never "violates".
    | UpperBoundOnError
    /// A lower bound on the claimed error (e.g. moment-matched KL): can show "violates", never "consistent".
    | LowerBoundOnError

/// One measured metric of a test, with the direction of its evidence on the claimed metric.
type Evidence =
    { Metric: MetricKind
      Direction: EvidenceDirection }

/// How ε relates to the error threshold of an N* search.
type Threshold =
    /// error ≤ ε.
    | Absolute
    /// error ≤ ε·√d (relative accuracy, e.g. W2 ≤ ε√(d/m) with m = 1).
    | RelativeSqrtD

/// The experiment grid of a test in one profile.
type Grid =
    {
        Dimensions: int list
        /// Cost claims: the largest ε; ε is halved Levels − 1 times.
        Epsilon: float
        Levels: int
        /// Cost claims: the step-count search range; decay claims: the first step count, doubled Levels − 1 times.
        MinSteps: int
        MaxSteps: int
        /// Step counts searched are multiples of this (e.g. Li–Jiao's K | 2T).
        StepMultiple: int
        /// Draw replicates behind a randomized sampler's E_draws bounds.
        Replicates: int
        Seed: uint64
        /// The values of the test's swept target parameter (κ or L), empty for a test without a sweep.
        Values: float list
    }

/// How RateLab tests the claim on one sampler and target from the catalog.
type ClaimTest =
    {
        Sampler: Component
        Target: Component
        /// The measured metrics; every one must point in a direction the claim's metric allows.
        Evidence: Evidence list
        /// Which term of the claim this regime tests (0-based).
        Term: int
        Threshold: Threshold
        /// A target parameter that sets the claim's conditioning (κ or L), swept over the grid's Values at one d and
        /// one ε, so the conditioning exponent is fitted; None for a (d, ε) test.
        Sweep: string option
        Quick: Grid
        Full: Grid
        /// Why this set-up, in words (shown in the report).
        Setup: string
    }

/// One registry entry.
type Claim =
    {
        /// Row id, e.g. "B1", "A6'", or "S1" for the predictions on Gaussian data.
        Id: string
        /// The sampler as the paper names it.
        Sampler: string
        /// The metric the claim bounds, e.g. "TV", "W2 (absolute)", "KL".
        Metric: string
        Assumptions: string
        Form: ClaimForm
        /// The complexity or prediction as printed.
        Statement: string
        CostMeasure: CostMeasure option
        /// "kappa" or "L": what the Conditioning exponent refers to.
        ConditioningSymbol: string option
        /// Several terms for sums such as κ√d/ε + κ^{4/3}d^{1/3}/ε^{2/3}; each dominates in its own regime.
        Terms: Term list
        /// The bound's explicit logarithmic factor, where the theorem states one, e.g. Li–Jiao's
        /// T ≳ L d^{1/3} ε^{−2/3} log^{8/3} T or O(log²(d/ε)) rounds.
        LogFactor: LogFactor option
        /// Equivalence margin in exponent units; None uses Verdicts.defaultMargin.
        Margin: float option
        /// What an experiment measures to test it, and how.
        Measured: string
        Source: string
        /// The weakest of ExponentGrades (checked on load), so no unverified number is presented as the paper's.
        Grade: Grade
        ExponentGrades: ExponentGrades
        GradeDetail: string
        /// Where d-scaling holds by construction, so a d-exponent measured there tests nothing.
        ProductTarget: string
        /// How RateLab tests the claim by the generic engine; empty for claims tested by a dedicated study.
        Tests: ClaimTest list
    }

/// The grid of a test for a profile.
let gridOf (profile: Profile) (t: ClaimTest) =
    match profile with
    | Quick -> t.Quick
    | Full -> t.Full

/// The direction of the evidence a metric can give on a claim stated in `claimed` (the metric's own family): an exact
/// metric is exact evidence, an upper (lower) bound is upper (lower) evidence. Cross-family evidence (e.g. a TV upper
/// bound for a KL claim) must be declared by the claim; this is the default.
let naturalDirection (m: MetricKind) =
    match m with
    | ExactKl
    | ExactW2 -> ExactValue
    | KlUpper
    | W2Upper
    | TvUpper -> UpperBoundOnError
    | KlLower
    | W2Lower
    | TvLower -> LowerBoundOnError
    | StrongError -> UpperBoundOnError
    | SampleMetric _ -> ExactValue
