/// The handlers of report, check, plan, merge, fit and list, and the one entry point that dispatches every command
/// and maps every outcome to an exit code: 0 success, 2 usage error (bad arguments, malformed spec, unknown names),
/// 1 failure; each error is one line on stderr.
module RateLab.Analysis.Cli.Commands

open System
open System.Diagnostics
open System.IO
open System.Text.Json.Nodes
open Argu
open RateLab.Analysis.Experiments
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Report
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Cli.Arguments
open RateLab.Analysis.Cli.Services
open RateLab.Analysis.Cli.Ui
open RateLab.Analysis.Cli.CommandKit
open RateLab.Analysis.Cli.ReportJobs

let private report (services: Services) (ui: Ui) (args: ParseResults<ReportArgs>) =
    noShards (args.Contains ReportArgs.Shards)
    let out = args.GetResult(ReportArgs.Out, DefaultOut)
    let job, plan = reportJob services (args.TryGetResult ReportArgs.Profile)
    let shard = args.TryGetResult ReportArgs.Shard |> Option.map Plan.parseShard
    let jobs = jobsOf (args.TryGetResult ReportArgs.Jobs)
    let cachedOnly = cachedOnlyOf (args.Contains ReportArgs.Cached_Only) shard
    let checkpoints = checkpointsOf (args.TryGetResult ReportArgs.Checkpoints)

    runJob services ui job out shard (basisOf (args.TryGetResult ReportArgs.Costs)) jobs cachedOnly checkpoints plan
    |> ignore

let private check (services: Services) (ui: Ui) (args: ParseResults<CheckArgs>) =
    noShards (args.Contains CheckArgs.Shards)

    let job, plan =
        checkJob services (args.GetResult CheckArgs.Claims) (args.TryGetResult CheckArgs.Profile)

    let out = args.GetResult(CheckArgs.Out, "check")
    let shard = args.TryGetResult CheckArgs.Shard |> Option.map Plan.parseShard
    let jobs = jobsOf (args.TryGetResult CheckArgs.Jobs)
    let cachedOnly = cachedOnlyOf (args.Contains CheckArgs.Cached_Only) shard

    runJob
        services
        ui
        job
        out
        shard
        (basisOf (args.TryGetResult CheckArgs.Costs))
        jobs
        cachedOnly
        defaultCheckpoints
        plan
    |> ignore

let private noJobs () =
    usage "--jobs: only where units run (report, check, merge); `plan` runs nothing"

let private noCachedOnly () =
    usage "--cached-only: only where a report is rendered (report, check); `plan` renders nothing"

let private noShard () =
    usage "--shard: only where a shard runs (report, check); `plan` lists every shard (--shards N)"

let private noCheckpoints () =
    usage "--checkpoints: only where training runs (report); `plan` trains nothing"

/// The most shards `plan` divides a job into: beyond it a shard would hold a sliver of one training run.
[<Literal>]
let private MaxShards = 4096

/// `ratelab plan`: the units of a job with their costs and shards, printed and written to OUT/plan.json; nothing runs.
let private plan (services: Services) (ui: Ui) (args: ParseResults<PlanArgs>) =
    let (job, jobPlan), out, shards, costsPath =
        match args.GetAllResults() with
        | [ PlanArgs.Report a ] when a.Contains ReportArgs.Jobs -> noJobs ()
        | [ PlanArgs.Check a ] when a.Contains CheckArgs.Jobs -> noJobs ()
        | [ PlanArgs.Report a ] when a.Contains ReportArgs.Cached_Only -> noCachedOnly ()
        | [ PlanArgs.Check a ] when a.Contains CheckArgs.Cached_Only -> noCachedOnly ()
        | [ PlanArgs.Report a ] when a.Contains ReportArgs.Shard -> noShard ()
        | [ PlanArgs.Check a ] when a.Contains CheckArgs.Shard -> noShard ()
        | [ PlanArgs.Report a ] when a.Contains ReportArgs.Checkpoints -> noCheckpoints ()
        | [ PlanArgs.Report a ] ->
            reportJob services (a.TryGetResult ReportArgs.Profile),
            a.GetResult(ReportArgs.Out, DefaultOut),
            a.TryGetResult ReportArgs.Shards,
            a.TryGetResult ReportArgs.Costs
        | [ PlanArgs.Check a ] ->
            checkJob services (a.GetResult CheckArgs.Claims) (a.TryGetResult CheckArgs.Profile),
            a.GetResult(CheckArgs.Out, "check"),
            a.TryGetResult CheckArgs.Shards,
            a.TryGetResult CheckArgs.Costs
        | _ -> usage "plan: expected report or check with their options, e.g. ratelab plan report --profile full"

    let shards =
        match defaultArg shards 1 with
        | n when n < 1 || n > MaxShards -> usage $"--shards = {n}: allowed 1 to {MaxShards}"
        | n -> n

    let basis = basisOf costsPath
    let ctx, _, _ = jobContext services ui job out false defaultCheckpoints
    let units = jobPlan ctx
    let costs = Plan.costs basis (RateLab.Analysis.Sections.Units.keys units)

    let divided = RateLab.Analysis.Sections.Units.shares units |> List.map fst |> set

    let work = Plan.assignWithShares shards divided costs
    let loads = Plan.shareLoads shards work

    let unit' =
        match basis with
        | Plan.UnitCount -> "units"
        | Plan.Measured _ -> "s"

    let basisText =
        match basis with
        | Plan.UnitCount -> "unit count"
        | Plan.Measured p -> "measured seconds from " + p

    let o = JsonObject()
    o["command"] <- JsonValue.Create job.Command

    o["claims"] <-
        (match job.Claims with
         | Some c -> JsonValue.Create c
         | None -> null)

    o["profile"] <- JsonValue.Create job.Profile
    o["cost_basis"] <- JsonValue.Create basisText
    o["shards"] <- JsonValue.Create shards
    let units = JsonArray()

    for k, c, s in work do
        let u = JsonObject()
        u["unit"] <- JsonValue.Create k
        u["cost"] <- JsonValue.Create c
        u["shard"] <- JsonValue.Create s
        units.Add u

    o["units"] <- units

    o["shard_loads"] <-
        JsonArray(
            loads
            |> Array.map (fun l -> JsonValue.Create l :> JsonNode |> Some |> Option.toObj)
        )

    let file = Path.Combine(out, "plan.json")
    AtomicFile.writeAllText file (o.ToJsonString(Text.Json.JsonSerializerOptions(WriteIndented = true)))
    let total = List.sumBy snd costs
    line ui $"{costs.Length} units, total cost {Format.num total} {unit'} ({basisText})"
    let largest, smallest = Format.num (Array.max loads), Format.num (Array.min loads)
    line ui $"{shards} shard(s): largest load {largest} {unit'}, smallest {smallest} {unit'}"
    line ui ("wrote " + file)

