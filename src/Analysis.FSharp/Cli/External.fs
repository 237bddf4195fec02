/// `ratelab external SCRIPT.py:FUNCTION`: a Python sampler analysed like a built-in one (docs/bridge.md). This module
/// reads the options, starts the bridge and runs the analyses; External/ holds the analysis, comparison, curves and
/// output.
module RateLab.Analysis.Cli.External

open System
open System.Collections.Generic
open System.IO
open Argu
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Cli.Arguments
open RateLab.Analysis.Cli.Ui
open RateLab.Analysis.External
open RateLab.Analysis.External.Protocol
open RateLab.Analysis.External.ExternalAnalysis

let private usage (message: string) : 'a = raise (ArgumentException message)

/// Debian's interpreter, where python3-numpy and python3-torch install (deploy/setup-debian.sh); a python3 earlier on
/// PATH (a virtual environment) often lacks NumPy.
[<Literal>]
let DebianPython = "/usr/bin/python3"

/// The script (full path) and function of SCRIPT.py:FUNCTION; the last ':' splits, so a drive letter is kept.
let parseSampler (text: string) =
    let i = text.LastIndexOf ':'

    if i <= 0 || i = text.Length - 1 then
        usage $"SCRIPT.py:FUNCTION = {text}: expected a Python file and a function name separated by ':'"

    let script = text.Substring(0, i)

    if not (File.Exists script) then
        usage $"SCRIPT = {script}: file not found; allowed: an existing Python file"

    Path.GetFullPath script, text.Substring(i + 1)

let parseKind (text: string) =
    match text with
    | "kdiffusion" -> KDiffusion
    | "step" -> Step
    | other -> usage $"--kind = {other}: unknown; allowed: kdiffusion, step"

let parseBackend (text: string) =
    match text with
    | "numpy" -> NumPy
    | "torch" -> Torch
    | other -> usage $"--backend = {other}: unknown; allowed: numpy, torch"

/// Comma-separated step counts, each ≥ 1, strictly increasing.
let parseSteps (text: string) =
    let counts =
        text.Split(',', StringSplitOptions.TrimEntries)
        |> Array.map (fun s ->
            match Int32.TryParse s with
            | true, n when n >= 1 -> n
            | _ ->
                usage
                    $"--steps = {text}: \"{s}\" is not an integer in [1, {Int32.MaxValue}]; allowed: counts like 8,16,32")
        |> List.ofArray

    if counts |> List.pairwise |> List.exists (fun (a, b) -> b <= a) then
        usage $"--steps = {text}: not strictly increasing; allowed: increasing counts like 8,16,32"

    counts

/// The reference component: the catalog sampler with the grid's parameters and its own.
let private referenceOf (grid: Component) (args: ParseResults<ExternalArgs>) =
    if
        not (args.Contains ExternalArgs.Reference)
        && args.Contains ExternalArgs.Reference_Param
    then
        usage "--reference-param: only with --reference NAME, whose parameters it sets"

    args.TryGetResult ExternalArgs.Reference
    |> Option.map (fun name ->
        if not (Catalog.samplers |> List.exists (fun e -> e.Name = name && e.Diffusion)) then
            let diffusion =
                String.Join(
                    ", ",
                    Catalog.samplers
                    |> List.filter (fun e -> e.Diffusion)
                    |> List.map (fun e -> e.Name)
                )

            usage $"--reference = {name}: not a diffusion sampler of the catalog; allowed: {diffusion}"

        let own =
            parseAssignments "--reference-param" (args.GetResults ExternalArgs.Reference_Param)

        let c =
            { Name = name
              Parameters = Map.fold (fun m k v -> Map.add k v m) grid.Parameters own }

        let entry = Catalog.sampler name
        Catalog.checkSampler (fun p -> $"--reference-param {p}") entry c
        c)

/// The analysis of each problem once per command (claims may ask for the same step count again).
let private memoised (bridge: Session.Bridge) (sampler: ExternalSampler) =
    let memo = Dictionary<string, Outcome>()

    fun (problem: Problem) ->
        let key =
            toCanonicalJson
                { Name = ""
                  Sampler = problem.Grid
                  Target = problem.Target
                  Dimensions = [ problem.Dimension ]
                  Metric = ExactKl
                  Steps = [ problem.Steps ]
                  Chains = problem.Replicates
                  Seeds = [ problem.Seed ]
                  Profile = Quick
                  Claims = [] }

        match memo.TryGetValue key with
        | true, o -> o
        | _ ->
            let o = analyse bridge sampler problem
            memo[key] <- o
            o

