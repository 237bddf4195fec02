/// The sub-command handlers and the one entry point that maps every outcome to an exit code: 0 success, 2 usage
/// error (bad arguments, malformed spec, unknown names), 1 failure; each error is one line on stderr.
module RateLab.Analysis.Cli.Commands

open System
open System.Diagnostics
open System.IO
open System.Text.Json.Nodes
open Argu
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Plots
open RateLab.Analysis.Studies
open RateLab.Analysis.Report
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Cli.Arguments
open RateLab.Analysis.Cli.Services
open RateLab.Analysis.Cli.Ui

/// Output directory when --out is not given.
[<Literal>]
let DefaultOut = "reports"

/// The cache salt: format version and program version, so a new build never reuses results of an older one.
let salt () = Cache.FormatSalt + "/" + Manifest.version ()

let private usage (message: string) = raise (ArgumentException message)

/// Runs a spec through the cache, one entry per dimension, so an interrupted run keeps every finished dimension.
/// The key leaves out the spec's name and claim list: they label a configuration without changing its numbers.
/// An untrusted cache entry is recomputed with one warning line on `warn`.
let cachedRun (services: Services) (warn: string -> unit) (store: Cache.Store) (start: string -> ProgressSink)
    (spec: ExperimentSpec) =
    spec.Dimensions
    |> List.map (fun d ->
        let one = { spec with Dimensions = [ d ] }
        let key = Spec.toCanonicalJson { one with Name = ""; Claims = [] }
        Cache.getOrComputeReporting warn store ResultsJson.encodeCurve ResultsJson.decodeCurve key (fun () ->
            let sink = start $"{spec.Name} d={d}"
            let curve = services.RunExperiment one sink
            sink 1.0
            curve))

/// Any JSON-valued computation through the cache, keyed by its own configuration string; an untrusted entry is
/// recomputed with one warning line on `warn`.
let cachedNode (warn: string -> unit) (store: Cache.Store) (key: string) (compute: unit -> JsonNode) : JsonNode =
    let keyNode = JsonObject()
    keyNode["study"] <- JsonValue.Create key
    Cache.getOrComputeReporting warn store id id (keyNode.ToJsonString()) compute

let private profileOf (name: string option) =
    match name with
    | None -> Quick
    | Some n ->
        match ProfileNames.tryParse n with
        | Some p -> p
        | None -> usage $"--profile: expected quick or full, got \"{n}\""

let private readFile (option: string) (path: string) =
    if not (File.Exists path) then usage $"{option}: file not found: {path}"
    File.ReadAllText path

/// The checked output directory and its cache, with the temporaries of killed runs swept away. Runs before any
/// experiment, so a bad --out costs nothing.
let private outputStore (out: string) =
    let full = OutputDir.check "--out" out
    let store = Cache.under full (salt ())
    Cache.sweepStale store (Process.GetCurrentProcess().StartTime) |> ignore
    store

/// A cache warning: one line on stderr, the run goes on.
let private warning (ui: Ui) (message: string) = ui.Err.WriteLine("ratelab: warning: " + message)

/// The one-line announcement of a finished section.
let sectionLine (s: Section) = $"{Format.claims s}: {verdictText s.Verdict} — {s.Title}"

let private report (services: Services) (ui: Ui) (args: ParseResults<ReportArgs>) =
    let profile = profileOf (args.TryGetResult ReportArgs.Profile)
    let out = args.GetResult(ReportArgs.Out, DefaultOut)
    let clock = Stopwatch.StartNew()
    let store = outputStore out
    let built =
        withProgress ui (fun start ->
            services.BuildReport
                { Profile = profile
                  Run = cachedRun services (warning ui) store start
                  Cached = cachedNode (warning ui) store
                  SectionDone = fun s -> line ui (sectionLine s) })
    let manifest = Manifest.collect (ProfileNames.toName profile) (Model.seeds built) clock.Elapsed
    Writer.write out built manifest
    line ui ("wrote " + Path.Combine(out, "index.html"))

