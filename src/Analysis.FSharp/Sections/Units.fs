/// A report as a list of named units of work (one per section) that can be listed without running them, so a
/// report can be planned, split into shards and rebuilt from a merged cache.
module RateLab.Analysis.Sections.Units

open RateLab.Analysis.Report.Model

/// One section's builder: a stable id within its part and the thunk that computes it (through the report context).
type SectionUnit = { Id: string; Build: unit -> Section }

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
let keys (plan: ReportPlan) = [ for p in plan.Parts do for u in p.Units -> key p u ]

/// A unit whose section is announced through `announce` when built (the context's SectionDone).
let announced (announce: Section -> unit) id (build: unit -> Section) =
    { Id = id; Build = fun () -> let s = build () in announce s; s }

/// Runs the units `run` accepts, in report order, and returns the report of their sections; `run` sees each key
/// and the thunk, so it can time the unit, skip it (None) or announce it.
let build (run: string -> (unit -> Section) -> Section option) (plan: ReportPlan) : Report =
    { Title = plan.Title
      Parts =
        [ for p in plan.Parts ->
              { Slug = p.Slug
                Title = p.Title
                Intro = p.Intro
                Sections = p.Units |> List.choose (fun u -> run (key p u) u.Build) } ] }
