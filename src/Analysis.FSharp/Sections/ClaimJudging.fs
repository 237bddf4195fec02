/// What every test of the generic claim check shares: the spec of a test and metric, its points through the cache,
/// the judgement of a fit's exponents against the claim's term, brackets of an upper and a lower bound on the same
/// error, and a test's outcome.
module RateLab.Analysis.Sections.ClaimJudging

open System
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Claims.Claim
open RateLab.Analysis.Studies
open RateLab.Analysis.Plots
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Sections.SectionKit

/// ε_k = ε₀·2^(−k), k = 0 … levels − 1.
let epsilons (eps0: float) (levels: int) =
    List.init levels (fun k -> eps0 / 2.0 ** float k)

let private directionText d =
    match d with
    | ExactValue -> "exact"
    | UpperBoundOnError -> "upper bound"
    | LowerBoundOnError -> "lower bound"

/// An evidence metric as rows and captions name it: the metric and its direction; a sample metric is the claimed
/// quantity but measured by Monte Carlo, so it is called an estimate, not exact.
let evidenceLabel (ev: Evidence) =
    let how =
        match ev.Metric, ev.Direction with
        | SampleMetric _, ExactValue -> "Monte Carlo estimate"
        | _, d -> directionText d

    $"{MetricNames.toName ev.Metric} ({how})"

/// The spec of one test and metric: the claim's sampler and target with the grid's replicates and seed.
let specOf (profile: Profile) (c: Claim) (t: ClaimTest) (metric: MetricKind) : ExperimentSpec =
    let g = gridOf profile t
    let id = c.Id.Replace("'", "prime")

    { Name = slug $"claim-{id}-{t.Sampler.Name}-{MetricNames.toName metric}"
      Sampler = t.Sampler
      Target = t.Target
      Dimensions = g.Dimensions
      Metric = metric
      Steps = [ g.MinSteps ]
      Chains = g.Replicates
      Seeds = [ g.Seed ]
      Profile = profile
      Claims = [ c.Id ] }

/// One point through the report's cache: the spec's metric after n steps in dimension d.
let pointOf (ctx: ReportContext) (spec: ExperimentSpec) (d: int) (n: int) : ErrorPoint =
    (ctx.Run
        { spec with
            Dimensions = [ d ]
            Steps = [ n ] }
     |> List.exactlyOne)
        .Points
    |> List.exactlyOne

/// The error a test's ε stands for at dimension d: ε itself, or ε√d for a threshold relative to √d.
let thresholdOf (t: ClaimTest) : int -> float -> float =
    match t.Threshold with
    | Absolute -> fun _ eps -> eps
    | RelativeSqrtD -> fun d eps -> eps * sqrt (float d)

/// What a cost claim counts: rounds, or score evaluations.
let costMeasureOf (c: Claim) =
    match c.CostMeasure with
    | Some Rounds -> NStarStudy.Rounds
    | _ -> NStarStudy.Evaluations

/// One point of an N* search and the error it compares with ε: the upper confidence limit, or for a lower bound on
/// the error the lower one, so a lower bound gives a lower bound on N* (conservative either way).
let searchPoint (ctx: ReportContext) (spec: ExperimentSpec) (ev: Evidence) d n =
    let p = pointOf ctx spec d n

    match ev.Direction with
    | LowerBoundOnError -> p, { p.Error with Upper = p.Error.Lower }
    | _ -> p, p.Error

/// The counted cost of the point a search found at n (snapped to the grid's step multiple).
let costAt (search: NStarStudy.Search) (g: Grid) (evaluate: NStarStudy.Evaluate) d n =
    let p, _ = evaluate d (NStarStudy.snap g.StepMultiple n)

    match search.Cost with
    | NStarStudy.Rounds -> p.Depth
    | NStarStudy.Evaluations -> p.Nfe

/// An error divided by the claim's log factor (ln N)^a at N steps, for the local slopes of an exact curve.
let divideLogCost (factor: LogFactor) (steps: int) (value: float) =
    value / exp (defaultArg (LogFactor.logOf factor.Power (float steps)) 0.0)

/// The points a fit did not use, with its reasons, in words ("" when it used all).
let excludedNote (curve: ErrorCurve) (fit: FitResult) =
    let points = Array.ofList curve.Points

    let rows =
        fit.Excluded |> List.map (fun (i, why) -> $"n = {points.[i].Steps}: {why}")

    if rows.IsEmpty then
        ""
    else
        "Not fitted: " + String.Join("; ", rows) + "."

let subjectName (c: Claim) regressor =
    match regressor with
    | "log d" -> $"{c.Id} d-exponent"
    | "log(1/eps)" -> $"{c.Id} (1/ε)-exponent"
    | "log(1/N)" -> $"{c.Id} order in N"
    | "log kappa" -> $"{c.Id} κ-exponent"
    | "log L" -> $"{c.Id} L-exponent"
    | r -> $"{c.Id} {r}"

