/// The generic claim check: one section per claim, built only from the claim's data (docs/claims.md). Cost claims get
/// N*(d, ε) searches per evidence metric and cost fits; decay claims get error curves on a doubling grid and decay
/// fits; every fitted exponent is judged by Claims/Verdicts with the direction its metric gives. The built-in registry
/// and `ratelab check` on a user's file run through this one path.
module RateLab.Analysis.Sections.ClaimSection

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

let private gradeText grade =
    match grade with
    | Verified -> "verified"
    | Reconstructed -> "reconstructed"
    | Unverified -> "unverified"

/// The claim as the report prints it: statement, metric, assumptions, source and provenance grade.
let claimText (c: Claim) =
    let logText =
        c.LogFactor
        |> Option.map (fun f -> $" Explicit log factor: {LogFactor.describe f}.")
        |> Option.defaultValue ""

    $"**Claim {c.Id}** ({c.Sampler}). Statement: {c.Statement}. Metric: {c.Metric}. Assumptions: {c.Assumptions}.{logText} "
    + $"Source: {c.Source}; grade: {gradeText c.Grade} ({c.GradeDetail})."

/// ε_k = ε₀·2^(−k), k = 0 … levels − 1.
let epsilons (eps0: float) (levels: int) =
    List.init levels (fun k -> eps0 / 2.0 ** float k)

let private directionText d =
    match d with
    | ExactValue -> "exact"
    | UpperBoundOnError -> "upper bound"
    | LowerBoundOnError -> "lower bound"

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
let private pointOf (ctx: ReportContext) (spec: ExperimentSpec) (d: int) (n: int) : ErrorPoint =
    (ctx.Run
        { spec with
            Dimensions = [ d ]
            Steps = [ n ] }
     |> List.exactlyOne)
        .Points
    |> List.exactlyOne

/// An error divided by the claim's log factor (ln N)^a at N steps, for the local slopes of an exact curve.
let private divideLogCost (factor: LogFactor) (steps: int) (value: float) =
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

let private subjectName (c: Claim) regressor =
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
            let margin = c.Margin |> Option.defaultValue (Verdicts.defaultMargin p)
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
                      let margin = c.Margin |> Option.defaultValue (Verdicts.defaultMargin claimed)

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

let private costLabel (c: Claim) =
    match c.CostMeasure with
    | Some Rounds -> "rounds"
    | _ -> "NFE"

/// When every found N* has the same cost (a parallel sampler whose depth is fixed by its parameters), the zero
/// exponents hold by construction: say so, and name the searches that did not reach ε at that depth.
let constantCostNote
    (c: Claim)
    (g: Grid)
    (raw: (int * NStar.NStarResult) list)
    (costs: (int * NStar.NStarResult) list)
    =
    match costs |> List.choose (fun (_, r) -> r.NStar) |> List.distinct with
    | [ one ] ->
        let missed =
            raw
            |> List.filter (fun (_, r) -> r.NStar.IsNone)
            |> List.map (fun (d, r) -> $"(d = {d}, ε = {r.Epsilon:g3})")

        let missedList = String.Join(", ", missed)

        let missedText =
            if missed.IsEmpty then
                ""
            else
                $" Not reached within T ≤ {g.MaxSteps}: {missedList}."

        $" {c.Id}: every N* found costs the same {one} {costLabel c}, because the parameters fix the depth independently of T; the zero exponents hold by construction, and the test is only that the accuracy is reachable at that depth.{missedText}"
    | _ -> ""

/// A test's outcome from its parts per evidence, each with the evidence and its decisive fit (None where it failed or
/// tests nothing): pairs of bounds judged as brackets (judgePairs), their one-sided rows shown but not counted.
let private assemble (c: Claim) (t: ClaimTest) (context: string) (productD: bool) outcomes : TestOutcome =
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
let private decisiveFitName (c: Claim) =
    if c.LogFactor.IsSome then
        "with the claim's log factor divided out"
    else
        "pure power law"

