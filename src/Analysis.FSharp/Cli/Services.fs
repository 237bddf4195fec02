/// The dependencies of the command line as a record of plain functions, so the real samplers, exact engine, fits
/// and claims registry plug in from one wiring file and tests plug in fakes.
module RateLab.Analysis.Cli.Services

open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Studies

/// Receives the fraction of an experiment done, in [0, 1].
type ProgressSink = float -> unit

/// One exact evaluation: a sampler on a Gaussian target after a number of steps.
type ExactQuery =
    {
        Sampler: Component
        Target: Component
        Dimension: int
        Steps: int
        /// Seed of the per-run draws of randomized samplers (schedules, midpoints).
        Seed: uint64
        /// Draw replicates behind a randomized sampler's E_draws bounds.
        Replicates: int
    }

/// The result of an exact evaluation: the cost and every figure the engine produced, each labelled exact value or
/// bound and with how it was evaluated.
type ExactResult =
    {
        Sampler: string
        Target: string
        Dimension: int
        Steps: int
        /// Score evaluations per chain: the count of one chain, or the mean over NfeChains chains of a randomized kernel.
        Nfe: float
        /// Chains behind Nfe (1 for a deterministic kernel, whose count is exact).
        NfeChains: int
        Figures: ExactCurves.Figure list
        /// The velocity's law against its stationary law N(0, u I), for kinetic samplers (two state blocks); None else.
        Velocity: Runner.VelocityMoments option
    }

/// The columns of a fit input file: cost and error, optionally the dimension d and accuracy ε of each row.
type FitInput =
    {
        Cost: float[]
        Error: float[]
        Dimension: float[] option
        Epsilon: float[] option
        /// Which points a decay fit uses (--window; Auto by default).
        Window: RateLab.Analysis.Fits.FitWindow.WindowChoice
        /// A log factor divided out of the response before fitting (--log-power, --log-of; None by default).
        LogFactor: RateLab.Analysis.Fits.LogFactor option
    }

/// Everything the commands need from the rest of RateLab.
type Services =
    {
        /// Runs a spec whose Dimensions holds exactly one d; returns its error curve. Unknown sampler/target names or
        /// bad parameters raise ArgumentException (usage error, exit 2).
        RunExperiment: ExperimentSpec -> ProgressSink -> ErrorCurve
        /// Fits the rows of a fit input file.
        FitCsv: FitInput -> FitResult
        /// Exact law of a sampler on a Gaussian target.
        ExactEval: ExactQuery -> ExactResult
        /// (name, one-line description) of every sampler.
        ListSamplers: unit -> (string * string) list
        /// (name, one-line description) of every target.
        ListTargets: unit -> (string * string) list
        /// (id, one-line statement) of every claim.
        ListClaims: unit -> (string * string) list
        /// The whole report for a profile as units of work; running a unit runs its experiments through the context.
        BuildReport: ReportContext -> RateLab.Analysis.Sections.Units.ReportPlan
        /// Reads and validates a claims file (docs/claims.md), checking that every sampler and target is in the catalog;
        /// a defect raises ArgumentException naming the field (usage error, exit 2).
        LoadClaims: string -> RateLab.Analysis.Claims.Claim.Claim list
        /// The report of `ratelab check` as units of work: one section per claim, through the context.
        BuildCheck:
            ReportContext -> RateLab.Analysis.Claims.Claim.Claim list -> RateLab.Analysis.Sections.Units.ReportPlan
    }

/// Raised by a service that has not been connected to its implementation: a failure (exit 1), not a usage error.
exception NotWired of service: string

/// Services before wiring: every call fails with a one-line message naming the missing service.
let unwired: Services =
    { RunExperiment = fun _ _ -> raise (NotWired "experiment runner")
      FitCsv = fun _ -> raise (NotWired "fits")
      ExactEval = fun _ -> raise (NotWired "exact Gaussian engine")
      ListSamplers = fun () -> raise (NotWired "sampler registry")
      ListTargets = fun () -> raise (NotWired "target registry")
      ListClaims = fun () -> raise (NotWired "claims registry")
      BuildReport = fun _ -> raise (NotWired "report builder")
      LoadClaims = fun _ -> raise (NotWired "claims reader")
      BuildCheck = fun _ _ -> raise (NotWired "claim checker") }
