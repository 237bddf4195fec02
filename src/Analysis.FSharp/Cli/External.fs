/// `ratelab external SCRIPT.py:FUNCTION`: a Python sampler analysed like a built-in one (docs/bridge.md): the exact
/// figures per step count as `ratelab exact` prints them, NFE as counted by Python, an order fit over three or more
/// step counts, a comparison with a catalog sampler's exact law, and the claims of a claims file.
module RateLab.Analysis.Cli.External

open System
open System.Collections.Generic
open System.IO
open System.Text.Json.Nodes
open Argu
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Studies
open RateLab.Analysis.Report
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Cli.Arguments
open RateLab.Analysis.Cli.Ui
open RateLab.Analysis.External
open RateLab.Analysis.External.Protocol
open RateLab.Analysis.External.ExternalAnalysis

let private usage (message: string) : 'a = raise (ArgumentException message)

/// Relative difference within which the Python sampler's law must equal the reference's: both are float64 evaluations
/// of the same affine map through a few thousand operations, so rounding stays near 1e-13.
[<Literal>]
let MatchTolerance = 1e-10

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
    if not (File.Exists script) then usage $"SCRIPT = {script}: file not found; allowed: an existing Python file"
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
            | _ -> usage $"--steps = {text}: \"{s}\" is not an integer ≥ 1; allowed: counts like 8,16,32")
        |> List.ofArray
    if counts |> List.pairwise |> List.exists (fun (a, b) -> b <= a) then
        usage $"--steps = {text}: not strictly increasing; allowed: increasing counts like 8,16,32"
    counts

/// The metric an order fit and a single-number summary use: exact KL, or the E_draws KL upper bound.
let private klOf (o: Outcome) =
    o.Figures.Figures |> List.find (fun f -> f.Metric = ExactKl || f.Metric = KlUpper)

/// The error curve of one metric over the outcomes (for fits and claims).
let curveOf (sampler: ExternalSampler) (metric: MetricKind) (outcomes: Outcome list) : ErrorCurve =
    let first = List.head outcomes
    let figureOf (o: Outcome) =
        match o.Figures.Figures |> List.tryFind (fun f -> f.Metric = metric) with
        | Some f -> f
        | None ->
            let names = String.Join(", ", o.Figures.Figures |> List.map (fun f -> MetricNames.toName f.Metric))
            usage $"metric {MetricNames.toName metric} is not available for {o.Figures.Sampler}; available: {names}"
    { Sampler = $"{Path.GetFileName sampler.Script}:{sampler.Function}"
      Parameters = [ "kind", kindName sampler.Kind ]
      Target = $"{first.Figures.Target}(d={first.Figures.Dimension})"
      Dimension = first.Figures.Dimension
      Metric = metric
      Seeds = []
      Points =
        [ for o in outcomes ->
            { Steps = o.Figures.Steps; StepSize = nan; Nfe = o.Figures.Nfe; Depth = o.Result.Rounds
              Error = (figureOf o).Estimate } ]
      Method = ExactCurves.describe first.Result (figureOf first) }

/// The decay fit of KL against NFE, or why there is none.
let orderFit (curve: ErrorCurve) =
    let noFloors = Array.zeroCreate curve.Points.Length
    PowerLawFit.fitDecay PowerLawFit.defaultSettings RateFit.Nfe [ [ curve ], noFloors ] |> Result.map (fun f -> f.Fit)

/// One comparison with the reference at a step count: the largest relative difference over the law's means and
/// variances and the KL and W2 figures.
type Comparison = { Steps: int; Difference: float; Python: float; Catalog: float }

let private relative (x: float) (y: float) = if x = y then 0.0 else abs (x - y) / max (abs x) (abs y)

/// The catalog sampler `reference` on the same target, grid and step count, compared with the Python outcome.
let compare (reference: Component) (problem: Problem) (o: Outcome) : Comparison =
    let spec =
        { Name = "reference"; Sampler = reference; Target = problem.Target; Dimensions = [ problem.Dimension ]
          Metric = ExactKl; Steps = [ problem.Steps ]; Chains = 2; Seeds = [ problem.Seed ]; Profile = Quick
          Claims = [] }
    let p = Runner.exactPoint spec problem.Dimension problem.Steps
    if p.Result.Randomized || o.Result.Randomized then
        usage $"--reference = {reference.Name}: compares exact laws; allowed: deterministic samplers (no uniform draws)"
    let mine, theirs = o.Result.Law, p.Result.Law
    let entries =
        Array.append (Array.map2 relative mine.Mean theirs.Mean) (Array.map2 relative mine.Covariance theirs.Covariance)
    let kl, w2 = o.Result.MomentMatched, p.Result.MomentMatched
    { Steps = problem.Steps
      Difference = Array.max (Array.append entries [| relative kl.Kl w2.Kl; relative kl.W2 w2.W2 |])
      Python = kl.Kl
      Catalog = w2.Kl }

