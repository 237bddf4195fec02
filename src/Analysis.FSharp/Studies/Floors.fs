/// Floors below which a measured error says nothing about the discretisation, computed per case rather than guessed:
/// the start-law floor of probability-flow samplers on Gaussian data (closed form), the float64 floor of a Gaussian
/// divergence, and the Monte Carlo floor (three standard errors). A point within `Factor` of its floor is excluded from
/// fits, and the report says which and why.
module RateLab.Analysis.Studies.Floors

open System
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies

/// A point whose error is within this factor of its floor is not fitted.
[<Literal>]
let Factor = 10.0

/// The floors of one curve, one per point, with the sentence that says how they were obtained.
type CurveFloors =
    { Values: float[]; Description: string }

/// float64 knows a variance ratio to ≈ 2.2e-16 per coordinate, so a Gaussian KL below ≈ d·(2.2e-16)² and a W2 or TV
/// below ≈ √d·2.2e-16 (in the units of the target's scale) is round-off.
let numeric (metric: MetricKind) (d: int) =
    let eps = 2.220446049250313e-16

    match metric with
    | ExactKl
    | KlUpper
    | KlLower -> float d * eps * eps
    | ExactW2
    | W2Upper
    | W2Lower
    | StrongError
    | TvUpper
    | TvLower -> sqrt (float d) * eps
    | SampleMetric _ -> 0.0

/// Samplers whose continuous limit is the probability-flow ODE: the ODE maps N(0, λ_T) to N(0, λ_δ) by the scale
/// √(λ_δ/λ_T), so starting at N(0, 1) instead of q_T leaves the output variance λ_δ/λ_T per coordinate.
let private probabilityFlow =
    set
        [ "ddim"
          "dpm-solver-1"
          "dpm-solver-2"
          "exp-euler"
          "pf-euler"
          "heun"
          "gupta-predictor" ]

/// The start-law floor of a probability-flow sampler on Gaussian data with the catalog's log-SNR grid: KL and W2
/// between the exact flow's output from N(0, I) and q_δ. None where no closed form is used here.
let startLaw (sampler: Component) (target: Component) (metric: MetricKind) (d: int) : float option =
    let ddimEta =
        match Map.tryFind "eta" sampler.Parameters with
        | Some(Number e) -> e
        | _ -> 0.0

    let start = Catalog.diffusionStart sampler

    if
        not (probabilityFlow.Contains sampler.Name)
        || ddimEta <> 0.0
        || target.Name <> "gaussian-data"
        || start = Catalog.ExactTop
    then
        None
    else
        let problem = Catalog.gaussianProblem target d
        let tauMax = GridChoice.top sampler
        let tauMin = GridChoice.bottom sampler
        // λ_t = ᾱ λ + τ with ᾱ = 1 − τ; from N(0, s²) the output variance ratio to q_δ is r = s²/λ_T, where s² is 1,
        // or τ_T for k-diffusion's σ_max-scaled start.
        let s2 = if start = Catalog.SigmaMaxScaled then tauMax else 1.0

        let ratios =
            problem.Variance |> Array.map (fun l -> s2 / ((1.0 - tauMax) * l + tauMax))

        match metric with
        | ExactKl
        | KlUpper
        | KlLower -> Some(ratios |> Array.sumBy (fun r -> 0.5 * (r - 1.0 - log r)))
        | ExactW2
        | W2Upper
        | W2Lower ->
            let lambdaDelta =
                problem.Variance |> Array.map (fun l -> (1.0 - tauMin) * l + tauMin)

            Some(
                sqrt (
                    Array.map2 (fun ld r -> ld * (sqrt r - 1.0) ** 2.0) lambdaDelta ratios
                    |> Array.sum
                )
            )
        | _ -> None

/// The floors of a measured curve of `sampler` on `target`: per point the larger of the start-law and float64 floors
/// (deterministic) and, for estimates, three standard errors (Monte Carlo).
let ofCurve (sampler: Component) (target: Component) (curve: ErrorCurve) : CurveFloors =
    let start = startLaw sampler target curve.Metric curve.Dimension
    let num = numeric curve.Metric curve.Dimension
    let deterministic = max num (defaultArg start 0.0)

    let startText =
        match start with
        | Some s ->
            $"the start-law floor {s:g3} (the exact probability-flow output from N(0, I) against q_δ, closed form)"
        | None when target.Name <> "gaussian-data" -> "no start-law floor (chains start at the target)"
        | None when Catalog.diffusionStart sampler = Catalog.ExactTop ->
            "no start-law floor (start = exact: the chain starts at q_T itself)"
        | None -> "no closed-form start-law floor for this sampler (not computed)"

    { Values = curve.Points |> List.map (fun _ -> deterministic) |> Array.ofList
      Description =
        $"Floors: {startText}; float64 {num:g2}. A point is not fitted when its error is within {Factor:g}× of the deterministic floor or below three standard errors (estimates)." }

/// The float64 floor alone, for curves with no start law (coupled strong errors, gaps between two exact laws).
let numericOnly (curve: ErrorCurve) : CurveFloors =
    let num = numeric curve.Metric curve.Dimension

    { Values = curve.Points |> List.map (fun _ -> num) |> Array.ofList
      Description = $"Floors: float64 {num:g2}; Monte Carlo 3 standard errors where the value is an estimate." }

/// The level at or below which each point is not fitted: Factor × the deterministic floor, or 3 SE for an estimate.
let limits (floors: CurveFloors) (curve: ErrorCurve) =
    curve.Points
    |> List.mapi (fun i p ->
        max
            (Factor * floors.Values.[i])
            (if Double.IsNaN p.Error.StdError then
                 0.0
             else
                 3.0 * p.Error.StdError))
    |> Array.ofList

/// The floors to hand the fit window rule, which drops points within its own FloorFactor of them: the limits above
/// divided by that factor, so exactly the points at or below the limits are dropped.
let forWindow (floors: CurveFloors) (curve: ErrorCurve) =
    limits floors curve
    |> Array.map (fun l -> l / RateLab.Analysis.Fits.FitWindow.defaultRule.FloorFactor)