/// A cost test: N*(d, ε) per evidence metric, the pure power-law fit and, with a log factor, the log-aware fit.
let costTest (ctx: ReportContext) (c: Claim) (ti: int) (t: ClaimTest) : TestOutcome =
    let g = gridOf ctx.Profile t

    let outcomes =
        [ for ev in t.Evidence ->
              let spec = specOf ctx.Profile c t ev.Metric

              let search: NStarStudy.Search =
                  { Spec = spec
                    Dimensions = g.Dimensions
                    Epsilons = epsilons g.Epsilon g.Levels
                    Threshold =
                      (match t.Threshold with
                       | Absolute -> (fun _ eps -> eps)
                       | RelativeSqrtD -> (fun d eps -> eps * sqrt (float d)))
                    NMin = g.MinSteps
                    NMax = g.MaxSteps
                    StepMultiple = g.StepMultiple
                    Cost =
                      (match c.CostMeasure with
                       | Some Rounds -> NStarStudy.Rounds
                       | _ -> NStarStudy.Evaluations) }
              // A lower bound on the error gives a lower bound on N*: search on its lower confidence limit (conservative).
              let evaluate d n =
                  let p = pointOf ctx spec d n

                  match ev.Direction with
                  | LowerBoundOnError -> p, { p.Error with Upper = p.Error.Lower }
                  | _ -> p, p.Error

              let raw = NStarStudy.run search evaluate

              let costAt d n =
                  let p, _ = evaluate d (NStarStudy.snap g.StepMultiple n)

                  match search.Cost with
                  | NStarStudy.Rounds -> p.Depth
                  | NStarStudy.Evaluations -> p.Nfe

              let points = NStarStudy.toCost costAt raw

              let subject: RateFit.FitSubject =
                  { Sampler = t.Sampler.Name
                    Parameters = t.Sampler.Parameters |> Map.toList |> List.map (fun (k, v) -> k, showParam v)
                    Target = t.Target.Name
                    Metric = ev.Metric
                    Seeds = [ g.Seed ] }

              let label = $"{MetricNames.toName ev.Metric} ({directionText ev.Direction})"
              let powerLaw = PowerLawFit.fitCost PowerLawFit.defaultSettings subject points

              let logAware =
                  c.LogFactor
                  |> Option.map (fun f ->
                      PowerLawFit.fitCost
                          { PowerLawFit.defaultSettings with
                              LogFactor = Some f }
                          subject
                          points)

              let decisive = defaultArg logAware powerLaw
              let decisiveName = decisiveFitName c

              let judgements =
                  match decisive with
                  | Ok fit -> judgeFit c t ev.Direction $"{label}, {decisiveName}" fit.Fit true
                  | Error e ->
                      [ { Subject = $"{c.Id}, {label}"
                          Verdict = Inconclusive
                          Reason = $"{c.Id}, {label}: no cost fit ({e})."
                          CannotShow = "nothing: the fit failed"
                          Counted = true } ]

              let pureRows =
                  match logAware, powerLaw with
                  | Some _, Ok fit ->
                      // The pure power law is reported for comparison, labelled as such, and not counted.
                      judgeFit c t ev.Direction $"{label}, pure power law (reported, not counted)" fit.Fit true
                      |> List.map (
                          Verdicts.uncounted
                              "the claim states a log factor; the pure power law is shown for comparison."
                              "the claim states a log factor, so the pure power-law exponent is shown for comparison only"
                      )
                  | _ -> []

              let term = c.Terms.[t.Term]

              let tables =
                  [ for name, fit in
                        [ "pure power law", powerLaw; decisiveName, (defaultArg logAware powerLaw) ]
                        |> List.distinctBy fst do
                        match fit with
                        | Ok f ->
                            yield
                                { Caption =
                                    $"Claim {c.Id}: log N* ({costLabel c}) on log d and log(1/ε), {label}, {name}, term {t.Term + 1}"
                                  Fit = f.Fit
                                  TheorySlopes =
                                    f.Fit.Regressors
                                    |> List.choose (fun r ->
                                        Verdicts.predicted c.Form term r |> Option.map (fun (p, _) -> r, p + 0.0)) }
                        | Error _ -> () ]

              let unreached =
                  raw
                  |> List.filter (fun (_, r) -> r.NStar.IsNone)
                  |> List.map (fun (d, r) -> $"(d = {d}, ε = {r.Epsilon:g3})")

              let found =
                  raw
                  |> List.map (fun (d, r) ->
                      match r.NStar with
                      | Some n -> $"({d}, {r.Epsilon:g3}) → {n}"
                      | None -> $"({d}, {r.Epsilon:g3}) → not reached by {g.MaxSteps}")

              let constant = constantCostNote c g raw points
              // Which model the data support: the verdict of the pure power law against that of the claim's log model.
              let modelNote =
                  match logAware, powerLaw with
                  | Some(Ok logFit), Ok pureFit ->
                      let verdictOf (fit: RateFit.RateFit) =
                          judgeFit c t ev.Direction label fit.Fit true |> Verdicts.combine |> verdictText

                      $" Which model the data support: as a pure power law the exponents give \"{verdictOf pureFit}\"; with the claim's log factor divided out, \"{verdictOf logFit}\"."
                  | _ -> ""

              let foundText = String.Join("; ", found)
              let unreachedText = String.Join(", ", unreached)

              let note =
                  $"{label}: N* in steps at (d, ε): {foundText}."
                  + (if unreached.IsEmpty then
                         ""
                     else
                         $" Not reached within {g.MaxSteps} steps (shown, not fitted): {unreachedText}.")
                  + constant
                  + modelNote

              let curves =
                  g.Dimensions
                  |> List.map (NStarStudy.curve search evaluate raw)
                  |> List.filter (fun cv -> not cv.Points.IsEmpty)

              let figure =
                  if curves.IsEmpty then
                      []
                  else
                      [ Figures.errorVsNfe
                            (slug $"{spec.Name}-{ti}-error")
                            $"Claim {c.Id}: {label} vs NFE (points of the N* searches)"
                            curves ]
              // A depth fixed by the parameters makes the zero exponents hold by construction: nothing is tested.
              let judgements =
                  if constant = "" then
                      judgements
                  else
                      judgements
                      |> List.map (fun j ->
                          { j with
                              Verdict = Inconclusive
                              Reason = j.Reason + constant })

              let bracketFit =
                  match decisive with
                  | Ok fit when constant = "" -> Some fit.Fit
                  | _ -> None

              (judgements @ pureRows, tables, figure, curves, note), (ev, bracketFit) ]

    assemble c t (decisiveFitName c) true outcomes

