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
open RateLab.Analysis.Plots
open RateLab.Analysis.Report
open RateLab.Analysis.Report.Model
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
let cachedRun (services: Services) (store: Cache.Store) (start: string -> ProgressSink) (spec: ExperimentSpec) =
    spec.Dimensions
    |> List.map (fun d ->
        let one = { spec with Dimensions = [ d ] }
        let key = Spec.toCanonicalJson { one with Name = ""; Claims = [] }
        Cache.getOrCompute store ResultsJson.encodeCurve ResultsJson.decodeCurve key (fun () ->
            let sink = start $"{spec.Name} d={d}"
            let curve = services.RunExperiment one sink
            sink 1.0
            curve))

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

/// The one-line announcement of a finished section.
let sectionLine (s: Section) = $"{Format.claims s}: {verdictText s.Verdict} — {s.Title}"

let private report (services: Services) (ui: Ui) (args: ParseResults<ReportArgs>) =
    let profile = profileOf (args.TryGetResult ReportArgs.Profile)
    let out = args.GetResult(ReportArgs.Out, DefaultOut)
    let clock = Stopwatch.StartNew()
    let store = Cache.under out (salt ())
    let built =
        withProgress ui (fun start ->
            services.BuildReport
                { Profile = profile
                  Run = cachedRun services store start
                  SectionDone = fun s -> line ui (sectionLine s) })
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
    let out = args.GetResult(RunArgs.Out, DefaultOut)
    let store = Cache.under out (salt ())
    let curves = withProgress ui (fun start -> cachedRun services store start spec)
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
    line ui ("wrote " + Path.Combine(dir, "results.json"))

/// The key of a metric in `exact --json` output: exact values are plain "kl"/"w2", bounds keep their names.
let exactKey metric =
    match metric with
    | ExactKl -> "kl"
    | ExactW2 -> "w2"
    | m -> MetricNames.toName m

/// The JSON printed by `exact --json`.
let exactJson (r: ExactResult) =
    let o = JsonObject()
    o["sampler"] <- nonNull (JsonValue.Create r.Sampler)
    o["target"] <- nonNull (JsonValue.Create r.Target)
    o["d"] <- JsonValue.Create r.Dimension
    o["steps"] <- JsonValue.Create r.Steps
    o["nfe"] <- ResultsJson.number r.Nfe
    for metric, e in r.Values do
        o[exactKey metric] <- ResultsJson.number e.Value
    o.ToJsonString()

let private exact (services: Services) (ui: Ui) (args: ParseResults<ExactArgs>) =
    let d = RateLab.Core.Validation.Guard.AtLeast(args.GetResult ExactArgs.Dimension, 1, "--d")
    let steps = RateLab.Core.Validation.Guard.AtLeast(args.GetResult ExactArgs.Steps, 1, "--steps")
    let component' name (assignments: string list) option =
        { Name = name
          Parameters = assignments |> List.map (Spec.parseAssignment option) |> Map.ofList }
    let query =
        { Sampler = component' (args.GetResult ExactArgs.Sampler) (args.GetResults ExactArgs.Param) "--param"
          Target = component' (args.GetResult ExactArgs.Target) (args.GetResults ExactArgs.Target_Param) "--target-param"
          Dimension = d
          Steps = steps
          Seed = args.GetResult(ExactArgs.Seed, 1UL)
          Replicates = RateLab.Core.Validation.Guard.AtLeast(args.GetResult(ExactArgs.Replicates, 256), 2, "--replicates") }
    let r = services.ExactEval query
    if args.Contains ExactArgs.Json then
        ui.Out.WriteLine(exactJson r)
    else
        let rows =
            [ [ "sampler"; r.Sampler ]; [ "target"; r.Target ]; [ "d"; string r.Dimension ]; [ "steps"; string r.Steps ]
              [ "NFE"; Format.num r.Nfe ] ]
            @ (r.Values |> List.map (fun (m, e) -> [ exactKey m; Format.estimate e ]))
        ui.Out.Write(Markdown.table [ "quantity"; "value" ] rows)

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
            | [ List a ] -> list services ui a; 0
            | [] -> fail 2 "no command given; expected one of report, run, exact, fit, list (see ratelab --help)"
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