let private check (services: Services) (ui: Ui) (args: ParseResults<CheckArgs>) =
    let path = args.GetResult CheckArgs.Claims
    if not (File.Exists path) then usage $"CLAIMS: file not found: {path}"
    // Every claim is validated (schema, catalog names) before any work.
    let claims = services.LoadClaims path
    let profile = profileOf (args.TryGetResult CheckArgs.Profile)
    let out = args.GetResult(CheckArgs.Out, "check")
    let clock = Stopwatch.StartNew()
    let store = outputStore out
    let built =
        withProgress ui (fun start ->
            services.BuildCheck
                { Profile = profile
                  Run = cachedRun services (warning ui) store start
                  Cached = cachedNode (warning ui) store
                  SectionDone = fun s -> line ui (sectionLine s) }
                claims)
    let manifest = Manifest.collect (ProfileNames.toName profile) (Model.seeds built) clock.Elapsed
    Writer.write out built manifest
    line ui ("wrote " + Path.Combine(out, "index.html"))

/// The figures of a single run: error against NFE and, when there are at least two points, local slopes.
let runFigures (spec: ExperimentSpec) (curves: ErrorCurve list) =
    [ yield Figures.errorVsNfe "error-vs-nfe" $"{spec.Name}: error against NFE" curves
      if curves |> List.exists (fun c -> c.Points.Length >= 2) then
          yield Figures.localSlopes "local-slopes" $"{spec.Name}: local slopes" curves None ]

let private run (services: Services) (ui: Ui) (args: ParseResults<RunArgs>) =
    let path = args.GetResult RunArgs.Spec
    let spec = Spec.parse (readFile "SPEC" path)
    Preflight.checkSpec (Preflight.availableBytes ()) spec
    let out = args.GetResult(RunArgs.Out, DefaultOut)
    let store = outputStore out
    let curves = withProgress ui (fun start -> cachedRun services (warning ui) store start spec)
    let dir = Path.Combine(out, spec.Name)
    let results = JsonObject()
    results["spec"] <- Spec.toNode spec
    results["curves"] <- JsonArray(curves |> List.map (fun c -> Some(ResultsJson.encodeCurve c) |> Option.toObj) |> List.toArray)
    AtomicFile.writeAllText (Path.Combine(dir, "results.json")) (ResultsJson.toText results)
    let figDir = Path.Combine(dir, Markdown.FigureDir)
    for f in runFigures spec curves do
        Render.write figDir f |> ignore
        AtomicFile.writeAllText (Path.Combine(figDir, f.Id + ".csv")) (Csv.ofFigure f)
    let rows =
        [ for c in curves do
              for p in c.Points -> [ string c.Dimension; string p.Steps; Format.num p.Nfe; Format.estimate p.Error ] ]
    line ui (Markdown.table [ "d"; "steps"; "NFE"; Figures.metricLabel spec.Metric ] rows)
    // What the figures are (exact value or bound, how evaluated, how NFE was counted), once per distinct method.
    for m in curves |> List.map (fun c -> c.Method) |> List.distinct do
        line ui m
    line ui ("wrote " + Path.Combine(dir, "results.json"))

/// The key of a metric in `exact --json` output: exact values are plain "kl"/"w2", bounds keep their names.
let exactKey metric =
    match metric with
    | ExactKl -> "kl"
    | ExactW2 -> "w2"
    | m -> MetricNames.toName m

let private text (s: string) : JsonNode = nonNull (JsonValue.Create s)

// A JSON null where a field does not apply.
let private optional (node: JsonNode option) : JsonNode | null = Option.toObj node