/// A conditioning sweep: N* at one (d, ε) for each value of the swept target parameter (κ or L), per evidence metric,
/// and the fit of log cost on log value, judged against the term's conditioning exponent; where the claim states
/// none, the exponent is reported as a measurement with no published claim.
let sweepTest (ctx: ReportContext) (c: Claim) (ti: int) (t: ClaimTest) (parameter: string) : TestOutcome =
    let g = gridOf ctx.Profile t
    let d = List.exactlyOne g.Dimensions
    let symbol = defaultArg c.ConditioningSymbol parameter
    let regressor = $"log {symbol}"
    let id = c.Id.Replace("'", "prime")

    let outcomes =
        [ for ev in t.Evidence ->
              let label = $"{MetricNames.toName ev.Metric} ({directionText ev.Direction})"

              let searches =
                  [ for v in g.Values ->
                        let target =
                            { t.Target with
                                Parameters = t.Target.Parameters.Add(parameter, Number v) }

                        let spec = specOf ctx.Profile c { t with Target = target } ev.Metric

                        let search: NStarStudy.Search =
                            { Spec = spec
                              Dimensions = [ d ]
                              Epsilons = [ g.Epsilon ]
                              Threshold =
                                (match t.Threshold with
                                 | Absolute -> (fun _ eps -> eps)
                                 | RelativeSqrtD -> (fun d eps -> eps * sqrt (float d)))
                              NMin = g.MinSteps
                              NMax = g.MaxSteps
                              StepMultiple = g.StepMultiple
                              Cost =
                                (match c.CostMeasure with
                                 | Some Rounds -> NStarStudy.Rounds
                                 | _ -> NStarStudy.Evaluations) }

                        let evaluate d n =
                            let p = pointOf ctx spec d n

                            match ev.Direction with
                            | LowerBoundOnError -> p, { p.Error with Upper = p.Error.Lower }
                            | _ -> p, p.Error

                        let raw = NStarStudy.run search evaluate

                        let costAt d n =
                            let p, _ = evaluate d (NStarStudy.snap g.StepMultiple n)

                            match search.Cost with
                            | NStarStudy.Rounds -> p.Depth
                            | NStarStudy.Evaluations -> p.Nfe

                        let cost = NStarStudy.toCost costAt raw |> List.exactlyOne |> snd

                        let curve =
                            { NStarStudy.curve search evaluate raw d with
                                Target = $"{t.Target.Name}({parameter}={v:g4}, d={d})" }

                        v, cost, curve ]

              let subject: RateFit.FitSubject =
                  { Sampler = t.Sampler.Name
                    Parameters = t.Sampler.Parameters |> Map.toList |> List.map (fun (k, v) -> k, showParam v)
                    Target = t.Target.Name
                    Metric = ev.Metric
                    Seeds = [ g.Seed ] }

              let settings =
                  { PowerLawFit.defaultSettings with
                      LogFactor = c.LogFactor }

              let fit =
                  PowerLawFit.fitSweep settings subject regressor d [ for v, r, _ in searches -> v, r ]

              let term = c.Terms.[t.Term]
              let sweepLabel = $"{label}, {parameter} swept at d = {d}, ε = {g.Epsilon:g3}"
              // N* against the swept value with the fitted and the claimed slope, over the values whose search reached ε.
              let nStarFigure (f: RateFit.RateFit) =
                  let reached =
                      searches |> List.indexed |> List.filter (fun (_, (_, r, _)) -> r.NStar.IsSome)

                  let position = reached |> List.mapi (fun k (i, _) -> i, k) |> Map.ofList

                  let points =
                      [ for _, (v, r, _) in reached ->
                            let n = float r.NStar.Value

                            v,
                            { Value = n
                              Lower = n
                              Upper = n
                              StdError = nan
                              Level = 0.95 } ]

                  let theory =
                      Verdicts.predicted c.Form term regressor
                      |> Option.map (fun (p, _) -> p, $"{c.Id}, term {t.Term + 1}")

                  Figures.nStarVs
                      (slug $"claim-{id}-{t.Sampler.Name}-{parameter}-{ti}-{MetricNames.toName ev.Metric}-nstar")
                      $"Claim {c.Id}: N* against {symbol}, {label}"
                      { Label = symbol; Log = true }
                      points
                      { f.Fit with
                          Window = f.Fit.Window |> List.map (fun i -> position[i]) }
                      0
                      theory

              let judgements, tables =
                  match fit with
                  | Ok f ->
                      let table =
                          { Caption =
                              $"Claim {c.Id}: log N* ({costLabel c}) on log {symbol}, {sweepLabel}, term {t.Term + 1}"
                            Fit = f.Fit
                            TheorySlopes =
                              f.Fit.Regressors
                              |> List.choose (fun r ->
                                  Verdicts.predicted c.Form term r |> Option.map (fun (p, _) -> r, p + 0.0)) }

                      let judged = judgeFit c t ev.Direction sweepLabel f.Fit false
                      let slope = f.Fit.Slopes.Head
                      let measured = $"{slope.Value:g3} [{slope.Lower:g3}, {slope.Upper:g3}]"

                      let rows =
                          if judged.IsEmpty then
                              [ Verdicts.noClaim
                                    $"{subjectName c regressor}, {sweepLabel}"
                                    $"measured exponent {measured}; the claim states no {symbol} exponent." ]
                          else
                              judged

                      rows, [ table ]
                  | Error e ->
                      [ { Subject = $"{subjectName c regressor}, {label}"
                          Verdict = Inconclusive
                          Reason = $"{c.Id}, {sweepLabel}: no sweep fit ({e})."
                          CannotShow = "nothing: the fit failed"
                          Counted = term.Conditioning.IsSome } ],
                      []

              let found =
                  searches
                  |> List.map (fun (v, r, _) ->
                      match r.NStar with
                      | Some n -> $"{symbol} = {v:g4} → {n}"
                      | None -> $"{symbol} = {v:g4} → not reached by {g.MaxSteps} steps")
                  |> String.concat "; "

              let note = $"{sweepLabel}: N* ({costLabel c}) per {symbol}: {found}."

              let curves =
                  searches
                  |> List.map (fun (_, _, cv) -> cv)
                  |> List.filter (fun cv -> not cv.Points.IsEmpty)

              let figure =
                  [ match fit with
                    | Ok f -> nStarFigure f
                    | Error _ -> ()
                    if not curves.IsEmpty then
                        Figures.errorVsNfe
                            (slug $"claim-{id}-{t.Sampler.Name}-{parameter}-{ti}-{MetricNames.toName ev.Metric}-error")
                            $"Claim {c.Id}: {label} vs NFE, one curve per {symbol} (points of the N* searches)"
                            curves ]

              (judgements, tables, figure, curves, note),
              (ev,
               match fit with
               | Ok f -> Some f.Fit
               | Error _ -> None) ]

    assemble c t $"{parameter} swept at d = {d}, ε = {g.Epsilon:g3}" false outcomes

