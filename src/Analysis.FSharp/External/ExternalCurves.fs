/// Error curves of a Python sampler over step counts, for the order fit and for the claims engine: a claim's tests
/// name the sampler "external", and the claims engine runs them through a context whose experiments are bridge runs.
module RateLab.Analysis.External.ExternalCurves

open System
open System.IO
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Studies
open RateLab.Analysis.External.Protocol
open RateLab.Analysis.External.ExternalAnalysis

let private usage (message: string) : 'a = raise (ArgumentException message)

/// The metric the order fit uses: exact KL, or the E_draws KL upper bound of a randomized sampler.
let klMetric (o: Outcome) =
    (o.Figures.Figures
     |> List.find (fun f -> f.Metric = ExactKl || f.Metric = KlUpper))
        .Metric

/// The error curve of one metric over the outcomes, one point per step count.
let curveOf (sampler: ExternalSampler) (metric: MetricKind) (outcomes: Outcome list) : ErrorCurve =
    let first = List.head outcomes

    let figureOf (o: Outcome) =
        match o.Figures.Figures |> List.tryFind (fun f -> f.Metric = metric) with
        | Some f -> f
        | None ->
            let names =
                String.Join(", ", o.Figures.Figures |> List.map (fun f -> MetricNames.toName f.Metric))

            usage $"metric {MetricNames.toName metric} is not available for {o.Figures.Sampler}; available: {names}"

    { Sampler = $"{Path.GetFileName sampler.Script}:{sampler.Function}"
      Parameters = [ "kind", kindName sampler.Kind ]
      Target = $"{first.Figures.Target}(d={first.Figures.Dimension})"
      Dimension = first.Figures.Dimension
      Metric = metric
      Seeds = []
      Points =
        [ for o in outcomes ->
              { Steps = o.Figures.Steps
                StepSize = nan
                Nfe = o.Figures.Nfe
                Depth = o.Result.Rounds
                Error = (figureOf o).Estimate } ]
      Method = ExactCurves.describe first.Result (figureOf first) }

/// The decay fit of the curve against NFE (exact points, no noise floor), or why there is none.
let orderFit (curve: ErrorCurve) =
    let noFloors = Array.zeroCreate curve.Points.Length

    PowerLawFit.fitDecay PowerLawFit.defaultSettings RateFit.Nfe [ [ curve ], noFloors ]
    |> Result.map (fun f -> f.Fit)

/// The claims of `path`, each test's sampler named "external" with grid parameters and a catalog target; every test
/// is checked before any run, and a defect is a usage error naming the field.
let loadClaims (path: string) =
    if not (File.Exists path) then
        usage $"--claim = {path}: file not found"

    let claims =
        match Registry.parse (File.ReadAllText path) with
        | Ok cs -> cs
        | Error message -> usage $"{path}: {message}"

    claims
    |> List.iteri (fun i c ->
        if c.Form = Claim.Qualitative then
            usage $"{path}: claims[{i}] (id {c.Id}) is qualitative; allowed: cost or decay"

        if c.Tests.IsEmpty then
            usage $"{path}: claims[{i}] (id {c.Id}).tests is empty; allowed: at least one test"

        c.Tests
        |> List.iteri (fun j t ->
            let at = $"{path}: claims[{i}] (id {c.Id}).tests[{j}]"

            if t.Sampler.Name <> "external" then
                usage $"{at}.sampler.name = {t.Sampler.Name}; allowed: external (the sampler on the command line)"

            checkGrid (fun p -> $"{at}.sampler.parameters.{p}") t.Sampler
            Catalog.checkTarget (fun p -> $"{at}.target.parameters.{p}") (Catalog.target t.Target.Name) t.Target))

    claims

/// The claims engine's section for claim `c`, its experiments run by `analysed` (the test's sampler parameters are
/// the grid, its chains the replicates of a randomized sampler).
let claimSection (sampler: ExternalSampler) (analysed: Problem -> Outcome) (c: Claim.Claim) =
    let ctx: RateLab.Analysis.Report.Context.ReportContext =
        { Profile = Quick
          Run =
            fun spec ->
                spec.Dimensions
                |> List.map (fun d ->
                    let at n =
                        analysed
                            { Target = spec.Target
                              Grid = spec.Sampler
                              Dimension = d
                              Steps = n
                              Seed = List.head spec.Seeds
                              Replicates = max 2 spec.Chains }

                    curveOf sampler spec.Metric (spec.Steps |> List.map at))
          Cached = fun _ compute -> compute ()
          SectionDone = ignore
          Checkpoints = RateLab.Analysis.Report.Context.defaultCheckpoints }

    RateLab.Analysis.Sections.ClaimSection.section ctx c