// One figure of `exact --json`: an exact value has null standard error, interval and level.
let private figureJson (f: ExactCurves.Figure) =
    let o = JsonObject()
    let e = f.Estimate
    let estimated (node: unit -> JsonNode) = optional (if Format.isExact e then None else Some(node ()))
    o["value"] <- ResultsJson.number e.Value
    o["std_error"] <- estimated (fun () -> ResultsJson.number e.StdError)
    o["interval"] <- estimated (fun () -> JsonArray(ResultsJson.number e.Lower, ResultsJson.number e.Upper))
    o["level"] <- estimated (fun () -> JsonValue.Create e.Level)
    o["kind"] <- text (ExactCurves.boundText f.Bound)
    o["evaluation"] <-
        text (match f.Evaluation with
              | ExactCurves.ClosedForm -> "closed form"
              | ExactCurves.QuadratureOrEnumeration -> "quadrature or enumeration"
              | ExactCurves.MonteCarlo _ -> "monte carlo")
    o["replicates"] <-
        optional (match f.Evaluation with
                  | ExactCurves.MonteCarlo r -> Some(JsonValue.Create r)
                  | _ -> None)
    o["unit"] <- text (ExactCurves.unitText (ExactCurves.unitOf f.Metric))
    o

/// The JSON printed by `exact --json` (schema in docs/exact-output.md).
let exactJson (r: ExactResult) =
    let o = JsonObject()
    o["sampler"] <- text r.Sampler
    o["target"] <- text r.Target
    o["d"] <- JsonValue.Create r.Dimension
    o["steps"] <- JsonValue.Create r.Steps
    o["nfe"] <- ResultsJson.number r.Nfe
    o["nfe_kind"] <- text (if r.NfeChains > 1 then "mean over chains" else "count")
    o["nfe_chains"] <- JsonValue.Create r.NfeChains
    let metrics = JsonObject()
    for f in r.Figures do
        metrics[exactKey f.Metric] <- figureJson f
    o["metrics"] <- metrics
    o.ToJsonString()

/// The two tables of `exact`: the run, then one row per figure with its error, interval, kind, evaluation and unit.
let exactTables (r: ExactResult) =
    let nfe = if r.NfeChains > 1 then $"{Format.num r.Nfe} (mean over {r.NfeChains} chains)" else Format.num r.Nfe
    let run =
        [ [ "sampler"; r.Sampler ]; [ "target"; r.Target ]; [ "d"; string r.Dimension ]; [ "steps"; string r.Steps ]
          [ "NFE"; nfe ] ]
    let row (f: ExactCurves.Figure) =
        let e = f.Estimate
        let exact = Format.isExact e
        [ exactKey f.Metric
          Format.num e.Value
          (if exact then "—" else Format.num e.StdError)
          (if exact then "—" else $"[{Format.num e.Lower}, {Format.num e.Upper}] at {Format.num e.Level}")
          ExactCurves.boundText f.Bound
          ExactCurves.evaluationText f.Evaluation
          ExactCurves.unitText (ExactCurves.unitOf f.Metric) ]
    let header = [ "metric"; "value"; "std. error"; "interval"; "kind"; "evaluation"; "unit" ]
    Markdown.table [ "quantity"; "value" ] run + "\n" + Markdown.table header (r.Figures |> List.map row)

let private exact (services: Services) (ui: Ui) (args: ParseResults<ExactArgs>) =
    let d = RateLab.Core.Validation.Guard.AtLeast(args.GetResult ExactArgs.Dimension, 1, "--d")
    let steps = RateLab.Core.Validation.Guard.AtLeast(args.GetResult ExactArgs.Steps, 1, "--steps")
    let component' name (assignments: string list) option =
        { Name = name; Parameters = Spec.parseAssignments option assignments }
    let query =
        { Sampler = component' (args.GetResult ExactArgs.Sampler) (args.GetResults ExactArgs.Param) "--param"
          Target = component' (args.GetResult ExactArgs.Target) (args.GetResults ExactArgs.Target_Param) "--target-param"
          Dimension = d
          Steps = steps
          Seed = args.GetResult(ExactArgs.Seed, 1UL)
          Replicates = RateLab.Core.Validation.Guard.AtLeast(args.GetResult(ExactArgs.Replicates, 256), 2, "--replicates") }
    Preflight.checkExact (Preflight.availableBytes ()) query.Sampler query.Target d steps query.Replicates
    let r = services.ExactEval query
    if args.Contains ExactArgs.Json then ui.Out.WriteLine(exactJson r) else ui.Out.Write(exactTables r)