/// `ratelab merge`: the shards' caches copied into OUT/.cache (each entry checked), then the report rendered from it;
/// every unit is a cache hit, so the report equals a single-process run's, timing fields aside.
let private merge (services: Services) (ui: Ui) (args: ParseResults<MergeArgs>) =
    let dirs = args.GetResult MergeArgs.Dirs
    let out = args.GetResult(MergeArgs.Out, "merged")
    let jobs = jobsOf (args.TryGetResult MergeArgs.Jobs)
    let manifests = dirs |> List.map (fun d -> d, Plan.read d)
    let job = Plan.consistent manifests

    if job.Salt <> salt () then
        usage $"DIR = {dirs.Head}: written by {job.Salt}; allowed: shards of this version ({salt ()})"

    // Every input is checked before the first entry is copied: the options, the shards, then OUT.
    let store =
        Cache.under (Writer.reportDir (OutputDir.check "--out" out) job.Profile) job.Salt

    OutputDir.check "--out" store.Directory |> ignore

    let results =
        [ for d in dirs do
              for f in Cache.entries (Path.Combine(Writer.reportDir d job.Profile, ".cache")) ->
                  Cache.importEntry store f ]

    match
        results
        |> List.tryPick (function
            | Error m -> Some m
            | Ok _ -> None)
    with
    | Some message -> failwith message
    | None -> ()

    let copied = results |> List.filter ((=) (Ok true)) |> List.length
    let present = results.Length - copied
    line ui $"merge: {copied} cache entries copied, {present} already present, from {dirs.Length} shards"

    let plan =
        match job.Command, job.Claims with
        | "check", Some claims -> snd (checkJob services claims (Some job.Profile))
        | _ -> snd (reportJob services (Some job.Profile))

    let clock = Stopwatch.StartNew()

    let recomputed, _ =
        runJob services ui job out None Plan.UnitCount jobs false defaultCheckpoints plan

    let units = manifests |> List.collect (fun (_, m) -> m.Units)
    let timings = JsonObject()
    timings["units"] <- Plan.unitsNode units
    AtomicFile.writeAllText (Path.Combine(out, "timings.json")) (timings.ToJsonString())

    for d, m in manifests |> List.sortBy (fun (_, m) -> m.Shard.Index) do
        let times = $"wall {Ui.duration m.WallSeconds}, CPU {Ui.duration m.CpuSeconds}"
        line ui $"shard {m.Shard.Index}/{m.Shard.Count}: {m.Units.Length} units, {times} ({d})"

    let wall = manifests |> List.map (fun (_, m) -> m.WallSeconds)

    line
        ui
        ($"total CPU time of the shards {Ui.duration (manifests |> List.sumBy (fun (_, m) -> m.CpuSeconds))}; "
         + $"single-process time (sum of unit times) {Ui.duration (List.sumBy snd units)}; "
         + $"longest shard {Ui.duration (List.max wall)}; merge {Ui.duration clock.Elapsed.TotalSeconds}, "
         + $"{recomputed} configurations recomputed")

