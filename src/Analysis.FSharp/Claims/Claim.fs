/// A convergence claim from theory-claims.md as typed data. Exponents are stored exactly as the tables print them
/// (ε and N exponents negative: cost ∝ ε^(−2/3) is stored as −2/3); Verdicts converts them to the fit's conventions.
module RateLab.Analysis.Claims.Claim

/// Provenance grade (theory-claims §0).
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
    /// Error after N steps: error ∝ d^a · N^s (a prediction for a specific target, §6).
    | ErrorDecay
    /// No exponent to fit (comparisons, existence results, empirical claims).
    | Qualitative

/// Which cost a cost bound counts.
type CostMeasure =
    /// Score/gradient evaluations.
    | Evaluations
    /// Sequential rounds of evaluations (parallel depth, §4.11).
    | Rounds

/// One term of a complexity or error expression; None where the source gives no exponent.
type Term =
    { D: float option
      Epsilon: float option
      Conditioning: float option
      Steps: float option }

/// One registry entry.
type Claim =
    { /// Row number in theory-claims.md, e.g. "B1", "A6'", or "S1" for the §6 predictions.
      Id: string
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
      /// What an experiment measures to test it, and how.
      Measured: string
      Source: string
      /// The weakest of ExponentGrades (checked on load), so no unverified number is presented as the paper's.
      Grade: Grade
      ExponentGrades: ExponentGrades
      /// The grade text of theory-claims.md, which may grade parts differently.
      GradeDetail: string
      /// Where d-scaling holds by construction (theory-claims §4.3), so a d-exponent measured there tests nothing.
      ProductTarget: string }
