/// The command-line grammar (Argu). Values Argu cannot check (profile names, list kinds, name=value parameters)
/// are checked by the commands, with messages that name the option.
module RateLab.Analysis.Cli.Arguments

open Argu
open RateLab.Boltzmann

[<Literal>]
let private ShardUsage =
    "I/N: run only shard I (0-based) of N and write its cache and shard.json, no report; combine with `ratelab merge`."

[<Literal>]
let private CostsUsage =
    "timings of a previous run (a shard.json or a merge's timings.json) that balance the shards (default: unit count)."

[<Literal>]
let private ShardsUsage =
    "with `plan`: the number of shards to show the assignment for (default 1)."

/// The most units `--jobs` runs at once.
[<Literal>]
let MaxJobs = 256

[<Literal>]
let private JobsUsage =
    "units of work run at once, 1 to 256 (default: the number of cores); the results do not depend on it."

let private CachedOnlyUsage =
    "render the report from the cache: no cached experiment is computed, and a section whose cached results are not "
    + "all there is shown as 'not computed yet' (for a long profile still being computed); the few sections that "
    + "cache nothing (studies of under a minute) are computed as usual. Not with --shard."

/// `ratelab report`.
type ReportArgs =
    | [<Unique>] Profile of name: string
    | [<Unique>] Out of dir: string
    | [<Unique>] Shard of spec: string
    | [<Unique>] Costs of path: string
    | [<Unique>] Shards of n: int
    | [<Unique>] Jobs of n: int
    | [<Unique>] Cached_Only
    | [<Unique>] Checkpoints of dir: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Profile _ -> "quick (CI-sized, the default) or full (the published report)."
            | Out _ -> "output directory (default: reports/); results are cached in DIR/.cache and reused."
            | Shard _ -> ShardUsage
            | Costs _ -> CostsUsage
            | Shards _ -> ShardsUsage
            | Jobs _ -> JobsUsage
            | Cached_Only -> CachedOnlyUsage
            | Checkpoints _ ->
                "directory of the training study's checkpoints (default: the system temp directory); a shared one lets "
                + "a run interrupted on one machine resume on another. Never read as results."

/// `ratelab run`.
type RunArgs =
    | [<MainCommand; ExactlyOnce>] Spec of path: string
    | [<Unique>] Out of dir: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Spec _ -> "experiment spec (JSON; schema in docs/spec-schema.md)."
            | Out _ -> "output directory (default: reports/); results are cached in DIR/.cache and reused."

/// `ratelab exact`.
type ExactArgs =
    | [<Mandatory; Unique>] Sampler of name: string
    | [<Mandatory; Unique>] Target of name: string
    | [<Mandatory; Unique; CustomCommandLine("--d")>] Dimension of d: int
    | [<Mandatory; Unique>] Steps of n: int
    | Param of assignment: string
    | Target_Param of assignment: string
    | [<Unique>] Seed of seed: uint64
    | [<Unique>] Replicates of r: int
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Sampler _ -> "sampler name (see `ratelab list samplers`)."
            | Target _ -> "Gaussian target name (see `ratelab list targets`)."
            | Dimension _ -> "dimension d ≥ 1."
            | Steps _ -> "number of steps ≥ 1."
            | Param _ -> "sampler parameter name=value, e.g. h=0.1; repeatable."
            | Target_Param _ -> "target parameter name=value, e.g. m=1; repeatable."
            | Seed _ -> "seed of the per-run draws of randomized samplers (default 1)."
            | Replicates _ ->
                "draw replicates R ≥ 2 of a randomized sampler (default 256): its Monte Carlo bounds and their standard "
                + "errors, and its NFE (a mean over R chains); cost ∝ R."
            | Json -> "print one JSON object instead of tables: every figure with its error, kind, evaluation and unit."

/// `ratelab fit`.
type FitArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | [<Unique>] Window of range: string
    | [<Unique>] Log_Power of a: float
    | [<Unique>] Log_Of of argument: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "CSV with a header and columns cost,error[,d,eps]."
            | Window _ ->
                "points of a decay fit: auto (the default), all, or FROM:TO (costs, inclusive). The auto rule: "
                + RateLab.Analysis.Fits.FitWindow.describe RateLab.Analysis.Fits.FitWindow.defaultRule
                + "."
            | Log_Power _ ->
                "fit error ∝ (ln X)^A·N^(−p) (or a cost law with that factor): A·log(ln X) is divided out first."
            | Log_Of _ -> "X of --log-power: cost (the default), d/eps or 1/eps (the last two for cost fits)."