/// A decay test: the error curve on the doubling grid per evidence metric, points near a computed floor excluded,
/// the order judged (exact curves by their asymptotic local slope, Monte Carlo curves by the fit's interval).
let decayTest (ctx: ReportContext) (c: Claim) (ti: int) (t: ClaimTest) : TestOutcome =
    let g = gridOf ctx.Profile t
    let steps = doubling g.MinSteps g.Levels

    let outcomes =
        [ for ev in t.Evidence do
              for d in g.Dimensions ->
                  let spec =
                      { specOf ctx.Profile c t ev.Metric with
                          Dimensions = [ d ]
                          Steps = steps }

                  let raw = ctx.Run spec |> List.exactlyOne
                  let floors = Floors.ofCurve t.Sampler t.Target raw

                  let label =
                      $"{MetricNames.toName ev.Metric} ({directionText ev.Direction}), d = {d}"

                  let windowFloors = Floors.forWindow floors raw
                  // With a log factor the fit divides (ln N)^a out of the error, so its slope estimates p of the bound;
                  // the exact curve's local slopes are read on the same divided values.
                  let fit =
                      PowerLawFit.fitDecay
                          { PowerLawFit.defaultSettings with
                              LogFactor = c.LogFactor }
                          RateFit.Steps
                          [ [ raw ], windowFloors ]

                  let curve, curveFloors =
                      match c.LogFactor with
                      | Some f ->
                          let scale (p: ErrorPoint) x = divideLogCost f p.Steps x

                          { raw with
                              Points =
                                  raw.Points
                                  |> List.map (fun p ->
                                      { p with
                                          Error =
                                              { p.Error with
                                                  Value = scale p p.Error.Value
                                                  Lower = scale p p.Error.Lower
                                                  Upper = scale p p.Error.Upper
                                                  StdError = scale p p.Error.StdError } }) },
                          Array.map2 scale (Array.ofList raw.Points) (Floors.limits floors raw)
                      | None -> raw, Floors.limits floors raw

                  let excluded =
                      match fit with
                      | Ok f -> excludedNote raw f.Fit
                      | Error _ -> ""

                  let judgements, tables =
                      match fit with
                      | Ok f ->
                          let measured, how = orderForVerdict RateFit.Steps curve curveFloors f

                          let withLog =
                              if c.LogFactor.IsSome then
                                  ", log factor divided out"
                              else
                                  ""

                          let fitWithOrder =
                              { f.Fit with
                                  Slopes =
                                      List.map2
                                          (fun r s -> if r = "log(1/N)" then measured else s)
                                          f.Fit.Regressors
                                          f.Fit.Slopes }

                          judgeFit c t ev.Direction $"{label}, {how}{withLog}" fitWithOrder false,
                          [ decayTable
                                $"Claim {c.Id}: {Figures.metricLabel ev.Metric} against steps, {t.Sampler.Name} (d = {d}){withLog}"
                                f
                                (c.Terms.[t.Term].Steps |> Option.map (fun s -> -s)) ]
                      | Error e ->
                          [ { Subject = $"{c.Id}, {label}"
                              Verdict = Inconclusive
                              Reason = $"{c.Id}, {label}: no decay fit ({e}); the curve is shown."
                              CannotShow = "nothing: the fit failed"
                              Counted = true } ],
                          []

                  let drift =
                      match c.LogFactor, c.Terms.[t.Term].Steps with
                      | Some { Power = a; Argument = LogCost }, Some s ->
                          let positive =
                              raw.Points |> List.filter (fun p -> p.Error.Value > 0.0) |> Array.ofList

                          let predicted =
                              LocalSlopes.predictedDrift -s a (positive |> Array.map (fun p -> float p.Steps))

                          let rows =
                              positive
                              |> Array.pairwise
                              |> Array.mapi (fun k (p0, p1) ->
                                  let measured =
                                      log (p1.Error.Value / p0.Error.Value) / log (float p1.Steps / float p0.Steps)

                                  $"{p0.Steps}→{p1.Steps}: measured {measured:F3}, predicted {predicted.[k]:F3}")

                          let rowsText = String.Join("; ", rows)
                          [ $"Local slopes of {label} against the drift that (ln N)^{a:g3}·N^{s:g3} predicts (pure power law: {s:g3}): {rowsText}." ]
                      | _ -> []

                  let id = slug $"{spec.Name}-{ti}-d{d}"

                  judgements,
                  tables,
                  [ Figures.errorVsNfe $"{id}-error" $"Claim {c.Id}: {t.Sampler.Name}, {label} vs NFE" [ raw ]
                    Figures.localSlopes
                        $"{id}-slopes"
                        $"Claim {c.Id}: {t.Sampler.Name}, local slopes of {label}"
                        [ raw ]
                        (c.Terms.[t.Term].Steps) ],
                  [ raw ],
                  (floors.Description :: excluded :: drift)
                  |> List.filter ((<>) "")
                  |> String.concat " " ]

    { Judgements = outcomes |> List.collect (fun (j, _, _, _, _) -> j)
      Fits = outcomes |> List.collect (fun (_, f, _, _, _) -> f)
      Figures = outcomes |> List.collect (fun (_, _, f, _, _) -> f)
      Curves = outcomes |> List.collect (fun (_, _, _, cv, _) -> cv)
      Notes = outcomes |> List.map (fun (_, _, _, _, n) -> n) }

