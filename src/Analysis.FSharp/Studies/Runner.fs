/// Runs an experiment spec on one dimension and returns its error curve. Exact metrics come from the exact Gaussian
/// analysis of the real kernel; each (sampler, target, d, n, seed) is analysed once per process and shared by every
/// metric asked of it (tv_lower gets one that also computes the separating-event bound).
module RateLab.Analysis.Studies.Runner

open System
open System.Collections.Concurrent
open RateLab.Core.Exact
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies.Catalog

/// One exact evaluation with its counted cost.
type ExactPoint =
    { Result: ExactResult
      Nfe: float
      Depth: float }

let private memo = ConcurrentDictionary<string, Lazy<ExactPoint>>()

/// The exact analysis of `spec`'s sampler on its target in dimension d after n steps, as the engine returns it: the
/// law is exact even where a Monte Carlo upper bound missed rare draws, so callers that only need the law use this.
let analyse (spec: ExperimentSpec) (d: int) (n: int) : ExactPoint =
    // Only tv_lower needs the separating-event bound (one inversion per draw), so it has an analysis of its own;
    // every other metric shares the plain one.
    let separation = spec.Metric = TvLower

    let configuration =
        toCanonicalJson
            { spec with
                Name = String.Empty
                Dimensions = [ d ]
                Steps = [ n ]
                Claims = []
                Metric = (if separation then TvLower else ExactKl) }

    let key = configuration + "/" + fileDigest spec.Sampler spec.Target

    let compute () =
        let entry = sampler spec.Sampler.Name
        let problem = gaussianAt "spec.target.name" spec.Target d
        let start = startLaw entry spec.Sampler problem

        let reduction =
            GaussianReduction.Diagonal(ReadOnlySpan problem.Mean, ReadOnlySpan problem.Variance, start)
        // Built per coordinate block: the kernel's parameters come from the spec, the block only gives its coordinates.
        let problemOf (block: GaussianReduction) =
            let built = entry.Build spec.Sampler block n

            if entry.Diffusion then
                ExactProblem(
                    built.Kernel,
                    block.NoisedScore(),
                    block.CentredNoisedScore(),
                    built.Reference block,
                    built.Steps,
                    DrawReference =
                        (built.DrawReference
                         |> Option.map (fun f -> Func<double[], DiagonalLaw>(f block))
                         |> Option.toObj)
                )
            else
                ExactProblem.Langevin(block, built.Kernel, built.Steps)

        let seed = List.head spec.Seeds

        let result =
            ExactAnalysis.Analyse(
                reduction,
                Func<_, _> problemOf,
                ExactOptions(Replicates = max 2 spec.Chains, Seed = seed, SeparationBound = separation)
            )

        { Result = result
          Nfe = result.Evaluations
          Depth = result.Rounds }

    memo.GetOrAdd(key, fun _ -> lazy (compute ())).Value

/// The exact analysis whose figures are reported (exact, run, the report): its bounds are consistent, or it fails with
/// BoundsContradictionException naming sampler and step.
let exactPoint (spec: ExperimentSpec) (d: int) (n: int) : ExactPoint =
    let p = analyse spec d n
    p.Result.CheckBounds()
    p

/// The law of the velocity after a kinetic sampler's run against its stationary law N(0, u I), summed over the
/// coordinates: the exact law's, or its moment-matched Gaussian's for a randomized kernel (then KL is a lower bound).
type VelocityMoments =
    { Kl: float
      W2: float
      MomentMatched: bool
      InverseMass: float }

/// Whether the spec's sampler keeps a velocity (its kernel, built on one coordinate, has two state blocks).
let kinetic (spec: ExperimentSpec) =
    let entry = sampler spec.Sampler.Name

    let problem =
        { Mean = [| 0.0 |]
          Variance = [| 1.0 |] }

    let start = startLaw entry spec.Sampler problem

    let reduction =
        GaussianReduction.Diagonal(ReadOnlySpan problem.Mean, ReadOnlySpan problem.Variance, start)

    (entry.Build spec.Sampler reduction (List.head spec.Steps)).Kernel.Blocks = 2

/// The velocity moments of `spec`'s sampler in dimension d after n steps, for kernels with a velocity block (two state
/// blocks); u is the sampler's inverse mass `u` where it declares one, else 1 (unit mass). None for other kernels.
let velocity (spec: ExperimentSpec) (d: int) (n: int) : VelocityMoments option =
    let law = (analyse spec d n).Result.Law

    if law.Blocks <> 2 then
        None
    else
        let entry = sampler spec.Sampler.Name

        let u =
            if entry.Parameters |> List.exists (fun p -> p.Name = "u") then
                RateLab.Analysis.Experiments.Parameters.Read.number entry.Parameters spec.Sampler "u"
            else
                1.0

        let problem = gaussianAt "spec.target.name" spec.Target d
        let start = startLaw entry spec.Sampler problem

        let w =
            GaussianReduction.Diagonal(ReadOnlySpan problem.Mean, ReadOnlySpan problem.Variance, start).Multiplicity

        let k = law.Dimension

        let kl, w2 =
            Array.init k (fun i ->
                let m, v = law.Mean[k + i], law.Covariance[2 * k + i]
                w[i] * 0.5 * (v / u + m * m / u - 1.0 - log (v / u)), w[i] * (m * m + (sqrt v - sqrt u) ** 2.0))
            |> Array.unzip

        Some
            { Kl = Array.sum kl
              W2 = sqrt (Array.sum w2)
              MomentMatched = (analyse spec d n).Result.Randomized
              InverseMass = u }

