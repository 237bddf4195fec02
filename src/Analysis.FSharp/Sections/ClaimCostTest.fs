/// The cost test of a claim: N*(d, ε), the smallest step count that reaches ε, per evidence metric, and the fit of
/// its cost on d and 1/ε, judged against the claim's exponents.
module RateLab.Analysis.Sections.ClaimCostTest

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
open RateLab.Analysis.Sections.ClaimJudging

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

/// A depth fixed by the parameters (a non-empty `constantCostNote`) makes the zero exponents hold by construction:
/// the fitted interval then reflects the grid and any divided-out log factor, not the sampler, so each counted row
/// becomes inconclusive and says why instead of repeating the interval's side. A row already not counted keeps the
/// reason it is not counted, with the note added.
let fixedDepth (constantNote: string) (judgements: Verdicts.Judgement list) =
    if constantNote = "" then
        judgements
    else
        judgements
        |> List.map (fun j ->
            if j.Counted then
                { j with
                    Verdict = Inconclusive
                    Reason = $"{j.Subject}: not judged on its fitted exponent, hence inconclusive.{constantNote}"
                    CannotShow = "a depth fixed by the parameters cannot show how the cost grows with d or 1/ε" }
            else
                { j with
                    Verdict = Inconclusive
                    Reason = j.Reason + constantNote })

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
                    Threshold = thresholdOf t
                    NMin = g.MinSteps
                    NMax = g.MaxSteps
                    StepMultiple = g.StepMultiple
                    Cost = costMeasureOf c }

              let evaluate = searchPoint ctx spec ev

              let raw = NStarStudy.run search evaluate

              let costAt = costAt search g evaluate

              let points = NStarStudy.toCost costAt raw

              let subject: RateFit.FitSubject =
                  { Sampler = t.Sampler.Name
                    Parameters = t.Sampler.Parameters |> Map.toList |> List.map (fun (k, v) -> k, showParam v)
                    Target = t.Target.Name
                    Metric = ev.Metric
                    Seeds = [ g.Seed ] }

              let label = evidenceLabel ev
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
              // (Not with a fixed depth: neither model is tested then.)
              let modelNote =
                  match logAware, powerLaw with
                  | Some(Ok logFit), Ok pureFit when constant = "" ->
                      let verdictOf (fit: RateFit.RateFit) =
                          judgeFit c t ev.Direction label fit.Fit true |> Verdicts.combine |> verdictText

                      $" Which model the data support: as a pure power law the exponents give \"{verdictOf pureFit}\"; with the claim's log factor divided out, \"{verdictOf logFit}\"."
                  | _ -> ""

              let foundText = String.Join("; ", found)
              let unreachedText = String.Join(", ", unreached)

              let note =
                  $"{label}: N* in steps at (d, ε): {foundText}."
                  // A fixed-depth note names the unreached searches itself.
                  + (if unreached.IsEmpty || constant <> "" then
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

              let judgements = fixedDepth constant judgements

              let bracketFit =
                  match decisive with
                  | Ok fit when constant = "" -> Some fit.Fit
                  | _ -> None

              (judgements @ pureRows, tables, figure, curves, note), (ev, bracketFit) ]

    assemble c t (decisiveFitName c) true outcomes