/// Runs the command; 0 on success, 1 when the sampler does not match --reference.
let run (format: ExternalReport.Formatters) (ui: Ui) (args: ParseResults<ExternalArgs>) =
    let script, fn = parseSampler (args.GetResult ExternalArgs.Sampler)

    let sampler =
        { Script = script
          Function = fn
          Kind = parseKind (args.GetResult ExternalArgs.Kind)
          Backend = parseBackend (args.GetResult(ExternalArgs.Backend, "numpy")) }

    let d =
        RateLab.Core.Validation.Guard.AtLeast(args.GetResult ExternalArgs.Dimension, 1, "--d")

    let steps = parseSteps (args.GetResult ExternalArgs.Steps)

    let target =
        { Name = args.GetResult(ExternalArgs.Target, "gaussian-data")
          Parameters = parseAssignments "--target-param" (args.GetResults ExternalArgs.Target_Param) }

    if not (Catalog.targets |> List.exists (fun e -> e.Name = target.Name)) then
        let known = String.Join(", ", Catalog.targets |> List.map (fun e -> e.Name))
        usage $"--target = {target.Name}: unknown; allowed: {known}"

    Catalog.checkTarget (fun p -> $"--target-param {p}") (Catalog.target target.Name) target

    let grid =
        { Name = "grid"
          Parameters = parseAssignments "--param" (args.GetResults ExternalArgs.Param) }

    checkGrid (fun p -> $"--param {p}") grid

    let replicates =
        RateLab.Core.Validation.Guard.AtLeast(args.GetResult(ExternalArgs.Replicates, 64), 2, "--replicates")

    let seed = args.GetResult(ExternalArgs.Seed, 1UL)
    // The exact engine's share of the work is that of the grid's catalog stand-in on the same target: its memory
    // (and d's range for the target) is checked before the bridge starts.
    Preflight.checkExact
        (Preflight.availableBytes ())
        (ExternalAnalysis.gridComponent grid)
        target
        d
        (List.max steps)
        replicates

    let reference = referenceOf grid args

    let claims =
        args.TryGetResult ExternalArgs.Claim |> Option.map ExternalCurves.loadClaims

    let python =
        args.TryGetResult ExternalArgs.Python
        |> Option.orElse (Option.ofObj (Environment.GetEnvironmentVariable "RATELAB_PYTHON"))
        |> Option.defaultValue (if File.Exists DebianPython then DebianPython else "python3")

    use bridge =
        new Session.Bridge(python, Session.bridgeDirectory (args.TryGetResult ExternalArgs.Bridge))

    bridge.Ask(Protocol.load sampler.Script sampler.Function sampler.Kind sampler.Backend)
    |> ignore

    let analysed = memoised bridge sampler

    let problemAt n =
        { Target = target
          Grid = grid
          Dimension = d
          Steps = n
          Seed = seed
          Replicates = replicates }

    let outcomes = steps |> List.map (problemAt >> analysed)

    let findings: ExternalReport.Findings =
        { Outcomes = outcomes
          Fit =
            if steps.Length < 3 then
                None
            else
                let metric = ExternalCurves.klMetric outcomes.Head
                Some(ExternalCurves.orderFit (ExternalCurves.curveOf sampler metric outcomes))
          Reference =
            reference
            |> Option.map (fun r ->
                let comparisons =
                    List.map2 (fun n o -> ReferenceMatch.compare r (problemAt n) o) steps outcomes

                ReferenceMatch.verdict (ReferenceMatch.referenceName r) comparisons)
          Claims =
            claims
            |> Option.map (List.map (fun c -> c, ExternalCurves.claimSection sampler analysed c)) }

    if args.Contains ExternalArgs.Json then
        ui.Out.WriteLine(ExternalReport.json format findings)
    else
        ui.Out.Write(ExternalReport.tables format findings)

    match findings.Reference with
    | Some(false, _) -> 1
    | _ -> 0