/// The Monte Carlo error curve of a spec with a sample metric, on any target.
let private monteCarlo (spec: ExperimentSpec) (d: int) : ErrorCurve =
    let points = [ for n in spec.Steps -> n, MonteCarlo.measure spec d n ]

    { Sampler = spec.Sampler.Name
      Parameters = spec.Sampler.Parameters |> Map.toList |> List.map (fun (k, v) -> k, showParam v)
      Target = $"{spec.Target.Name}(d={d})"
      Dimension = d
      Metric = spec.Metric
      Seeds = spec.Seeds
      Points =
        [ for n, p in points ->
              { Steps = n
                StepSize = nan
                Nfe = p.Nfe
                Depth = p.Depth
                Error = RateLab.Analysis.Metrics.SampleEstimate.toEstimate 0.95 p.Estimate } ]
      Method = MonteCarlo.describe spec (snd (List.head points)) }

/// The coupled strong-error curve of a diffusion sampler, on a Gaussian target or a mixture.
let private strong (spec: ExperimentSpec) (d: int) : ErrorCurve =
    let points = [ for n in spec.Steps -> n, MonteCarloStrong.measure spec d n ]

    let floors =
        String.Join(
            "; ",
            points
            |> List.map (fun (n, p) -> $"n = {n}: {p.Floor.Value:g3} ± {p.Floor.StdError:g2}")
        )

    { Sampler = spec.Sampler.Name
      Parameters = spec.Sampler.Parameters |> Map.toList |> List.map (fun (k, v) -> k, showParam v)
      Target = $"{spec.Target.Name}(d={d})"
      Dimension = d
      Metric = StrongError
      Seeds = spec.Seeds
      Points =
        [ for n, p in points ->
              { Steps = n
                StepSize = nan
                Nfe = p.Nfe
                Depth = p.Depth
                Error = p.Error } ]
      Method =
        MonteCarloStrong.describe spec ((target spec.Target.Name).Build spec.Target d)
        + $" Reference floor: {floors}." }

/// The figure of the spec's exact metric in one exact analysis, or a usage error naming spec.metric when the
/// sampler's analysis does not yield it (a randomized sampler has bounds, not an exact value).
let private exactFigure (spec: ExperimentSpec) (p: ExactPoint) =
    let available = ExactCurves.figures p.Result

    match available |> List.tryFind (fun f -> f.Metric = spec.Metric) with
    | Some f -> f
    | None ->
        let names =
            String.Join(", ", available |> List.map (fun f -> MetricNames.toName f.Metric))

        raise (
            SpecException(
                "spec.metric",
                $"{MetricNames.toName spec.Metric} is not available for {p.Result.Sampler}; allowed: {names}"
            )
        )

/// What the spec's metric needs of its sampler and target, refused before anything is written: an exact metric needs
/// a Gaussian target and a sampler whose exact analysis yields it; a sample metric, a score field the sampler can
/// call and one reference level; strong_error, a diffusion sampler the reference flow can follow. Checked at the
/// smallest d and step count, the run's own first point (the exact analysis is memoised, so the run reuses it).
let checkMetric (spec: ExperimentSpec) =
    let d = List.min spec.Dimensions
    let n = List.min spec.Steps

    match spec.Metric with
    | SampleMetric _ -> MonteCarlo.prepare spec d n |> ignore
    | StrongError -> MonteCarloStrong.prepare spec d n |> ignore
    | _ -> exactFigure spec (exactPoint spec d n) |> ignore

/// The error curve of `spec` in dimension d under its metric; its Method says what the figures are (exact value or
/// bound, how evaluated) and how NFE was counted. Sample metrics are measured by Monte Carlo, on any target.
let run (spec: ExperimentSpec) (d: int) : ErrorCurve =
    match spec.Metric with
    | SampleMetric _ -> monteCarlo spec d
    | StrongError -> strong spec d
    | _ ->
        let points =
            [ for n in spec.Steps ->
                  let p = exactPoint spec d n
                  let f = exactFigure spec p

                  { Steps = n
                    StepSize = nan
                    Nfe = p.Nfe
                    Depth = p.Depth
                    Error = f.Estimate },
                  (p, f) ]

        let first, figure = snd (List.head points)

        { Sampler = spec.Sampler.Name
          Parameters = spec.Sampler.Parameters |> Map.toList |> List.map (fun (k, v) -> k, showParam v)
          Target = $"{spec.Target.Name}(d={d})"
          Dimension = d
          Metric = spec.Metric
          Seeds = spec.Seeds
          Points = points |> List.map fst
          Method = ExactCurves.describe first.Result figure }
