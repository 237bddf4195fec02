/// Splitting a report into shards: unit costs, a deterministic balanced assignment, and the shard manifest that
/// `merge` reads back. A unit is one report section (see Sections/Units.fs).
module RateLab.Analysis.Cli.Plan

open System
open System.IO
open System.Text.Json.Nodes

/// Shard Index of Count, 0 ≤ Index < Count.
type Shard = { Index: int; Count: int }

/// Parses "I/N" (the value of --shard).
let parseShard (text: string) : Shard =
    let bad () =
        raise (ArgumentException($"--shard = \"{text}\" is out of range; allowed: I/N with integers 0 ≤ I < N"))

    match text.Split '/' with
    | [| i; n |] ->
        match Int32.TryParse i, Int32.TryParse n with
        | (true, i), (true, n) when n >= 1 && i >= 0 && i < n -> { Index = i; Count = n }
        | _ -> bad ()
    | _ -> bad ()

/// Where a unit's cost comes from.
type CostBasis =
    /// Every unit costs 1: balances the number of units.
    | UnitCount
    /// Wall seconds recorded by a previous run (a shard manifest or a merge's timings.json).
    | Measured of path: string

/// The key under which shard `index` of `count` records its share of a unit the shards divide.
let shareKey (unitKey: string) (index: int) (count: int) = $"{unitKey}[{index}/{count}]"

/// Whether `key` is a share (`shareKey`) of the unit `unitKey`.
let private isShareOf (unitKey: string) (key: string) =
    key.StartsWith(unitKey + "[", StringComparison.Ordinal) && key.EndsWith(']')

/// Unit costs in report order: measured seconds where recorded; a unit without a record gets the mean of the
/// recorded ones (1 when none matches), so a new section never lands on a shard for free.
let costs (basis: CostBasis) (keys: string list) : (string * float) list =
    match basis with
    | UnitCount -> keys |> List.map (fun k -> k, 1.0)
    | Measured path ->
        let recorded =
            try
                match JsonNode.Parse(File.ReadAllText path) with
                | :? JsonObject as o ->
                    match o["units"] with
                    | :? JsonObject as units ->
                        [ for kv in units do
                              match kv.Value with
                              | :? JsonValue as v -> kv.Key, v.GetValue<float>()
                              | _ -> () ]
                        |> Map.ofList
                    | _ -> raise (ArgumentException($"--costs = {path}: no \"units\" object"))
                | _ -> raise (ArgumentException($"--costs = {path}: not a JSON object"))
            with
            | :? Text.Json.JsonException
            | :? FormatException
            | :? InvalidOperationException -> raise (ArgumentException($"--costs = {path}: not a timings file"))

        // A unit the shards divided was recorded as its shares (`shareKey`): its cost is their sum.
        let find (k: string) =
            match Map.tryFind k recorded with
            | Some c -> Some c
            | None ->
                let shares = recorded |> Map.filter (fun r _ -> isShareOf k r)

                if shares.IsEmpty then None else Some(Seq.sum shares.Values)

        let known = keys |> List.choose find
        let fallback = if known.IsEmpty then 1.0 else List.average known

        keys |> List.map (fun k -> k, find k |> Option.defaultValue fallback)

/// Longest-processing-time greedy: units by decreasing cost (report order breaks ties), each to the least loaded
/// shard (lowest index breaks ties). Deterministic, every unit in exactly one shard, and no shard exceeds the mean
/// load by more than the largest unit's cost. Returns the shard index of each unit, in report order.
let assign (shards: int) (units: (string * float) list) : (string * int) list =
    if shards < 1 then
        raise (ArgumentException($"shards = {shards} is out of range; allowed: ≥ 1", "shards"))

    let load = Array.zeroCreate<float> shards

    let chosen =
        units
        |> List.indexed
        |> List.sortBy (fun (i, (_, c)) -> -c, i)
        |> List.map (fun (i, (_, c)) ->
            let s = Array.IndexOf(load, Array.min load)
            load[s] <- load[s] + c
            i, s)
        |> Map.ofList

    units |> List.mapi (fun i (k, _) -> k, chosen[i])

/// The load of each shard under an assignment.
let loads (shards: int) (units: (string * float) list) (assignment: (string * int) list) =
    let shardOf = Map.ofList assignment
    Array.init shards (fun s -> units |> List.sumBy (fun (k, c) -> if shardOf[k] = s then c else 0.0))


/// Each shard's work, as (key, cost, shard) in report order: a unit in `divided` gives every shard one share of it
/// at 1/shards of its cost, keyed by `shareKey`; the other units are assigned whole by `assign`.
let assignWithShares (shards: int) (divided: Set<string>) (units: (string * float) list) =
    let shardOf =
        assign shards (units |> List.filter (fst >> divided.Contains >> not))
        |> Map.ofList

    [ for k, c in units do
          if divided.Contains k then
              for i in 0 .. shards - 1 -> shareKey k i shards, c / float shards, i
          else
              yield k, c, shardOf[k] ]

/// The load of each shard under `assignWithShares`.
let shareLoads (shards: int) (work: (string * float * int) list) =
    Array.init shards (fun s -> work |> List.sumBy (fun (_, c, t) -> if t = s then c else 0.0))

