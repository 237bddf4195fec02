/// The decay test of a claim: the error curve on a doubling grid per evidence metric and its order in N, and the same
/// measurement for an order with no published claim.
module RateLab.Analysis.Sections.ClaimDecayTest

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

                  let label = $"{evidenceLabel ev}, d = {d}"

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
