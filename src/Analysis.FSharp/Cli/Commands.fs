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

/// The cache salt: the record format and the numerics version, not the commit, so a long run resumes from a
/// committed cache across sessions whose code changed elsewhere (the manifest still records the commit).
let salt () =
    Cache.FormatSalt + "/" + Cache.NumericsVersion

let private usage (message: string) = raise (ArgumentException message)

/// Runs a spec through the cache, one entry per dimension, so an interrupted run keeps every finished dimension.
/// The key leaves out the spec's name and claim list: they label a configuration without changing its numbers.
/// An untrusted cache entry is recomputed with one warning line on `warn`.
let cachedRun
    (services: Services)
    (warn: string -> unit)
    (store: Cache.Store)
    (start: string -> ProgressSink)
    (spec: ExperimentSpec)
    =
    spec.Dimensions
    |> List.map (fun d ->
        let one = { spec with Dimensions = [ d ] }
        // A target read from a file is keyed by the file's content as well as its path; a metric revised since the
        // numerics version by its revision.
        let key =
            let config =
                Spec.toCanonicalJson { one with Name = ""; Claims = [] }
                + Cache.revisionSuffix (MetricNames.toName spec.Metric)

            match Catalog.fileDigest spec.Sampler spec.Target with
            | "" -> config
            | digest -> config + "/files:" + digest

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
    if not (File.Exists path) then
        usage $"{option}: file not found: {path}"

    File.ReadAllText path

/// The checked output directory and the cache of a report written under `reportDir` (OUT itself, or OUT/full for the
/// full profile, so the full report and its cache can be committed together and a later session resumes from them),
/// with the temporaries of killed runs swept away. Runs before any experiment, so a bad --out costs nothing.
let private outputStore (out: string) (reportDir: string -> string) =
    let full = OutputDir.check "--out" out
    let store = Cache.under (reportDir full) (salt ())
    Cache.sweepStale store (Process.GetCurrentProcess().StartTime) |> ignore
    store

/// A cache warning: one line on stderr, the run goes on.
let private warning (ui: Ui) (message: string) =
    ui.Err.WriteLine("ratelab: warning: " + message)

/// The one-line announcement of a finished section.
let sectionLine (s: Section) =
    $"{Format.claims s}: {verdictText s.Verdict} — {s.Title}"

/// A job's runner: the report as units of work for a context; each unit runs its experiments through the cache.
type private JobPlan = ReportContext -> RateLab.Analysis.Sections.Units.ReportPlan

/// The context of a job in `out`, counting computations (cache misses) and late-bound to the progress display.
/// With `cachedOnly`, every cache miss raises NotInCache instead of computing.
let private jobContext
    (services: Services)
    (ui: Ui)
    (job: Plan.Job)
    (out: string)
    (cachedOnly: bool)
    (checkpoints: string)
    =
    // The output directory is checked (non-empty, creatable, writable) and swept of killed runs' temporaries first.
    let store = outputStore out (fun o -> Writer.reportDir o job.Profile)
    // Units may run on several threads: the count of computations is incremented atomically.
    let computed = ref 0

    // Called on every cache miss, before any work: counts the computation or, cached-only, refuses it.
    let miss (name: string) =
        if cachedOnly then
            raise (NotInCache name)

        Threading.Interlocked.Increment &computed.contents |> ignore

    let start = ref (fun (_: string) -> ignore: ProgressSink)

    let ctx =
        { Profile = profileOf (Some job.Profile)
          Run =
            cachedRun services (warning ui) store (fun name ->
                miss name
                start.Value name)
          Cached =
            fun key compute ->
                cachedNode (warning ui) store key (fun () ->
                    miss key
                    compute ())
          SectionDone = fun s -> line ui (sectionLine s)
          Checkpoints = checkpoints }

    ctx, computed, start

/// Runs `f`; a NotInCache it raises, also from inside parallel work, becomes Error with the missing entry's key.
let private pendingOr (f: unit -> 'T) : Result<'T, string> =
    let rec missing (e: exn) =
        match e with
        | NotInCache key -> Some key
        | :? AggregateException as a -> a.InnerExceptions |> Seq.tryPick missing
        | _ -> None

    try
        Ok(f ())
    with e ->
        match missing e with
        | Some key -> Error key
        | None -> reraise ()

/// The section a `--cached-only` report shows for a unit whose results are not all cached: it names the unit and
/// judges nothing. The missing entry goes to the console only: which entry a parallel unit misses first varies
/// from run to run, and a committed report must not.
let private pendingSection (job: Plan.Job) (unitKey: string) : Section =
    let resume =
        $"ratelab report --profile {job.Profile} --out DIR"
        + (if job.Command = "check" then
               " (or `ratelab check` with the same claims file)"
           else
               "")

    { Title = $"{unitKey}: not computed yet"
      ClaimIds = []
      Verdict = NotComputed
      Reason =
        $"This report was rendered with --cached-only and the cache lacks at least one result of unit {unitKey}; "
        + $"the claims it tests are not judged here. `{resume}` computes what is missing."
      Evidence = []
      Method = ""
      Fits = []
      Figures = []
      Curves = [] }

/// Runs a job in `out`: every unit, then the report and its manifest; or, with a shard, only that shard's units,
/// then shard.json (its units' wall seconds) and no report; `jobs` units run at once. Returns the number of
/// computations (cache misses) and the units' wall seconds.
let private runJob
    services
    ui
    (job: Plan.Job)
    out
    (shard: Plan.Shard option)
    basis
    (jobs: int)
    (cachedOnly: bool)
    (checkpoints: string)
    (plan: JobPlan)
    =
    let cpu0 = Process.GetCurrentProcess().TotalProcessorTime
    let clock = Stopwatch.StartNew()
    let ctx, computed, start = jobContext services ui job out cachedOnly checkpoints
    let units = plan ctx
    let costs = Plan.costs basis (RateLab.Analysis.Sections.Units.keys units)
    let divided = RateLab.Analysis.Sections.Units.shares units

    // A shard builds its whole units and computes its share of each divided one, whose section the merge builds.
    let mine, myShares =
        match shard with
        | None -> costs |> List.map fst |> set, []
        | Some s ->
            Plan.assignWithShares s.Count (divided |> List.map fst |> set) costs
            |> List.filter (fun (_, _, t) -> t = s.Index)
            |> List.map (fun (k, _, _) -> k)
            |> set,
            [ for k, share in divided -> Plan.shareKey k s.Index s.Count, (fun () -> share s.Index s.Count) ]

    let label =
        match shard with
        | Some s -> $"shard {s.Index}/{s.Count}: "
        | None -> ""

    // Shares first, one after another: each spreads its own computations over the cores.
    let shareTimes =
        [ for key, work in myShares ->
              let clock = Stopwatch.StartNew()
              work ()
              line ui $"{label}{key} done in {Ui.duration clock.Elapsed.TotalSeconds}"
              key, clock.Elapsed.TotalSeconds ]

    let built, times =
        withUnits ui label (costs |> List.filter (fst >> mine.Contains)) (fun start' run ->
            start.Value <- start'
            let times = Collections.Concurrent.ConcurrentQueue<string * float>()

            let pick key build =
                if mine.Contains key then
                    match pendingOr (fun () -> run key build) with
                    | Ok(s, seconds) ->
                        times.Enqueue(key, seconds)
                        Some s
                    | Error missing ->
                        ui.Err.WriteLine($"ratelab: {key}: first result not in the cache: {missing}")
                        let pending = pendingSection job key
                        ctx.SectionDone pending
                        Some pending
                else
                    None

            let cost = Map.ofList costs
            let built = RateLab.Analysis.Sections.Units.build jobs (fun k -> cost[k]) pick units
            // Report order, whichever order the units finished in.
            let rank = costs |> List.mapi (fun i (k, _) -> k, i) |> Map.ofList
            built, shareTimes @ (times |> List.ofSeq |> List.sortBy (fun (k, _) -> rank[k])))

    match shard with
    | Some s ->
        let costsFile =
            match basis with
            | Plan.Measured p -> Some(Path.GetFullPath p)
            | Plan.UnitCount -> None

        let m: Plan.ShardManifest =
            { Job = { job with Costs = costsFile }
              Shard = s
              Units = times
              WallSeconds = clock.Elapsed.TotalSeconds
              CpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds }

        AtomicFile.writeAllText (Path.Combine(out, Plan.ManifestFile)) (Plan.toJson m)
        let file = Path.Combine(out, Plan.ManifestFile)
        line ui $"{label}{times.Length} units done in {Ui.duration clock.Elapsed.TotalSeconds}; wrote {file}"
    | None ->
        let manifest = Manifest.collect job.Profile (Model.seeds built) clock.Elapsed
        Writer.write out built manifest
        line ui ("wrote " + Path.Combine(Writer.reportDir out job.Profile, "index.html"))

    computed.Value, times

let private basisOf (path: string option) =
    match path with
    | None -> Plan.UnitCount
    | Some p when File.Exists p -> Plan.Measured p
    | Some p -> usage $"--costs = {p}: file not found; allowed: a shard.json or timings.json of an earlier run"

/// The job and plan of `report` options.
let private reportJob (services: Services) (profileName: string option) : Plan.Job * JobPlan =
    let profile = profileOf profileName

    { Command = "report"
      Claims = None
      Profile = ProfileNames.toName profile
      Salt = salt ()
      Costs = None },
    services.BuildReport

/// The job and plan of `check` options; every claim is validated (schema, catalog names) before any work.
let private checkJob (services: Services) (path: string) (profileName: string option) : Plan.Job * JobPlan =
    if not (File.Exists path) then
        usage $"CLAIMS: file not found: {path}"

    let claims = services.LoadClaims path
    let profile = profileOf profileName

    { Command = "check"
      Claims = Some(Path.GetFullPath path)
      Profile = ProfileNames.toName profile
      Salt = salt ()
      Costs = None },
    fun ctx -> services.BuildCheck ctx claims

let private noShards (has: bool) =
    if has then
        usage "--shards: only with `ratelab plan`; to run one shard give --shard I/N"

/// Units run at once: --jobs, by default the machine's cores (each unit may itself use several).
let private jobsOf (jobs: int option) =
    match jobs with
    | None -> Environment.ProcessorCount
    | Some n when n >= 1 && n <= MaxJobs -> n
    | Some n -> usage $"--jobs = {n}: allowed 1 to {MaxJobs} (units run at once)"

/// --cached-only renders a report, which a shard does not write.
let private cachedOnlyOf (given: bool) (shard: Plan.Shard option) =
    if given && shard.IsSome then
        usage "--cached-only: renders a report from the cache; a --shard run writes no report, so not with --shard"

    given

/// --checkpoints, created and written to now, so a directory that cannot hold checkpoints fails before any work.
let private checkpointsOf (dir: string option) =
    match dir with
    | None -> defaultCheckpoints
    | Some d ->
        try
            let full = Path.GetFullPath d
            Directory.CreateDirectory full |> ignore
            let probe = Path.Combine(full, $".probe-{Guid.NewGuid():N}")
            File.WriteAllText(probe, "")
            File.Delete probe
            full
        with
        | :? IOException
        | :? UnauthorizedAccessException
        | :? ArgumentException
        | :? NotSupportedException as e ->
            usage
                $"--checkpoints = {d}: not a writable directory ({e.Message}); allowed: a directory this user can write"

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

/// `ratelab plan`: the units of a job with their costs and shards, printed and written to OUT/plan.json; nothing runs.
let private plan (services: Services) (ui: Ui) (args: ParseResults<PlanArgs>) =
    let (job, jobPlan), out, shards, costsPath =
        match args.GetAllResults() with
        | [ PlanArgs.Report a ] when a.Contains ReportArgs.Jobs -> noJobs ()
        | [ PlanArgs.Check a ] when a.Contains CheckArgs.Jobs -> noJobs ()
        | [ PlanArgs.Report a ] when a.Contains ReportArgs.Cached_Only -> noCachedOnly ()
        | [ PlanArgs.Check a ] when a.Contains CheckArgs.Cached_Only -> noCachedOnly ()
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
        RateLab.Core.Validation.Guard.AtLeast(defaultArg shards 1, 1, "--shards")

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
    let manifests = dirs |> List.map (fun d -> d, Plan.read d)
    let job = Plan.consistent manifests

    if job.Salt <> salt () then
        usage $"DIR = {dirs.Head}: written by {job.Salt}; allowed: shards of this version ({salt ()})"

    let store = Cache.under (Writer.reportDir out job.Profile) job.Salt

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
        runJob
            services
            ui
            job
            out
            None
            Plan.UnitCount
            (jobsOf (args.TryGetResult MergeArgs.Jobs))
            false
            defaultCheckpoints
            plan

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

/// The figures of a single run: error against NFE and, when there are at least two points, local slopes.
let runFigures (spec: ExperimentSpec) (curves: ErrorCurve list) =
    [ yield Figures.errorVsNfe "error-vs-nfe" $"{spec.Name}: error against NFE" curves
      if curves |> List.exists (fun c -> c.Points.Length >= 2) then
          yield Figures.localSlopes "local-slopes" $"{spec.Name}: local slopes" curves None ]

let private run (services: Services) (ui: Ui) (args: ParseResults<RunArgs>) =
    let path = args.GetResult RunArgs.Spec
    let spec = Spec.parse (readFile "SPEC" path)
    Preflight.checkSpec (Preflight.availableBytes ()) spec

    let monteCarlo =
        match spec.Metric with
        | SampleMetric _
        | StrongError -> true
        | _ -> false

    if monteCarlo && spec.Metric <> StrongError then
        MonteCarlo.check (Preflight.availableBytes ()) spec

    let kinetic = not monteCarlo && Runner.kinetic spec
    let out = args.GetResult(RunArgs.Out, DefaultOut)
    let store = outputStore out id

    let curves =
        withProgress ui (fun start -> cachedRun services (warning ui) store start spec)

    let dir = Path.Combine(out, spec.Name)
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
            | Some v ->
                o["kl"] <- ResultsJson.number v.Kl
                o["w2"] <- ResultsJson.number v.W2

                o["kind"] <-
                    JsonValue.Create(
                        if v.MomentMatched then
                            "moment-matched lower bound"
                        else
                            "exact"
                    )

                o["stationary_variance"] <- ResultsJson.number v.InverseMass
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

    let estimated (node: unit -> JsonNode) =
        optional (if Format.isExact e then None else Some(node ()))

    o["value"] <- ResultsJson.number e.Value
    o["std_error"] <- estimated (fun () -> ResultsJson.number e.StdError)
    o["interval"] <- estimated (fun () -> JsonArray(ResultsJson.number e.Lower, ResultsJson.number e.Upper))
    o["level"] <- estimated (fun () -> JsonValue.Create e.Level)
    o["kind"] <- text (ExactCurves.boundText f.Bound)

    o["evaluation"] <-
        text (
            match f.Evaluation with
            | ExactCurves.ClosedForm -> "closed form"
            | ExactCurves.QuadratureOrEnumeration -> "quadrature or enumeration"
            | ExactCurves.MonteCarlo _ -> "monte carlo"
        )

    o["replicates"] <-
        optional (
            match f.Evaluation with
            | ExactCurves.MonteCarlo r -> Some(JsonValue.Create r)
            | _ -> None
        )

    o["unit"] <- text (ExactCurves.unitText (ExactCurves.unitOf f.Metric))
    o

/// "exact", or "moment-matched lower bound" where a randomized kernel's law is replaced by its moment-matched Gaussian.
let private velocityKind (v: Runner.VelocityMoments) =
    if v.MomentMatched then
        "moment-matched lower bound"
    else
        "exact"

// The velocity entry of `exact --json`: the same fields as `run`'s results.json.
let private velocityJson (v: Runner.VelocityMoments) : JsonNode =
    let o = JsonObject()
    o["kl"] <- ResultsJson.number v.Kl
    o["w2"] <- ResultsJson.number v.W2
    o["kind"] <- text (velocityKind v)
    o["stationary_variance"] <- ResultsJson.number v.InverseMass
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
    o["velocity"] <- optional (r.Velocity |> Option.map velocityJson)
    o.ToJsonString()

/// The two tables of `exact`: the run, then one row per figure with its error, interval, kind, evaluation and unit.
let exactTables (r: ExactResult) =
    let nfe =
        if r.NfeChains > 1 then
            $"{Format.num r.Nfe} (mean over {r.NfeChains} chains)"
        else
            Format.num r.Nfe

    let run =
        [ [ "sampler"; r.Sampler ]
          [ "target"; r.Target ]
          [ "d"; string r.Dimension ]
          [ "steps"; string r.Steps ]
          [ "NFE"; nfe ] ]

    let row (f: ExactCurves.Figure) =
        let e = f.Estimate
        let exact = Format.isExact e

        [ exactKey f.Metric
          Format.num e.Value
          (if exact then "—" else Format.num e.StdError)
          (if exact then
               "—"
           else
               $"[{Format.num e.Lower}, {Format.num e.Upper}] at {Format.num e.Level}")
          ExactCurves.boundText f.Bound
          ExactCurves.evaluationText f.Evaluation
          ExactCurves.unitText (ExactCurves.unitOf f.Metric) ]

    let header =
        [ "metric"; "value"; "std. error"; "interval"; "kind"; "evaluation"; "unit" ]

    let velocity =
        match r.Velocity with
        | None -> ""
        | Some v ->
            let header =
                [ "velocity vs N(0, u I)"; "KL (nats)"; "W2 (target length unit)"; "kind"; "u" ]

            "\n"
            + Markdown.table
                header
                [ [ "v"
                    Format.num v.Kl
                    Format.num v.W2
                    velocityKind v
                    Format.num v.InverseMass ] ]

    Markdown.table [ "quantity"; "value" ] run
    + "\n"
    + Markdown.table header (r.Figures |> List.map row)
    + velocity

let private exact (services: Services) (ui: Ui) (args: ParseResults<ExactArgs>) =
    let d =
        RateLab.Core.Validation.Guard.AtLeast(args.GetResult ExactArgs.Dimension, 1, "--d")

    let steps =
        RateLab.Core.Validation.Guard.AtLeast(args.GetResult ExactArgs.Steps, 1, "--steps")

    let component' name (assignments: string list) option =
        { Name = name
          Parameters = Spec.parseAssignments option assignments }

    let query =
        { Sampler = component' (args.GetResult ExactArgs.Sampler) (args.GetResults ExactArgs.Param) "--param"
          Target =
            component' (args.GetResult ExactArgs.Target) (args.GetResults ExactArgs.Target_Param) "--target-param"
          Dimension = d
          Steps = steps
          Seed = args.GetResult(ExactArgs.Seed, 1UL)
          Replicates =
            RateLab.Core.Validation.Guard.AtLeast(args.GetResult(ExactArgs.Replicates, 256), 2, "--replicates") }

    Preflight.checkExact (Preflight.availableBytes ()) query.Sampler query.Target d steps query.Replicates
    Catalog.gaussianAt "--target" query.Target d |> ignore
    let r = services.ExactEval query

    if args.Contains ExactArgs.Json then
        ui.Out.WriteLine(exactJson r)
    else
        ui.Out.Write(exactTables r)

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
                | Some a, arg -> Some(FitCsv.logFactor a arg)
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
                run services ui a
                0
            | [ Exact a ] ->
                exact services ui a
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
                    { Tables = exactTables
                      Json = exactJson }
                    ui
                    a
            | [ Train a ] ->
                Train.run ui a
                0
            | [] ->
                let commands = "report, run, exact, fit, check, list, plan, merge, external, train"
                fail 2 $"no command given; expected one of {commands} (see ratelab --help)"
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