/// What produced a shard, so `merge` can rebuild the same report: command, claims file, profile and cache salt; and
/// the costs file the assignment used, since shards balanced by different costs would not partition the units.
type Job =
    { Command: string
      Claims: string option
      Profile: string
      Salt: string
      Costs: string option }

/// A finished shard: its job, its place, and the wall seconds of each of its units.
type ShardManifest =
    { Job: Job
      Shard: Shard
      Units: (string * float) list
      WallSeconds: float
      CpuSeconds: float }

/// The file a finished shard leaves in its output directory; its absence means the shard did not finish.
[<Literal>]
let ManifestFile = "shard.json"

let private jobNode (j: Job) (o: JsonObject) =
    o["command"] <- JsonValue.Create j.Command

    o["claims"] <-
        (match j.Claims with
         | Some c -> JsonValue.Create c
         | None -> null)

    o["profile"] <- JsonValue.Create j.Profile
    o["salt"] <- JsonValue.Create j.Salt

    o["costs"] <-
        (match j.Costs with
         | Some c -> JsonValue.Create c
         | None -> null)

/// The "units" object: unit key → seconds (also the format `--costs` reads).
let unitsNode (units: (string * float) list) =
    let u = JsonObject()

    for k, s in units do
        u[k] <- JsonValue.Create(Math.Round(s, 3))

    u

/// The manifest as JSON.
let toJson (m: ShardManifest) =
    let o = JsonObject()
    jobNode m.Job o
    o["shard"] <- JsonValue.Create m.Shard.Index
    o["shards"] <- JsonValue.Create m.Shard.Count
    o["wall_seconds"] <- JsonValue.Create(Math.Round(m.WallSeconds, 3))
    o["cpu_seconds"] <- JsonValue.Create(Math.Round(m.CpuSeconds, 3))
    o["units"] <- unitsNode m.Units
    o.ToJsonString(Text.Json.JsonSerializerOptions(WriteIndented = true))

/// Reads the manifest of a shard directory; a missing or malformed one is a usage error naming the directory.
/// A manifest field, or a FormatException naming it when it is missing.
let private requiredField (o: JsonNode) (name: string) =
    match o[name] with
    | null -> raise (FormatException $"field \"{name}\" is missing")
    | n -> n

/// A manifest field's value, or a FormatException naming the field when it has another type.
let private valueOf<'T> (name: string) (n: JsonNode) =
    try
        n.GetValue<'T>()
    with :? InvalidOperationException ->
        raise (FormatException $"field \"{name}\" is not a {typeof<'T>.Name}")

let read (dir: string) : ShardManifest =
    let file = Path.Combine(dir, ManifestFile)

    if not (File.Exists file) then
        raise (
            ArgumentException($"DIR = {dir} has no {ManifestFile}; allowed: the output directory of a finished shard")
        )

    try
        let o = JsonNode.Parse(File.ReadAllText file) |> nonNull
        let required = requiredField o
        let get name = valueOf name (required name)

        let optional (name: string) =
            match o[name] with
            | null -> None
            | c -> Some(valueOf<string> name c)

        let units =
            match required "units" with
            | :? JsonObject as u -> [ for kv in u -> kv.Key, valueOf<float> $"units.{kv.Key}" (nonNull kv.Value) ]
            | _ -> raise (FormatException "field \"units\" is not an object")

        { Job =
            { Command = get "command"
              Claims = optional "claims"
              Profile = get "profile"
              Salt = get "salt"
              Costs = optional "costs" }
          Shard =
            { Index = get "shard"
              Count = get "shards" }
          Units = units
          WallSeconds = get "wall_seconds"
          CpuSeconds = get "cpu_seconds" }
    with
    | :? ArgumentException -> reraise ()
    | ex -> raise (ArgumentException($"DIR = {dir}: {ManifestFile} is malformed ({ex.Message})"))

/// Checks that manifests describe the shards of one job, each shard exactly once; the job.
let consistent (manifests: (string * ShardManifest) list) : Job =
    match manifests with
    | [] -> raise (ArgumentException "DIR: no shard directories given; allowed: one or more")
    | (_, first) :: _ ->
        for dir, m in manifests do
            if m.Job <> first.Job || m.Shard.Count <> first.Shard.Count then
                let other = fst manifests.Head

                raise (
                    ArgumentException(
                        $"DIR = {dir} belongs to another job than {other} "
                        + "(command, claims, profile, version, costs file or shard count differ)"
                    )
                )

        let seen = manifests |> List.map (fun (_, m) -> m.Shard.Index)

        match seen |> List.countBy id |> List.tryFind (fun (_, n) -> n > 1) with
        | Some(i, _) -> raise (ArgumentException($"DIR: shard {i}/{first.Shard.Count} is given twice"))
        | None -> ()

        match [ 0 .. first.Shard.Count - 1 ] |> List.except seen with
        | [] -> first.Job
        | missing ->
            let names =
                missing |> List.map (fun i -> $"{i}/{first.Shard.Count}") |> String.concat ", "

            raise (ArgumentException($"DIR: shard(s) {names} missing; allowed: every shard of the job once"))
