/// Work-precision diagrams in the style of DiffEqDevTools: every diffusion sampler of the catalog on one panel per
/// target, exact KL (deterministic samplers) or the band [moment-matched lower bound, E_draws upper bound]
/// (randomized ones) against counted NFE with reference slopes, and against measured wall time. No claim is judged
/// here; the page shows what each unit of work buys.
module RateLab.Analysis.Sections.WorkPrecisionSection

open System
open System.Text.Json.Nodes
open RateLab.Analysis.Model
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Plots.Figure
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Sections.SectionKit

/// A target panel: the data law and whether wall time is measured on it (an isotropic target is analysed on one
/// reduced coordinate, so timing it would not time a d-dimensional run).
type Panel =
    { Slug: string
      Title: string
      Target: Component
      Timed: bool }

let private panels =
    [ { Slug = "diagonal"
        Title = "Gaussian data N(0, diag λ), λ log-spaced 1 … 0.05, d = 16"
        Target = comp "gaussian-data" [ "variance_max", Number 1.0; "variance_min", Number 0.05 ]
        Timed = true }
      { Slug = "isotropic"
        Title = "Gaussian data N(0, 0.1·I), d = 16"
        Target = comp "gaussian-data" [ "variance_max", Number 0.1; "variance_min", Number 0.1 ]
        Timed = false } ]

/// The quick profile draws the diagonal panel only: its exact results come from the diffusion part's cache, so it
/// costs the timed runs alone (≈ 3 s), while the isotropic panel would add ≈ 13 s to a report budgeted at 150 s.
let private panelsOf profile =
    match profile with
    | Quick -> List.take 1 panels
    | Full -> panels

/// The spec of one sampler and metric on a panel: the diffusion part's step grids, dimension, replicates and seed, so
/// the diagonal panel reuses its cached results.
let private specOf profile (case: DiffusionSection.Case) (panel: Panel) metric =
    { DiffusionSection.spec profile case metric with
        Name = $"wp-{panel.Slug}-{case.Sampler.Name}"
        Target = panel.Target }

/// The curve a panel draws: exact KL, or for a randomized sampler the upper bound's value with the band from the
/// lower bound's value to the upper bound's upper limit.
let private klCurve (ctx: ReportContext) (case: DiffusionSection.Case) (panel: Panel) =
    let randomized = drawsRandomness (specOf ctx.Profile case panel ExactKl)

    if not randomized then
        List.exactlyOne (ctx.Run(specOf ctx.Profile case panel ExactKl)), false
    else
        let upper = List.exactlyOne (ctx.Run(specOf ctx.Profile case panel KlUpper))
        let lower = List.exactlyOne (ctx.Run(specOf ctx.Profile case panel KlLower))

        let banded (u: ErrorPoint) (l: ErrorPoint) =
            { u with
                Error =
                    { u.Error with
                        Lower = max 0.0 l.Error.Value } }

        let band =
            "band: moment-matched lower bound to the E_draws upper bound's 95 % upper limit."

        { upper with
            Points = List.map2 banded upper.Points lower.Points
            Method = $"{band} {upper.Method}" },
        true

let private timingKey (case: DiffusionSection.Case) (panel: Panel) (n: int) chains =
    let run =
        toCanonicalJson
            { DiffusionSection.spec Quick case ExactKl with
                Target = panel.Target
                Steps = [ n ] }

    $"work-precision-time/v1 sampler={run} chains={chains}"

/// Seconds per chain at every step count of the case, through the cache.
let private wallTimes (ctx: ReportContext) (case: DiffusionSection.Case) (panel: Panel) (curve: ErrorCurve) =
    let chains = 64

    [ for p in curve.Points ->
          let node =
              ctx.Cached (timingKey case panel p.Steps chains) (fun () ->
                  let seconds =
                      WorkPrecision.secondsPerChain
                          case.Sampler
                          panel.Target
                          curve.Dimension
                          p.Steps
                          chains
                          Seeds.Report

                  JsonValue.Create seconds :> JsonNode)

          node.GetValue<float>() ]

let private positive (c: ErrorCurve) =
    c.Points
    |> List.filter (fun p -> p.Error.Value > 0.0 && Double.IsFinite p.Error.Value)

/// Reference slopes −1 … −4 of KL against NFE, through the geometric centre of the panel's first points.
let private referenceSlopes (curves: ErrorCurve list) =
    let firsts = curves |> List.choose (fun c -> positive c |> List.tryHead)
    let all = curves |> List.collect positive

    if firsts.IsEmpty then
        []
    else
        let x0 = exp (firsts |> List.averageBy (fun p -> log p.Nfe))
        let y0 = exp (firsts |> List.averageBy (fun p -> log p.Error.Value))
        let xMax = all |> List.map (fun p -> p.Nfe) |> List.max

        [ for slope in [ -1.0; -2.0; -3.0; -4.0 ] ->
              { Label = $"reference slope {slope:g}"
                X = [| x0; xMax |]
                Y = [| y0; y0 * (xMax / x0) ** slope |]
                Band = None
                Style = Theory } ]

/// Above this KL (nats) a sampler has failed (the parallel Li–Jiao's Picard iteration diverges at large T with fixed
/// K); such points would flatten every other curve, so the figures leave them out and the text names them.
let private failed = 1.0