/// The registry claims whose decay tests run `sampler`, with the test's index: how a per-sampler section finds the
/// claim it tests, so the section and the claim cannot disagree on the sampler.
let decayTestsOf (claims: Claim list) (sampler: string) =
    [ for c in claims do
          if c.Form = ErrorDecay then
              for i, t in List.indexed c.Tests do
                  if t.Sampler.Name = sampler then
                      yield c, i, t ]

/// A measured order with no published claim: the order on the doubling grid and, where RateLab derives one, the
/// derived order beside it, reported as a measurement.
let orderCheck (ctx: ReportContext) (label: string) (spec: ExperimentSpec) (derived: (float * string) option) =
    let curve = ctx.Run spec |> List.exactlyOne
    let floors = Floors.ofCurve spec.Sampler spec.Target curve

    let fit =
        PowerLawFit.fitDecay PowerLawFit.defaultSettings RateFit.Steps [ [ curve ], Floors.forWindow floors curve ]

    let text =
        match fit with
        | Ok f ->
            let measured, how =
                orderForVerdict RateFit.Steps curve (Floors.limits floors curve) f

            let against =
                match derived with
                | Some(p, why) -> $"; RateLab's derivation gives {p:g3} ({why})"
                | None -> ""

            $"order {measured.Value:g4} [{measured.Lower:g4}, {measured.Upper:g4}] ({how}){against}."
        | Error e -> $"no decay fit ({e}); the curve is shown."

    let excluded =
        match fit with
        | Ok f -> excludedNote curve f.Fit
        | Error _ -> ""

    curve, fit, Verdicts.noClaim label text, (floors.Description + " " + excluded).Trim()