let private fit (services: Services) (ui: Ui) (args: ParseResults<FitArgs>) =
    let path = args.GetResult FitArgs.File
    let parsed = FitCsv.parse path (readFile "FILE" path)
    let input =
        { parsed with
            Window = args.TryGetResult FitArgs.Window |> Option.map FitCsv.window |> Option.defaultValue parsed.Window
            LogFactor =
                match args.TryGetResult FitArgs.Log_Power, args.TryGetResult FitArgs.Log_Of with
                | Some a, arg -> Some(FitCsv.logFactor a arg)
                | None, Some _ -> usage "--log-of: give --log-power A too; allowed only with --log-power"
                | None, None -> None }
    let table = { Caption = path; Fit = services.FitCsv input; TheorySlopes = [] }
    ui.Out.Write(Markdown.table Format.fitHeader (Format.fitRows table))
    ui.Out.WriteLine(Format.fitNote table)

let private list (services: Services) (ui: Ui) (args: ParseResults<ListArgs>) =
    let entries =
        match args.GetResult ListArgs.What with
        | "samplers" -> services.ListSamplers()
        | "targets" -> services.ListTargets()
        | "claims" -> services.ListClaims()
        | other -> usage $"list: expected samplers, targets or claims, got \"{other}\""
    let width = entries |> List.fold (fun w (n, _) -> max w n.Length) 0
    for name, description in entries do
        ui.Out.WriteLine($"{name.PadRight width}  {description}")

let rec private root (ex: exn) =
    match ex with
    | :? AggregateException as a when a.InnerExceptions.Count = 1 -> root a.InnerExceptions[0]
    | :? Reflection.TargetInvocationException as t when not (isNull t.InnerException) -> root (nonNull t.InnerException)
    | _ -> ex

let private oneLine (s: string) =
    s.Replace("\r", "").Split('\n')
    |> Array.map (fun l -> l.Trim())
    |> Array.filter (fun l -> l <> "")
    |> String.concat " "

/// Parses argv, runs the command and returns the exit code; never throws.
let execute (services: Services) (ui: Ui) (argv: string[]) : int =
    let fail code (message: string) =
        ui.Err.WriteLine("ratelab: " + oneLine message)
        code
    try
        let parser = ArgumentParser.Create<Command>(programName = "ratelab")
        try
            match parser.ParseCommandLine(argv, raiseOnUsage = true).GetAllResults() with
            | [ Report a ] -> report services ui a; 0
            | [ Run a ] -> run services ui a; 0
            | [ Exact a ] -> exact services ui a; 0
            | [ Fit a ] -> fit services ui a; 0
            | [ Check a ] -> check services ui a; 0
            | [ List a ] -> list services ui a; 0
            | [] -> fail 2 "no command given; expected one of report, run, exact, fit, check, list (see ratelab --help)"
            | _ -> fail 2 "give exactly one command (see ratelab --help)"
        with
        | :? ArguParseException as ex when ex.ErrorCode = ErrorCode.HelpText ->
            ui.Out.WriteLine ex.Message
            0
        | :? ArguParseException as ex ->
            let first = (ex.Message.Replace("\r", "").Split('\n')[0]).Replace("ERROR: ", "")
            fail 2 $"{first} (see --help)"
    with ex ->
        match root ex with
        | :? ArgumentException as a ->
            // .NET appends " (Parameter 'name')" to the message; the message already names the parameter.
            let suffix = match a.ParamName with null -> "" | p -> $" (Parameter '{p}')"
            fail 2 (if suffix <> "" && a.Message.EndsWith suffix then a.Message.Substring(0, a.Message.Length - suffix.Length) else a.Message)
        | NotWired service -> fail 1 $"the {service} is not wired into this build yet"
        | e -> fail 1 e.Message