/// The verdict line of a reference comparison.
let verdict (name: string) (comparisons: Comparison list) =
    let worst = comparisons |> List.maxBy (fun c -> c.Difference)
    if worst.Difference <= MatchTolerance then
        true, $"matches {name}: largest relative difference {Format.num worst.Difference} over every step count "
              + $"(law and KL/W2; tolerance {MatchTolerance:g})"
    else
        false, $"DIFFERS from {name}: at n = {worst.Steps} the exact KL is {Format.num worst.Python} (Python) against "
               + $"{Format.num worst.Catalog} ({name}); largest relative difference {Format.num worst.Difference} "
               + $"(tolerance {MatchTolerance:g})"

/// The claims of `path`, each test's sampler named "external"; checked before any run.
let loadClaims (path: string) =
    if not (File.Exists path) then usage $"--claim = {path}: file not found"
    let claims =
        match Registry.parse (File.ReadAllText path) with
        | Ok cs -> cs
        | Error message -> usage $"{path}: {message}"
    claims |> List.iteri (fun i c ->
        if c.Form = Claim.Qualitative then
            usage $"{path}: claims[{i}] (id {c.Id}) is qualitative; allowed: cost or decay"
        if c.Tests.IsEmpty then usage $"{path}: claims[{i}] (id {c.Id}).tests is empty; allowed: at least one test"
        c.Tests |> List.iteri (fun j t ->
            let at = $"{path}: claims[{i}] (id {c.Id}).tests[{j}]"
            if t.Sampler.Name <> "external" then
                usage $"{at}.sampler.name = {t.Sampler.Name}; allowed: external (the sampler on the command line)"
            checkGrid (fun p -> $"{at}.sampler.parameters.{p}") t.Sampler
            Catalog.checkTarget (fun p -> $"{at}.target.parameters.{p}") (Catalog.target t.Target.Name) t.Target))
    claims