/// `ratelab check`.
type CheckArgs =
    | [<MainCommand; ExactlyOnce>] Claims of path: string
    | [<Unique>] Profile of name: string
    | [<Unique>] Out of dir: string
    | [<Unique>] Shard of spec: string
    | [<Unique>] Costs of path: string
    | [<Unique>] Shards of n: int
    | [<Unique>] Jobs of n: int
    | [<Unique>] Cached_Only

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Claims _ -> "claims file (JSON; format in docs/claims.md)."
            | Profile _ -> "quick (the default) or full: which grid of each claim's tests to run."
            | Out _ -> "output directory (default: check/); results are cached in DIR/.cache and reused."
            | Shard _ -> ShardUsage
            | Costs _ -> CostsUsage
            | Shards _ -> ShardsUsage
            | Jobs _ -> JobsUsage
            | Cached_Only -> CachedOnlyUsage

/// `ratelab list`.
type ListArgs =
    | [<MainCommand; ExactlyOnce>] What of kind: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | What _ -> "samplers, targets or claims."

/// `ratelab plan`: the units of work of a report or check, without running them.
type PlanArgs =
    | [<CliPrefix(CliPrefix.None)>] Report of ParseResults<ReportArgs>
    | [<CliPrefix(CliPrefix.None)>] Check of ParseResults<CheckArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Report _ -> "plan `ratelab report` with these options."
            | Check _ -> "plan `ratelab check` with these options."

/// `ratelab merge`.
type MergeArgs =
    | [<MainCommand; ExactlyOnce>] Dirs of dir: string list
    | [<Unique>] Out of dir: string
    | [<Unique>] Jobs of n: int

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Dirs _ -> "the output directories of every shard of one job."
            | Out _ -> "output directory of the merged report (default: merged/)."
            | Jobs _ -> JobsUsage

/// `ratelab external`: a Python sampler through the step protocol (docs/bridge.md).
type ExternalArgs =
    | [<MainCommand; ExactlyOnce>] Sampler of script_function: string
    | [<Mandatory; Unique>] Kind of kind: string
    | [<Unique>] Backend of backend: string
    | [<Unique>] Target of name: string
    | Target_Param of assignment: string
    | [<Mandatory; Unique; CustomCommandLine("--d")>] Dimension of d: int
    | [<Mandatory; Unique>] Steps of counts: string
    | Param of assignment: string
    | [<Unique>] Seed of seed: uint64
    | [<Unique>] Replicates of r: int
    | [<Unique>] Reference of name: string
    | Reference_Param of assignment: string
    | [<Unique>] Claim of path: string
    | [<Unique>] Python of path: string
    | [<Unique>] Bridge of dir: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Sampler _ -> "SCRIPT.py:FUNCTION, the Python sampler to analyse."
            | Kind _ -> "kdiffusion (sampler(model, x, sigmas, ...)) or step (step(x, t, t_next, score, noise))."
            | Backend _ -> "numpy (the default) or torch: the arrays the sampler gets."
            | Target _ -> "Gaussian target name (default gaussian-data; see `ratelab list targets`)."
            | Target_Param _ -> "target parameter name=value; repeatable."
            | Dimension _ -> "dimension d ≥ 1."
            | Steps _ -> "step counts, comma-separated (e.g. 8,16,32,64); three or more also fit the order."
            | Param _ ->
                "grid or start parameter as for the catalog's diffusion samplers (grid=log-snr|edm|ou-time|list, "
                + "tau_max, tau_min, rho, final_zero, levels, start=standard|sigma-max|exact); repeatable."
            | Seed _ -> "seed of the sampler's uniform() draws (default 1)."
            | Replicates _ -> "draw replicates R ≥ 2 of a sampler that calls uniform() (default 64); cost ∝ R."
            | Reference _ -> "catalog sampler whose exact law the Python one must match (1e-10 relative); else exit 1."
            | Reference_Param _ -> "parameter of the reference sampler name=value (e.g. eta=1); repeatable."
            | Claim _ -> "claims file (docs/claims.md) whose tests name the sampler \"external\"; prints each verdict."
            | Python _ -> "Python interpreter (default: $RATELAB_PYTHON, else /usr/bin/python3 if present, or python3)."
            | Bridge _ -> "folder holding ratelab_bridge (default: $RATELAB_BRIDGE, else the repository bridge/python)."
            | Json -> "print one JSON object instead of tables."

