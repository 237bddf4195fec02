/// A report as a list of named units of work (one per section) that can be listed without running them, so a
/// report can be planned, split into shards and rebuilt from a merged cache.
module RateLab.Analysis.Sections.Units

open System
open System.Collections.Concurrent
open System.Runtime.ExceptionServices
open System.Threading.Tasks
open RateLab.Analysis.Report.Model

/// One section's builder: a stable id within its part and the thunk that computes it (through the report context).
/// `Share`, for a unit whose work is many independent computations (a training study's runs), computes share i of n
/// of them into the cache without building the section, so that n shards can divide one long unit between them and
/// the merge builds its section from their caches.
type SectionUnit =
    { Id: string
      Build: unit -> Section
      Share: (int -> int -> unit) option }

/// A part whose sections are not built yet.
type PartPlan =
    { Slug: string
      Title: string
      Intro: string
      Units: SectionUnit list }

/// A report whose sections are not built yet.
type ReportPlan = { Title: string; Parts: PartPlan list }

/// The unit's key across the report: "part/section".
let key (p: PartPlan) (u: SectionUnit) = $"{p.Slug}/{u.Id}"

/// Every unit key in report order.
let keys (plan: ReportPlan) =
    [ for p in plan.Parts do
          for u in p.Units -> key p u ]

/// A unit whose section is announced through `announce` when built (the context's SectionDone).
let announced (announce: Section -> unit) id (build: unit -> Section) =
    { Id = id
      Build =
        fun () ->
            let s = build () in
            announce s
            s
      Share = None }

/// The unit, with `share i n` computing share i of n of its work for the shards (see SectionUnit).
let shared (share: int -> int -> unit) (u: SectionUnit) = { u with Share = Some share }

/// The units that shards divide, by key, with their share functions, in report order.
let shares (plan: ReportPlan) =
    [ for p in plan.Parts do
          for u in p.Units do
              match u.Share with
              | Some share -> key p u, share
              | None -> () ]

/// Runs the units `run` accepts, up to `degree` at a time, costliest first by `cost` (so the units started last are
/// short ones and the cores finish together), and returns the report of their sections in report order, whatever
/// order they finished in. Units share nothing but the cache, whose entries are written atomically, and every draw
/// is keyed by seed, so the sections do not depend on `degree`. `run` sees each key and the thunk, so it can time
/// the unit, skip it (None) or announce it; it must be safe to call from `degree` threads at once.
let build
    (degree: int)
    (cost: string -> float)
    (run: string -> (unit -> Section) -> Section option)
    (plan: ReportPlan)
    : Report =
    let units =
        [| for p in plan.Parts do
               for u in p.Units -> key p u, u.Build |]

    let sections: Section option[] = Array.zeroCreate units.Length

    let runAt i =
        let k, b = units[i] in sections[i] <- run k b

    if degree <= 1 then
        for i in 0 .. units.Length - 1 do
            runAt i
    else
        // List.sortByDescending is stable: equal costs keep report order.
        let order =
            [ 0 .. units.Length - 1 ]
            |> List.sortByDescending (fun i -> cost (fst units[i]))

        let options = ParallelOptions(MaxDegreeOfParallelism = degree)

        try
            Parallel.ForEach(Partitioner.Create(order, EnumerablePartitionerOptions.NoBuffering), options, runAt)
            |> ignore
        with :? AggregateException as a ->
            // The first unit's own error, as a sequential run would have raised it, with its stack trace.
            ExceptionDispatchInfo.Capture(a.InnerExceptions[0]).Throw()

    let starts = plan.Parts |> List.scan (fun start p -> start + p.Units.Length) 0

    { Title = plan.Title
      Parts =
        [ for p, start in List.zip plan.Parts (List.take plan.Parts.Length starts) ->
              { Slug = p.Slug
                Title = p.Title
                Intro = p.Intro
                Sections = sections[start .. start + p.Units.Length - 1] |> Array.choose id |> List.ofArray } ] }