/// Judgements of every fitted exponent the claim's term predicts. A d-exponent on a product target holds by
/// construction, so it is shown but not counted.
let judgeFit
    (c: Claim)
    (t: ClaimTest)
    (direction: EvidenceDirection)
    (label: string)
    (fit: FitResult)
    (productD: bool)
    =
    let term = c.Terms.[t.Term]

    List.zip fit.Regressors fit.Slopes
    |> List.choose (fun (regressor, slope) ->
        Verdicts.predicted c.Form term regressor
        |> Option.map (fun (p, sense) ->
            let margin = Verdicts.marginOf c p
            let subject = $"{subjectName c regressor}, {label}"
            let j = Verdicts.judge subject (Verdicts.sideOf direction) sense p margin slope

            if regressor = "log d" && productD then
                j
                |> Verdicts.uncounted
                    "on a product target the d-exponent follows from the step exponent by construction, so it tests nothing."
                    "a d-exponent on a product target tests nothing"
            else
                j))

/// The error a bound metric bounds, for pairing an upper with a lower bound on the same error.
let private boundedError metric =
    match metric with
    | TvUpper
    | TvLower -> Some "TV"
    | KlUpper
    | KlLower -> Some "KL"
    | W2Upper
    | W2Lower -> Some "W2"
    | _ -> None

/// Where a test measured an upper and a lower bound on the same error, every exponent the claim predicts is judged
/// from the pair (Verdicts.judgeTwoSided): the true exponent lies in the bracket between them, so the pair can show
/// "tight" or a violation where neither side can alone. `fits` holds each evidence's decisive fit (None where it failed
/// or tests nothing). Returns the bracket judgements and the metrics whose one-sided rows they replace.
let judgePairs (c: Claim) (t: ClaimTest) (context: string) (productD: bool) (fits: (Evidence * FitResult option) list) =
    let term = c.Terms.[t.Term]

    let pairs =
        [ for family in fits |> List.choose (fun (ev, _) -> boundedError ev.Metric) |> List.distinct do
              let side direction =
                  fits
                  |> List.tryFind (fun (ev, _) -> boundedError ev.Metric = Some family && ev.Direction = direction)

              match side UpperBoundOnError, side LowerBoundOnError with
              | Some(up, Some upFit), Some(low, Some lowFit) -> yield up, upFit, low, lowFit
              | _ -> () ]

    let judgements =
        [ for up, upFit, low, lowFit in pairs do
              let lowSlopes = List.zip lowFit.Regressors lowFit.Slopes |> Map.ofList

              for regressor, fromUpper in List.zip upFit.Regressors upFit.Slopes do
                  match Verdicts.predicted c.Form term regressor, Map.tryFind regressor lowSlopes with
                  | Some(claimed, sense), Some fromLower ->
                      let margin = Verdicts.marginOf c claimed

                      let subject =
                          $"{subjectName c regressor}, bracket [{MetricNames.toName up.Metric}, {MetricNames.toName low.Metric}], {context}"

                      let j = Verdicts.judgeTwoSided subject sense claimed margin fromUpper fromLower

                      if regressor = "log d" && productD then
                          yield
                              j
                              |> Verdicts.uncounted
                                  "on a product target the d-exponent follows from the step exponent by construction, so it tests nothing."
                                  "a d-exponent on a product target tests nothing"
                      else
                          yield j
                  | _ -> () ]

    let replaced =
        pairs
        |> List.collect (fun (up, _, low, _) -> [ up.Metric; low.Metric ])
        |> Set.ofList

    judgements, replaced

/// A one-sided row of a bound that is judged in a bracket with its other side: shown, not counted.
let private asBracketSide (j: Verdicts.Judgement) =
    if j.Counted then
        j
        |> Verdicts.uncounted
            "this bound is judged together with the bound on the other side (the bracket row)."
            "one side of a bracket: the bracket row says what the pair shows"
    else
        j

/// What one test produced.
type TestOutcome =
    {
        Judgements: Verdicts.Judgement list
        Fits: FitTable list
        Figures: Figure.Figure list
        Curves: ErrorCurve list
        /// Sentences on what was searched or excluded, for the method paragraph.
        Notes: string list
    }

let costLabel (c: Claim) =
    match c.CostMeasure with
    | Some Rounds -> "rounds"
    | _ -> "NFE"

/// A test's outcome from its parts per evidence, each with the evidence and its decisive fit (None where it failed or
/// tests nothing): pairs of bounds judged as brackets (judgePairs), their one-sided rows shown but not counted.
let assemble (c: Claim) (t: ClaimTest) (context: string) (productD: bool) outcomes : TestOutcome =
    let brackets, replaced = judgePairs c t context productD (List.map snd outcomes)

    let judgementsOf ((j, _, _, _, _), (ev: Evidence, _)) =
        if replaced.Contains ev.Metric then
            List.map asBracketSide j
        else
            j

    { Judgements = (outcomes |> List.collect judgementsOf) @ brackets
      Fits = outcomes |> List.collect (fun ((_, f, _, _, _), _) -> f)
      Figures = outcomes |> List.collect (fun ((_, _, f, _, _), _) -> f)
      Curves = outcomes |> List.collect (fun ((_, _, _, cv, _), _) -> cv)
      Notes = outcomes |> List.map (fun ((_, _, _, _, n), _) -> n) }

/// The fit a cost test judges: with the claim's log factor divided out where it states one, else the pure power law.
let decisiveFitName (c: Claim) =
    if c.LogFactor.IsSome then
        "with the claim's log factor divided out"
    else
        "pure power law"
