/// What the commands share: the default output directory, the cache salt and store, the cached runs of specs and
/// studies, the checked reading of input files and the one-line usage error.
module RateLab.Analysis.Cli.CommandKit

open System
open System.Diagnostics
open System.IO
open System.Text.Json.Nodes
open RateLab.Analysis.Experiments
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Report
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Cli.Services
open RateLab.Analysis.Cli.Ui

/// Output directory when --out is not given.
[<Literal>]
let DefaultOut = "reports"

/// The cache salt: the record format and the numerics version, not the commit, so a long run resumes from a
/// committed cache across sessions whose code changed elsewhere (the manifest still records the commit).
let salt () =
    Cache.FormatSalt + "/" + Cache.NumericsVersion

let usage (message: string) = raise (ArgumentException message)

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
            // N* searches run one spec per probed step count under one name: the steps tell the lines apart.
            let steps =
                match spec.Steps with
                | [] -> "none"
                | [ n ] -> $"{n}"
                | first :: rest -> $"{first}..{List.last rest}"

            let sink = start $"{spec.Name} d={d} steps={steps}"
            let curve = services.RunExperiment one sink
            sink 1.0
            curve))

/// Any JSON-valued computation through the cache, keyed by its own configuration string; an untrusted entry is
/// recomputed with one warning line on `warn`.
let cachedNode (warn: string -> unit) (store: Cache.Store) (key: string) (compute: unit -> JsonNode) : JsonNode =
    let keyNode = JsonObject()
    keyNode["study"] <- JsonValue.Create key
    Cache.getOrComputeReporting warn store id id (keyNode.ToJsonString()) compute

let profileOf (name: string option) =
    match name with
    | None -> Quick
    | Some n ->
        match ProfileNames.tryParse n with
        | Some p -> p
        | None -> usage $"--profile: expected quick or full, got \"{n}\""

let readFile (option: string) (path: string) =
    if Directory.Exists path then
        usage $"{option}: {path} is a directory; expected a file"

    if not (File.Exists path) then
        usage $"{option}: file not found: {path}"

    File.ReadAllText path

/// The checked output directory and the cache of a report written under `reportDir` (OUT itself, or OUT/full for the
/// full profile, so the full report and its cache can be committed together and a later session resumes from them),
/// with the temporaries of killed runs swept away. Runs before any experiment, so a bad --out costs nothing.
let outputStore (out: string) (reportDir: string -> string) =
    let full = OutputDir.check "--out" out
    let store = Cache.under (reportDir full) (salt ())
    // An existing .cache must be a writable directory too; a missing one is created in OUT, checked above, on the
    // first entry (so `plan` leaves none).
    if File.Exists store.Directory || Directory.Exists store.Directory then
        OutputDir.check "--out" store.Directory |> ignore

    // Pages and figures are written atomically too: their temporaries are swept wherever they lie under OUT.
    AtomicFile.sweepStale full (Process.GetCurrentProcess().StartTime) |> ignore
    store

/// A cache warning: one line on stderr, the run goes on.
let warning (ui: Ui) (message: string) =
    ui.Err.WriteLine("ratelab: warning: " + message)

/// The one-line announcement of a finished section.
let sectionLine (s: Section) =
    $"{Format.claims s}: {verdictText s.Verdict} — {s.Title}"

/// "exact", or "moment-matched lower bound" where a randomized kernel's law is replaced by its moment-matched Gaussian.
let velocityKind (v: Runner.VelocityMoments) =
    if v.MomentMatched then
        "moment-matched lower bound"
    else
        "exact"

/// The velocity's law against its stationary law N(0, u I) as the fields kl, w2, kind and stationary_variance of `o`:
/// the same in `run`'s results.json and in `exact --json`.
let writeVelocity (o: JsonObject) (v: Runner.VelocityMoments) =
    o["kl"] <- ResultsJson.number v.Kl
    o["w2"] <- ResultsJson.number v.W2
    o["kind"] <- JsonValue.Create(velocityKind v)
    o["stationary_variance"] <- ResultsJson.number v.InverseMass
