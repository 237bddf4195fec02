/// Connects the command line to the real RateLab: the catalog and runner, the exact analysis, the fits, the claims
/// registry and the report sections.
module RateLab.Analysis.Cli.Wiring

open System
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Studies
open RateLab.Analysis.Sections
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Cli.Services

/// `ratelab fit`: with an eps column, a cost fit of log cost on log d and log(1/eps); otherwise a decay fit of
/// log error on log(1/cost) (and log d when the d column varies), on the points --window chooses. --log-power divides
/// the log factor out of the response first.
let fitInput (input: FitInput) : FitResult =
    let dims =
        input.Dimension
        |> Option.defaultValue (Array.create input.Cost.Length 1.0)
        |> Array.map int

    let exactValue v =
        { Value = v
          Lower = v
          Upper = v
          StdError = nan
          Level = 0.95 }

    let subject: RateFit.FitSubject =
        { Sampler = "input"
          Parameters = []
          Target = "input"
          Metric = SampleMetric "input"
          Seeds = [] }

    let settings =
        { PowerLawFit.defaultSettings with
            Window = input.Window
            LogFactor = input.LogFactor }

    if input.Epsilon.IsSome && input.Window <> FitWindow.Auto then
        raise (
            System.ArgumentException(
                "--window: applies to decay fits only; allowed: no --window for a file with an eps column "
                + "(a cost fit uses every row)"
            )
        )

    let result =
        match input.Epsilon with
        | Some eps ->
            let points =
                Array.init input.Cost.Length (fun i ->
                    let found: NStar.NStarResult =
                        { NStar = Some(int (round input.Cost[i]))
                          Epsilon = eps[i]
                          Evaluated = [] }

                    dims[i], found)
                |> List.ofArray

            PowerLawFit.fitCost settings subject points
        | None ->
            let groups =
                Array.zip3 dims input.Cost input.Error
                |> Array.groupBy (fun (d, _, _) -> d)
                |> Array.map (fun (d, rows) ->
                    let curve =
                        { Sampler = "input"
                          Parameters = []
                          Target = "input"
                          Dimension = d
                          Metric = SampleMetric "input"
                          Seeds = []
                          Method = "input file"
                          Points =
                            [ for (_, c, e) in rows ->
                                  { Steps = int (round c)
                                    StepSize = nan
                                    Nfe = c
                                    Depth = nan
                                    Error = exactValue e } ] }

                    [ curve ], Array.zeroCreate rows.Length)
                |> List.ofArray

            PowerLawFit.fitDecay settings RateFit.Nfe groups

    match result with
    | Ok fit -> fit.Fit
    | Error message -> raise (System.ArgumentException message)

/// `ratelab exact`: one exact evaluation through the same runner the report uses.
let exactEval (q: ExactQuery) : ExactResult =
    let spec =
        { Name = "exact"
          Sampler = q.Sampler
          Target = q.Target
          Dimensions = [ q.Dimension ]
          Metric = ExactKl
          Steps = [ q.Steps ]
          Chains = q.Replicates
          Seeds = [ q.Seed ]
          Profile = Quick
          Claims = [] }

    let p = Runner.exactPoint spec q.Dimension q.Steps

    { Sampler = q.Sampler.Name
      Target = q.Target.Name
      Dimension = q.Dimension
      Steps = q.Steps
      Nfe = p.Nfe
      NfeChains = (if p.Result.Randomized then p.Result.Upper.Replicates else 1)
      Figures = ExactCurves.figures p.Result
      Velocity = Runner.velocity spec q.Dimension q.Steps }

/// The whole report as units of work: one part per area.
let buildReport (ctx: ReportContext) : Units.ReportPlan =
    { Title = "RateLab report"
      Parts =
        [ LangevinSection.part ctx
          DiffusionSection.part ctx
          WorkPrecisionSection.part ctx
          ClaimsSection.part ctx
          BoltzmannSection.part ctx ] }

/// Whether each evidence metric of a claim test can be measured on its sampler and target (an exact metric on a
/// Gaussian target, a sample metric where the sampler's score field exists, ...), checked by the runner's own
/// preflight at the quick grid's first point and refused with the claims file's path to the field at fault.
let private checkEvidence
    (path: string)
    (i: int)
    (c: RateLab.Analysis.Claims.Claim.Claim)
    (j: int)
    (test: RateLab.Analysis.Claims.Claim.ClaimTest)
    =
    let at = $"{path}: claims[{i}] (id {c.Id}).tests[{j}]"

    let target =
        match test.Sweep with
        | Some p ->
            { test.Target with
                Parameters = test.Target.Parameters.Add(p, Number(List.head test.Quick.Values)) }
        | None -> test.Target

    test.Evidence
    |> List.iteri (fun k ev ->
        let spec = ClaimJudging.specOf Quick c { test with Target = target } ev.Metric

        try
            Runner.checkMetric spec
        with :? SpecException as e ->
            let field =
                match e.Path with
                | "spec.metric" -> $"{at}.evidence[{k}].metric"
                | "spec.chains" -> $"{at}.quick.replicates"
                | p when p.StartsWith("spec.dimensions", StringComparison.Ordinal) -> $"{at}.quick.dimensions"
                | p when p.StartsWith("spec.", StringComparison.Ordinal) -> at + p.Substring 4
                | p -> $"{at}: {p}"

            raise (SpecException(field, e.Problem)))

