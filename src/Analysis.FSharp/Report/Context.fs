/// What a report builder gets from whoever runs it (the command line, `check`, tests): the profile and functions that
/// run every computation through the cache, so an interrupted report resumes and a cached one costs nothing.
module RateLab.Analysis.Report.Context

open System.Text.Json.Nodes
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Report.Model

/// The report's view of its runner.
type ReportContext =
    {
        Profile: Profile
        /// Runs an experiment through the cache (one entry per dimension) with progress; one curve per dimension.
        Run: ExperimentSpec -> ErrorCurve list
        /// Any other computation through the cache: a key naming the configuration (with a version tag of the study)
        /// and the computation, whose result is JSON.
        Cached: string -> (unit -> JsonNode) -> JsonNode
        /// Announces a finished section (one line with its verdict).
        SectionDone: Section -> unit
        /// Where long computations keep their resumable state (training checkpoints): never read as results, and
        /// shared between machines it lets a computation interrupted on one continue on another.
        Checkpoints: string
    }

/// Checkpoints by default: the machine's temp directory, so a resumed run continues only on the same machine.
let defaultCheckpoints =
    System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ratelab-checkpoints")

/// Raised by a `--cached-only` runner in place of a computation whose result is not in the cache; the runner turns
/// the unit that raised it into a "not computed yet" section, so a report can be rendered from a partial cache.
exception NotInCache of key: string