let private fit (services: Services) (ui: Ui) (args: ParseResults<FitArgs>) =
    let path = args.GetResult FitArgs.File
    let parsed = FitCsv.parse path (readFile "FILE" path)

    let input =
        { parsed with
            Window =
                args.TryGetResult FitArgs.Window
                |> Option.map FitCsv.window
                |> Option.defaultValue parsed.Window
            LogFactor =
                match args.TryGetResult FitArgs.Log_Power, args.TryGetResult FitArgs.Log_Of with
                | Some a, arg ->
                    match FitCsv.logFactor a arg with
                    | { Argument = RateLab.Analysis.Fits.LogCost } as f -> Some f
                    | _ when parsed.Epsilon.IsNone ->
                        usage "--log-of: d/eps and 1/eps need a file with an eps column (a cost fit); allowed: cost"
                    | f -> Some f
                | None, Some _ -> usage "--log-of: give --log-power A too; allowed only with --log-power"
                | None, None -> None }

    let table =
        { Caption = path
          Fit = services.FitCsv input
          TheorySlopes = [] }

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
/// Each typed option's value type, so a value Argu cannot convert is refused with what it must be (its own range is
/// checked after parsing).
let private optionTypes: Map<string, Type> =
    [ typeof<ReportArgs>
      typeof<RunArgs>
      typeof<ExactArgs>
      typeof<FitArgs>
      typeof<CheckArgs>
      typeof<MergeArgs>
      typeof<ExternalArgs>
      typeof<TrainArgs> ]
    |> List.collect (fun t ->
        [ for c in Reflection.FSharpType.GetUnionCases t do
              match c.GetFields() with
              | [| f |] ->
                  let name =
                      match c.GetCustomAttributes(typeof<CustomCommandLineAttribute>) with
                      | [| :? CustomCommandLineAttribute as a |] -> a.Name
                      | _ -> "--" + c.Name.ToLowerInvariant().Replace('_', '-')

                  yield name, f.PropertyType
              | _ -> () ])
    |> Map.ofList

/// What a value of an option's type must be, for Argu's conversion errors.
let private allowedValue (option: string) =
    match Map.tryFind option optionTypes with
    | Some t when t = typeof<int> -> Some $"an integer in [{Int32.MinValue}, {Int32.MaxValue}]"
    | Some t when t = typeof<int64> -> Some $"an integer in [{Int64.MinValue}, {Int64.MaxValue}]"
    | Some t when t = typeof<uint64> -> Some $"an integer in [0, {UInt64.MaxValue}]"
    | Some t when t = typeof<float> -> Some "a number such as 0.5 or 1e-3"
    | _ -> None

/// The commands, as refusals list them.
let private commands =
    "report, run, exact, fit, check, list, plan, merge, external, train"

let execute (services: Services) (ui: Ui) (argv: string[]) : int =
    let fail code (message: string) =
        ui.Err.WriteLine("ratelab: " + oneLine message)
        code

    try
        let parser = ArgumentParser.Create<Command>(programName = "ratelab")

        try
            match parser.ParseCommandLine(argv, raiseOnUsage = true).GetAllResults() with
            | [ Report a ] ->
                report services ui a
                0
            | [ Run a ] ->
                Run.run services ui a
                0
            | [ Exact a ] ->
                Exact.run services ui a
                0
            | [ Fit a ] ->
                fit services ui a
                0
            | [ Check a ] ->
                check services ui a
                0
            | [ List a ] ->
                list services ui a
                0
            | [ Plan a ] ->
                plan services ui a
                0
            | [ Merge a ] ->
                merge services ui a
                0
            | [ External a ] ->
                External.run
                    { Tables = Exact.exactTables
                      Json = Exact.exactJson }
                    ui
                    a
            | [ Train a ] ->
                Train.run ui a
                0
            | [] -> fail 2 $"no command given; expected one of {commands} (see ratelab --help)"
            | _ -> fail 2 "give exactly one command (see ratelab --help)"
        with
        | :? ArguParseException as ex when ex.ErrorCode = ErrorCode.HelpText ->
            ui.Out.WriteLine ex.Message
            0
        | :? ArguParseException as ex ->
            let first = (ex.Message.Replace("\r", "").Split('\n')[0]).Replace("ERROR: ", "")

            let conversion =
                Text.RegularExpressions.Regex.Match(first, "^parameter '(--[a-z-]+)' must be followed by")
            // A first word that is no command and no option is a misspelt command: list them.
            match argv |> Array.tryHead with
            | _ when conversion.Success && (allowedValue conversion.Groups[1].Value).IsSome ->
                fail 2 $"{first} allowed: {(allowedValue conversion.Groups[1].Value).Value} (see --help)"
            | Some word when not (word.StartsWith '-') && not (commands.Split(", ") |> Array.contains word) ->
                fail 2 $"{first} expected a command: {commands} (see --help)"
            | _ -> fail 2 $"{first} (see --help)"
    with ex ->
        match root ex with
        | :? ArgumentException as a ->
            // .NET appends " (Parameter 'name')" to the message; the message already names the parameter.
            let suffix =
                match a.ParamName with
                | null -> ""
                | p -> $" (Parameter '{p}')"

            fail
                2
                (if suffix <> "" && a.Message.EndsWith suffix then
                     a.Message.Substring(0, a.Message.Length - suffix.Length)
                 else
                     a.Message)
        | NotWired service -> fail 1 $"the {service} is not wired into this build yet"
        | e -> fail 1 e.Message