/// `ratelab train`: a Boltzmann sampler trained with one objective, then evaluated (docs/spec-schema.md).
type TrainArgs =
    | [<Mandatory; Unique>] Target of name: string
    | [<Mandatory; Unique>] Objective of name: string
    | [<Mandatory; Unique>] Iterations of n: int64
    | [<Unique>] Grid of kind: string
    | [<Unique>] Steps of n: int
    | [<Unique>] Ratio of rho: float
    | [<Unique>] Batch of b: int
    | [<Unique>] Width of w: int
    | [<Unique>] Harmonics of h: int
    | [<Unique>] Seed of seed: uint64
    | [<Unique>] Learned_Variance
    | [<Unique>] Exploration of f: float
    | [<Unique>] Lr of rate: float
    | [<Unique>] Lr_Flow of rate: float
    | [<Unique>] Lambda of lambda: float
    | [<Unique>] Eval_Steps of counts: string
    | [<Unique>] Eval_Samples of k: int
    | [<Unique>] Checkpoint of dir: string
    | [<Unique>] Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Target _ -> "benchmark: 25gmm (d = 2), funnel (d = 10) or manywell (d = 32)."
            | Objective _ -> "tb, vargrad, db, subtb or kl (trajectory balance, VarGrad, detailed balance, SubTB, PIS)."
            | Iterations _ -> "training iterations ≥ 1 (Adam steps, one batch each)."
            | Grid _ -> "training time grid: uniform (the default), random (bounded ratio ρ) or shifted (equidistant)."
            | Steps _ -> "N_train, steps of the training grid (default 100)."
            | Ratio _ ->
                $"ρ ≥ 1 of the random grid, the bound on max Δt / min Δt (default {TrainingDefaults.Ratio}; only with --grid random)."
            | Batch _ -> $"trajectories per iteration B ≥ 2 (default {TrainingDefaults.BatchSize})."
            | Width _ -> $"hidden width of the drift and flow networks (default {TrainingDefaults.Width})."
            | Harmonics _ -> $"Fourier harmonics of the time embedding (default {TrainingDefaults.Harmonics})."
            | Seed _ -> "seed of the parameters, the training draws and the evaluation draws (default 1)."
            | Learned_Variance -> "learn a log-variance correction of the policy's noise."
            | Exploration _ -> "off-policy exploration standard deviation f ≥ 0 per step (default 0; not with kl)."
            | Lr _ -> $"policy learning rate > 0 (default {TrainingDefaults.PolicyLearningRate})."
            | Lr_Flow _ ->
                $"learning rate of log Z (tb) or the state flow (db, subtb); default {TrainingDefaults.LogZLearningRate} for tb, {TrainingDefaults.FlowLearningRate} else."
            | Lambda _ ->
                $"λ > 0 of SubTB's geometric weights (default {TrainingDefaults.SubTbLambda}; only with subtb)."
            | Eval_Steps _ -> "uniform evaluation grids, comma-separated step counts (default 100 and N_train)."
            | Eval_Samples _ ->
                $"K ≥ 2 trajectories per evaluation (default {TrainingDefaults.EvaluationSamples}); W2 costs O(K³)."
            | Checkpoint _ -> "directory of checkpoints: the run resumes from its own and saves one every quarter."
            | Json -> "print one JSON object instead of tables."

/// The sub-commands.
type Command =
    | [<CliPrefix(CliPrefix.None)>] Report of ParseResults<ReportArgs>
    | [<CliPrefix(CliPrefix.None)>] Run of ParseResults<RunArgs>
    | [<CliPrefix(CliPrefix.None)>] Exact of ParseResults<ExactArgs>
    | [<CliPrefix(CliPrefix.None)>] Fit of ParseResults<FitArgs>
    | [<CliPrefix(CliPrefix.None)>] Check of ParseResults<CheckArgs>
    | [<CliPrefix(CliPrefix.None)>] List of ParseResults<ListArgs>
    | [<CliPrefix(CliPrefix.None)>] Plan of ParseResults<PlanArgs>
    | [<CliPrefix(CliPrefix.None)>] Merge of ParseResults<MergeArgs>
    | [<CliPrefix(CliPrefix.None)>] External of ParseResults<ExternalArgs>
    | [<CliPrefix(CliPrefix.None)>] Train of ParseResults<TrainArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Report _ -> "run every claim's experiments (cached) and write the report."
            | Run _ -> "run one experiment spec and write its curves and figures."
            | Exact _ -> "exact law of a sampler on a Gaussian target: KL/W2 (or bounds) and NFE."
            | Fit _ -> "fit error against cost from a CSV file and print the fit."
            | Check _ -> "check the claims of a claims file against catalog samplers and write a report with verdicts."
            | List _ -> "list samplers, targets or claims."
            | Plan _ -> "list the units of work of a report or check with cost estimates and their shards (plan.json)."
            | Merge _ -> "merge the caches of finished shards and write the report, as one process would."
            | External _ -> "exact law, order fit and claim checks of a Python sampler through the step protocol."
            | Train _ ->
                "train a Boltzmann sampler (TB, VarGrad, DB, SubTB or KL) and evaluate it against the untrained one."
