/// The sweep test of a claim: N* at fixed d and ε across values of one target parameter (conditioning κ,
/// smoothness L), and the fit of log cost on log value.
module RateLab.Analysis.Sections.ClaimSweepTest

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
              let label = evidenceLabel ev

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
                              Threshold = thresholdOf t
                              NMin = g.MinSteps
                              NMax = g.MaxSteps
                              StepMultiple = g.StepMultiple
                              Cost = costMeasureOf c }

                        let evaluate = searchPoint ctx spec ev

                        let raw = NStarStudy.run search evaluate

                        let costAt = costAt search g evaluate

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