/// Runs the command; 0 on success, 1 when the sampler does not match --reference.
let run (exactTables: RateLab.Analysis.Cli.Services.ExactResult -> string)
        (exactJson: RateLab.Analysis.Cli.Services.ExactResult -> string) (ui: Ui) (args: ParseResults<ExternalArgs>) =
    let script, fn = parseSampler (args.GetResult ExternalArgs.Sampler)
    let sampler =
        { Script = script; Function = fn; Kind = parseKind (args.GetResult ExternalArgs.Kind)
          Backend = parseBackend (args.GetResult(ExternalArgs.Backend, "numpy")) }
    let d = RateLab.Core.Validation.Guard.AtLeast(args.GetResult ExternalArgs.Dimension, 1, "--d")
    let steps = parseSteps (args.GetResult ExternalArgs.Steps)
    let target =
        { Name = args.GetResult(ExternalArgs.Target, "gaussian-data")
          Parameters = parseAssignments "--target-param" (args.GetResults ExternalArgs.Target_Param) }
    Catalog.checkTarget (fun p -> $"--target-param {p}") (Catalog.target target.Name) target
    let grid = { Name = "grid"; Parameters = parseAssignments "--param" (args.GetResults ExternalArgs.Param) }
    checkGrid (fun p -> $"--param {p}") grid
    let replicates =
        RateLab.Core.Validation.Guard.AtLeast(args.GetResult(ExternalArgs.Replicates, 64), 2, "--replicates")
    let seed = args.GetResult(ExternalArgs.Seed, 1UL)
    let reference =
        args.TryGetResult ExternalArgs.Reference
        |> Option.map (fun name ->
            let own = parseAssignments "--reference-param" (args.GetResults ExternalArgs.Reference_Param)
            let c = { Name = name; Parameters = Map.fold (fun m k v -> Map.add k v m) grid.Parameters own }
            let entry = Catalog.sampler name
            if not entry.Diffusion then usage $"--reference = {name}: a Langevin sampler; allowed: a diffusion sampler"
            Catalog.checkSampler (fun p -> $"--reference-param {p}") entry c
            c)
    let claims = args.TryGetResult ExternalArgs.Claim |> Option.map loadClaims
    let python =
        args.TryGetResult ExternalArgs.Python
        |> Option.orElse (Option.ofObj (Environment.GetEnvironmentVariable "RATELAB_PYTHON"))
        |> Option.defaultValue (if File.Exists DebianPython then DebianPython else "python3")
    use bridge = new Session.Bridge(python, Session.bridgeDirectory (args.TryGetResult ExternalArgs.Bridge))
    bridge.Ask(Protocol.load sampler.Script sampler.Function sampler.Kind sampler.Backend) |> ignore
    let memo = Dictionary<string, Outcome>()
    let analysed (problem: Problem) =
        let key =
            toCanonicalJson
                { Name = ""; Sampler = problem.Grid; Target = problem.Target; Dimensions = [ problem.Dimension ]
                  Metric = ExactKl; Steps = [ problem.Steps ]; Chains = problem.Replicates; Seeds = [ problem.Seed ]
                  Profile = Quick; Claims = [] }
        match memo.TryGetValue key with
        | true, o -> o
        | _ ->
            let o = analyse bridge sampler problem
            memo[key] <- o
            o
    let problemAt n = { Target = target; Grid = grid; Dimension = d; Steps = n; Seed = seed; Replicates = replicates }
    let outcomes = steps |> List.map (problemAt >> analysed)
    let fit = if steps.Length >= 3 then Some(orderFit (curveOf sampler (klOf outcomes.Head).Metric outcomes)) else None
    let matched =
        reference |> Option.map (fun r ->
            let shown = r.Parameters |> Map.toList |> List.map (fun (k, v) -> $"{k}={showParam v}") |> String.concat ","
            let name = if shown = "" then r.Name else $"{r.Name}({shown})"
            verdict name (List.map2 (fun n o -> compare r (problemAt n) o) steps outcomes))
    let sections =
        claims |> Option.map (List.map (fun c ->
            let ctx : Context.ReportContext =
                { Profile = Quick
                  Run = fun spec ->
                    spec.Dimensions |> List.map (fun dim ->
                        let at n = analysed { Target = spec.Target; Grid = spec.Sampler; Dimension = dim; Steps = n
                                              Seed = List.head spec.Seeds; Replicates = max 2 spec.Chains }
                        curveOf sampler spec.Metric (spec.Steps |> List.map at))
                  Cached = fun _ compute -> compute ()
                  SectionDone = ignore }
            c, RateLab.Analysis.Sections.ClaimSection.section ctx c))
    let probing (o: Outcome) =
        $"probing: {o.Rows} rows × {o.Figures.Steps} steps, Python {Format.num o.PythonSeconds} s"
    if args.Contains ExternalArgs.Json then
        let o = JsonObject()
        o["runs"] <- JsonArray(outcomes |> List.map (fun x ->
            let r = (nonNull (JsonNode.Parse(exactJson x.Figures))).AsObject()
            r["python_seconds"] <- ResultsJson.number x.PythonSeconds
            r["probe_rows"] <- JsonValue.Create x.Rows
            r :> JsonNode) |> Array.ofList)
        match fit with
        | Some(Ok f) ->
            let slope = List.last f.Slopes
            let node = JsonObject()
            node["regressor"] <- JsonValue.Create(List.last f.Regressors)
            node["order"] <- ResultsJson.number slope.Value
            node["interval"] <- JsonArray(ResultsJson.number slope.Lower, ResultsJson.number slope.Upper)
            node["level"] <- ResultsJson.number slope.Level
            o["fit"] <- node
        | Some(Error message) -> o["fit_error"] <- JsonValue.Create message
        | None -> ()
        matched |> Option.iter (fun (ok, line) ->
            let node = JsonObject()
            node["matches"] <- JsonValue.Create ok
            node["verdict"] <- JsonValue.Create line
            o["reference"] <- node)
        sections |> Option.iter (fun ss ->
            o["claims"] <- JsonArray(ss |> List.map (fun (c, s) ->
                let node = JsonObject()
                node["id"] <- JsonValue.Create c.Id
                node["verdict"] <- JsonValue.Create(VerdictNames.toName s.Verdict)
                node["reason"] <- JsonValue.Create s.Reason
                node :> JsonNode) |> Array.ofList))
        ui.Out.WriteLine(o.ToJsonString())
    else
        for x in outcomes do
            ui.Out.Write(exactTables x.Figures)
            ui.Out.WriteLine(probing x)
            ui.Out.WriteLine()
        match fit with
        | Some(Ok f) ->
            let table = { Caption = "KL against NFE"; Fit = f; TheorySlopes = [] }
            ui.Out.WriteLine "order fit of KL against NFE (slope of log(1/N) is the order in KL):"
            ui.Out.Write(Markdown.table Format.fitHeader (Format.fitRows table))
            ui.Out.WriteLine(Format.fitNote table)
        | Some(Error message) -> ui.Out.WriteLine $"order fit: none ({message})"
        | None -> ()
        matched |> Option.iter (snd >> ui.Out.WriteLine)
        sections |> Option.iter (List.iter (fun (c, s) -> ui.Out.WriteLine $"claim {c.Id}: {s.Reason}"))
    match matched with
    | Some(false, _) -> 1
    | _ -> 0