/// `ratelab check`: a claims file read and validated, every catalog name looked up before any work.
let loadClaims (path: string) =
    let claims =
        match Registry.parse (System.IO.File.ReadAllText path) with
        | Ok cs -> cs
        | Error message -> raise (System.ArgumentException($"{path}: {message}"))

    for c in claims do
        if c.Form = RateLab.Analysis.Claims.Claim.Qualitative then
            raise (
                System.ArgumentException(
                    $"{path}: claim {c.Id} is qualitative; `check` tests cost and decay claims (form cost or decay)"
                )
            )

        if c.Tests.IsEmpty then
            raise (System.ArgumentException($"{path}: claim {c.Id}.tests is empty; `check` needs at least one test"))
    // Every test's grid of both profiles is preflighted (names, parameter ranges, step counts, stability, memory),
    // so a defect in any claim is found before the first experiment of the first one.
    let available = Preflight.availableBytes ()

    claims
    |> List.iteri (fun i c ->
        c.Tests
        |> List.iteri (fun j t ->
            for profile, g in [ "quick", t.Quick; "full", t.Full ] do
                let at = $"{path}: claims[{i}] (id {c.Id}).tests[{j}]"

                let names: Preflight.Names =
                    { SamplerName = $"{at}.sampler.name"
                      Sampler = fun p -> $"{at}.sampler.parameters.{p}"
                      TargetName = $"{at}.target.name"
                      Target = fun p -> $"{at}.target.parameters.{p}"
                      Dimension = fun k -> $"{at}.{profile}.dimensions[{k}]"
                      Steps = fun _ -> $"{at}.{profile}.steps"
                      Replicates = $"{at}.{profile}.replicates" }

                let steps =
                    match c.Form with
                    | RateLab.Analysis.Claims.Claim.CostBound -> [ g.MinSteps; g.MaxSteps ]
                    | _ -> List.init g.Levels (fun k -> g.MinSteps <<< k)
                // A swept parameter is checked at every value of the sweep (ranges and the stability limit at the
                // smallest step count depend on it).
                let targets =
                    match t.Sweep with
                    | Some p ->
                        [ for v in g.Values ->
                              { t.Target with
                                  Parameters = t.Target.Parameters.Add(p, Number v) } ]
                    | None -> [ t.Target ]

                for target in targets do
                    Preflight.check
                        available
                        names
                        { Sampler = t.Sampler
                          Target = target
                          Dimensions = g.Dimensions
                          Steps = steps
                          Replicates = g.Replicates }

            checkEvidence path i c j t))

    claims

/// The report of `ratelab check`: one part, one section per claim, by the same engine as the built-in claims.
let buildCheck (ctx: ReportContext) (claims: RateLab.Analysis.Claims.Claim.Claim list) : Units.ReportPlan =
    { Title = "RateLab claim check"
      Parts =
        [ { Slug = "claims"
            Title = "Claims checked"
            Intro =
              "Each claim of the file, tested by the generic engine (docs/claims.md): cost claims by N*(d, ε) searches and cost fits, decay claims by error curves and decay fits; verdicts by the rules of docs/claims.md."
            Units =
              claims
              |> List.map (fun c -> Units.announced ctx.SectionDone c.Id (fun () -> ClaimSection.section ctx c)) } ] }

/// The real services.
let services: Services =
    { RunExperiment = fun spec _ -> Runner.run spec (List.exactlyOne spec.Dimensions)
      FitCsv = fitInput
      ExactEval = exactEval
      ListSamplers =
        fun () ->
            Catalog.samplers
            |> List.map (fun s -> s.Name, Catalog.listing s.Description s.Absent s.Parameters)
      ListTargets =
        fun () ->
            Catalog.targets
            |> List.map (fun t -> t.Name, Catalog.listing t.Description (Catalog.EachOptional []) t.Parameters)
      ListClaims =
        fun () ->
            Registry.load (Registry.defaultPath ())
            |> List.map (fun c -> c.Id, $"{c.Sampler}: {c.Statement} [{c.Metric}]")
      BuildReport = buildReport
      LoadClaims = loadClaims
      BuildCheck = buildCheck }
