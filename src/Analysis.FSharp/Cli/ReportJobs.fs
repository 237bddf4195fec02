/// The jobs of `report` and `check` (and of `plan` and `merge`, which plan and render them): their context over the
/// cache, the units they run, whole or as one shard, and the options that shape them.
module RateLab.Analysis.Cli.ReportJobs

open System
open System.Diagnostics
open System.IO
open RateLab.Analysis.Experiments
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Report
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Cli.Arguments
open RateLab.Analysis.Cli.Services
open RateLab.Analysis.Cli.Ui
open RateLab.Analysis.Cli.CommandKit

/// A job's runner: the report as units of work for a context; each unit runs its experiments through the cache.
type JobPlan = ReportContext -> RateLab.Analysis.Sections.Units.ReportPlan

/// The context of a job in `out`, counting computations (cache misses) and late-bound to the progress display.
/// With `cachedOnly`, every cache miss raises NotInCache instead of computing.
let jobContext (services: Services) (ui: Ui) (job: Plan.Job) (out: string) (cachedOnly: bool) (checkpoints: string) =
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
let runJob
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

/// The cost basis of --costs, its file read once here so a file that is not a timings file is refused before the
/// output directory is touched.
let basisOf (path: string option) =
    match path with
    | None -> Plan.UnitCount
    | Some p when File.Exists p ->
        Plan.costs (Plan.Measured p) [] |> ignore
        Plan.Measured p
    | Some p -> usage $"--costs = {p}: file not found; allowed: a shard.json or timings.json of an earlier run"

/// The job and plan of `report` options.
let reportJob (services: Services) (profileName: string option) : Plan.Job * JobPlan =
    let profile = profileOf profileName

    { Command = "report"
      Claims = None
      Profile = ProfileNames.toName profile
      Salt = salt ()
      Costs = None },
    services.BuildReport

/// The job and plan of `check` options; every claim is validated (schema, catalog names) before any work.
let checkJob (services: Services) (path: string) (profileName: string option) : Plan.Job * JobPlan =
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

let noShards (has: bool) =
    if has then
        usage "--shards: only with `ratelab plan`; to run one shard give --shard I/N"

/// Units run at once: --jobs, by default the machine's cores (each unit may itself use several).
let jobsOf (jobs: int option) =
    match jobs with
    | None -> Environment.ProcessorCount
    | Some n when n >= 1 && n <= MaxJobs -> n
    | Some n -> usage $"--jobs = {n}: allowed 1 to {MaxJobs} (units run at once)"

/// --cached-only renders a report, which a shard does not write.
let cachedOnlyOf (given: bool) (shard: Plan.Shard option) =
    if given && shard.IsSome then
        usage "--cached-only: renders a report from the cache; a --shard run writes no report, so not with --shard"

    given

/// --checkpoints, created and written to now, so a directory that cannot hold checkpoints fails before any work.
let checkpointsOf (dir: string option) =
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