let private series (label: string) (x: float[]) (c: ErrorCurve) =
    let pts =
        c.Points
        |> List.indexed
        |> List.filter (fun (_, p) -> p.Error.Value > 0.0 && p.Error.Value <= failed)

    { Label = label
      X = pts |> List.map (fun (i, _) -> x.[i]) |> Array.ofList
      Y = pts |> List.map (fun (_, p) -> p.Error.Value) |> Array.ofList
      Band =
        Some(
            pts |> List.map (fun (_, p) -> max 1e-300 p.Error.Lower) |> Array.ofList,
            pts |> List.map (fun (_, p) -> p.Error.Upper) |> Array.ofList
        )
      Style = Measured }

/// One panel: KL against NFE with reference slopes and, where timed, against wall time.
let panelSection (ctx: ReportContext) (panel: Panel) : Section =
    let rows = [ for case in DiffusionSection.cases -> case, klCurve ctx case panel ]
    let curves = rows |> List.map (fun (_, (c, _)) -> c)

    let label (case: DiffusionSection.Case) randomized =
        if randomized then
            $"{case.Sampler.Name} (bounds)"
        else
            case.Sampler.Name

    let nfeFigure =
        { Id = $"wp-{panel.Slug}-nfe"
          Title = $"Work-precision: KL vs NFE, {panel.Title}"
          X =
            { Label = "NFE (score evaluations per chain)"
              Log = true }
          Y =
            { Label = "KL to the reference (nats)"
              Log = true }
          Series =
            [ for case, (c, r) in rows ->
                  series (label case r) (c.Points |> List.map (fun p -> p.Nfe) |> Array.ofList) c ]
            @ referenceSlopes curves }
        |> RateLab.Analysis.Plots.Figure.validate

    let timeFigure =
        if not panel.Timed then
            []
        else
            [ { Id = $"wp-{panel.Slug}-time"
                Title = $"Work-precision: KL vs wall time per chain, {panel.Title}"
                X =
                  { Label = "wall time per chain (s, one thread)"
                    Log = true }
                Y =
                  { Label = "KL to the reference (nats)"
                    Log = true }
                Series =
                  [ for case, (c, r) in rows -> series (label case r) (wallTimes ctx case panel c |> Array.ofList) c ] }
              |> RateLab.Analysis.Plots.Figure.validate ]

    let table =
        [ for case, (c, r) in rows ->
              let last = List.last c.Points

              let kind =
                  if r then
                      "upper bound (band to the moment-matched lower bound)"
                  else
                      "exact"

              $"{case.Sampler.Name}: KL {last.Error.Value:g3} ({kind}) at NFE {last.Nfe:g4}" ]
        |> String.concat "; "

    let timed = if panel.Timed then " and in wall time" else ""

    let dropped =
        [ for case, (c, _) in rows do
              let bad =
                  c.Points
                  |> List.filter (fun p -> not (p.Error.Value <= failed))
                  |> List.map (fun p -> string p.Steps)

              if not bad.IsEmpty then
                  yield $"{case.Sampler.Name} at n = " + String.Join(", ", bad) ]

    let droppedText =
        if dropped.IsEmpty then
            ""
        else
            $"Left out of the figures (KL above {failed:g} nats or not finite: the sampler failed there; values in "
            + "results.json): "
            + String.Join("; ", dropped)
            + ". "

    { Title = $"Work-precision: {panel.Title}"
      ClaimIds = []
      Verdict = NoPublishedClaim
      Reason =
        $"A measurement, not a verdict: what each sampler's error costs in score evaluations{timed}. At the "
        + $"largest step count of each grid: {table}."
      Evidence = []
      Method =
        "Every diffusion sampler of the catalog on the diffusion part's step grids, exact Gaussian analysis: "
        + "deterministic samplers' KL is exact; "
        + "randomized samplers (Li–Jiao, Gupta–Cai–Chen, Poisson midpoint, parallel Li–Jiao) are drawn with the band "
        + "from the moment-matched lower bound to the E_draws upper bound's 95 % limit, so the true KL of their output "
        + "law lies in the band. "
        + "Reference slopes −1 … −4 are KL ∝ NFE^(−s) through the centre of the first points (a first-order sampler "
        + "has KL ∝ NFE^(−2), a second-order one NFE^(−4)). "
        + (if panel.Timed then
               "Wall time: seconds per chain of a real run of the catalog's kernel on the exact score, 64 chains on "
               + "one thread, fastest of three runs after a warm-up; it depends on the machine and its load (see the "
               + "provenance table). "
           else
               "Not timed: an isotropic target is analysed on one reduced coordinate, so its timing would not be a "
               + "d-dimensional run. ")
        + droppedText
      Fits = []
      Figures = nfeFigure :: timeFigure
      Curves = curves }

/// The work-precision part: one section per target panel.
let part (ctx: ReportContext) : Units.PartPlan =
    { Slug = "work-precision"
      Title = "Work-precision diagrams of the diffusion samplers"
      Intro =
        "Error against work for every diffusion sampler of the catalog, one panel per target, in the style of "
        + "DiffEqDevTools' "
        + "work-precision diagrams: exact KL (or, for randomized samplers, the band between the moment-matched lower "
        + "bound and "
        + "the E_draws upper bound) against counted score evaluations, with reference slopes, and against measured "
        + "wall time."
      Units = [ for p in panelsOf ctx.Profile -> Units.announced ctx.SectionDone p.Slug (fun () -> panelSection ctx p) ] }