/// Runs every test of a claim.
let outcomes (ctx: ReportContext) (c: Claim) =
    c.Tests
    |> List.mapi (fun i t ->
        match c.Form, t.Sweep with
        | CostBound, Some parameter -> sweepTest ctx c i t parameter
        | CostBound, None -> costTest ctx c i t
        | ErrorDecay, _ -> decayTest ctx c i t
        | Qualitative, _ -> invalidArg "claim" $"claim {c.Id} is qualitative; it has no generic test")

/// The verdict paragraph: the combined verdict, each judgement's reason, and what the evidence cannot show.
let reasonOf (verdict: Verdict) (judgements: Verdicts.Judgement list) =
    let counted = judgements |> List.filter (fun j -> j.Counted)
    let reasons = counted |> List.map (fun j -> j.Reason) |> String.concat " "

    let limits =
        counted
        |> List.map (fun j -> j.CannotShow)
        |> List.distinct
        |> String.concat "; "

    $"Verdict: {verdictText verdict}. {reasons} What this evidence cannot show: {limits}."

/// One section for a claim with tests.
let section (ctx: ReportContext) (c: Claim) : Section =
    let results = outcomes ctx c
    let judgements = results |> List.collect (fun o -> o.Judgements)
    let verdict = Verdicts.combine judgements

    let setups =
        c.Tests |> List.map (fun t -> t.Setup) |> List.distinct |> String.concat " "

    let g = gridOf ctx.Profile c.Tests.Head

    let method =
        $"{claimText c}\n\n{setups} "
        + (match c.Form with
           | CostBound ->
               $"N*(d, ε) is the smallest step count whose error reaches the threshold at its conservative confidence limit (upper for upper-bound and exact evidence, lower for lower-bound evidence), by doubling then bisection; {g.Replicates} draw replicates per point, seed {g.Seed}. Cost = {costLabel c} counted by the oracle at N*. Cost fits: least squares of log cost on log d and log(1/ε), residual bootstrap-t intervals. "
           | _ ->
               $"Step counts double from {g.MinSteps} ({g.Levels} levels); {g.Replicates} draw replicates for randomized samplers, seed {g.Seed}. Exact curves are judged by their last local slope ± 2× its last change, Monte Carlo curves by the fitted order's bootstrap interval. ")
        + (results |> List.collect (fun o -> o.Notes) |> String.concat " ")

    { Title = $"{c.Id}: {c.Sampler}, {c.Metric}"
      ClaimIds = [ c.Id ]
      Verdict = verdict
      Reason = reasonOf verdict judgements
      Evidence = judgements
      Method = method
      Fits = results |> List.collect (fun o -> o.Fits)
      Figures = results |> List.collect (fun o -> o.Figures)
      Curves = results |> List.collect (fun o -> o.Curves) }
