/// `ratelab run SPEC`: one experiment spec through the cache, with its results.json, fits table and figures.
module RateLab.Analysis.Cli.Run

open System
open System.IO
open System.Text.Json.Nodes
open Argu
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Claims
open RateLab.Analysis.Studies
open RateLab.Analysis.Plots
open RateLab.Analysis.Report
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Cli.Arguments
open RateLab.Analysis.Cli.Services
open RateLab.Analysis.Cli.Ui
open RateLab.Analysis.Cli.CommandKit

/// The figures of a single run: error against NFE and, when there are at least two points, local slopes.
let private runFigures (spec: ExperimentSpec) (curves: ErrorCurve list) =
    [ yield Figures.errorVsNfe "error-vs-nfe" $"{spec.Name}: error against NFE" curves
      if curves |> List.exists (fun c -> c.Points.Length >= 2) then
          yield Figures.localSlopes "local-slopes" $"{spec.Name}: local slopes" curves None ]

/// Checks the spec and the memory it needs before any work, runs it one d at a time through OUT's cache, and writes
/// results.json and the figures (SVG and CSV) under OUT, printing the fits table.
let run (services: Services) (ui: Ui) (args: ParseResults<RunArgs>) =
    let path = args.GetResult RunArgs.Spec
    let spec = Spec.parse (readFile "SPEC" path)
    Preflight.checkSpec (Preflight.availableBytes ()) spec
    // The claim ids label the run; an unknown one is a typo that would mislabel it.
    let known = Registry.load (Registry.defaultPath ()) |> List.map (fun c -> c.Id)
    let allowed = String.Join(", ", known)

    spec.Claims
    |> List.iteri (fun i id ->
        if not (List.contains id known) then
            usage $"spec.claims[{i}]: unknown claim id \"{id}\"; allowed: {allowed}")

    let monteCarlo =
        match spec.Metric with
        | SampleMetric _
        | StrongError -> true
        | _ -> false

    if monteCarlo && spec.Metric <> StrongError then
        MonteCarlo.check (Preflight.availableBytes ()) spec

    Runner.checkMetric spec
    let kinetic = not monteCarlo && Runner.kinetic spec
    let out = args.GetResult(RunArgs.Out, DefaultOut)
    let store = outputStore out id
    // The spec's own directory too, so a file in its place is refused before the first experiment.
    let dir = OutputDir.check "--out" (Path.Combine(out, spec.Name))

    let curves =
        withProgress ui (fun start -> cachedRun services (warning ui) store start spec)

    let results = JsonObject()
    results["spec"] <- Spec.toNode spec

    results["curves"] <-
        JsonArray(
            curves
            |> List.map (fun c -> Some(ResultsJson.encodeCurve c) |> Option.toObj)
            |> List.toArray
        )
    // A sample metric's noise floor per dimension: reference against reference, recomputed (cheap) on a cache hit.
    let sampleMetric =
        match spec.Metric with
        | SampleMetric _ -> true
        | _ -> false

    let floors =
        if sampleMetric then
            [ for c in curves -> c.Dimension, MonteCarlo.noiseFloor spec c.Dimension ]
        else
            []

    if sampleMetric then
        let node (d: int, f: MonteCarlo.NoiseFloor) : JsonNode | null =
            let o = JsonObject()
            o["d"] <- JsonValue.Create d
            o["value"] <- ResultsJson.number f.Value
            o["std_error"] <- ResultsJson.number f.StdError
            o

        results["noise_floors"] <- JsonArray(floors |> List.map node |> List.toArray)
    // The velocity's law against its stationary law, for kinetic samplers (two extra exact columns).
    let velocities =
        if not kinetic then
            []
        else
            [ for c in curves do
                  for p in c.Points -> (c.Dimension, p.Steps), Runner.velocity spec c.Dimension p.Steps ]

    if kinetic then
        let node ((d: int, n: int), v: Runner.VelocityMoments option) : JsonNode | null =
            let o = JsonObject()
            o["d"] <- JsonValue.Create d
            o["steps"] <- JsonValue.Create n

            match v with
            | Some v -> writeVelocity o v
            | None -> ()

            o

        results["velocity"] <- JsonArray(velocities |> List.map node |> List.toArray)

    AtomicFile.writeAllText (Path.Combine(dir, "results.json")) (ResultsJson.toText results)
    let figDir = Path.Combine(dir, Markdown.FigureDir)

    for f in runFigures spec curves do
        Render.write figDir f |> ignore
        AtomicFile.writeAllText (Path.Combine(figDir, f.Id + ".csv")) (Csv.ofFigure f)

    let extraText d n =
        match List.tryFind (fst >> (=) d) floors, List.tryFind (fst >> (=) (d, n)) velocities with
        | Some(_, f), _ -> [ $"{Format.num f.Value} ± {Format.num f.StdError}" ]
        | None, Some(_, Some v) -> [ Format.num v.Kl; Format.num v.W2 ]
        | _ -> []

    let rows =
        [ for c in curves do
              for p in c.Points ->
                  [ string c.Dimension
                    string p.Steps
                    Format.num p.Nfe
                    Format.estimate p.Error ]
                  @ extraText c.Dimension p.Steps ]

    let extraHeader =
        if sampleMetric then [ "noise floor" ]
        elif kinetic then [ "velocity KL"; "velocity W2" ]
        else []

    let header = [ "d"; "steps"; "NFE"; Figures.metricLabel spec.Metric ] @ extraHeader
    line ui (Markdown.table header rows)
    // What the figures are (exact value or bound, how evaluated, how NFE was counted), once per distinct method.
    for m in curves |> List.map (fun c -> c.Method) |> List.distinct do
        line ui m

    line ui ("wrote " + Path.Combine(dir, "results.json"))
