/// Monte Carlo measurement of a sampler on any target, Gaussian or not: `chains` independent chains are run with the
/// real kernel, and their end positions are compared with exact draws of the law they should follow (the target, or
/// the noised data law at a diffusion sampler's end level) under a sample metric, with a standard error and the
/// metric's noise floor: its value between two independent reference samples of the same size.
module RateLab.Analysis.Studies.MonteCarlo

open System
open System.Collections.Concurrent
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Metrics
open RateLab.Analysis.Metrics.SampleEstimate
open RateLab.Analysis.Studies.Catalog

/// The sample metrics a run can measure.
type SampleMetricKind =
    /// Unbiased MMD² (Gaussian kernel, median-heuristic bandwidth fixed per target, d, chains and seed).
    | Mmd
    /// Unbiased energy distance.
    | Energy
    /// Sliced W₂² over fixed directions, minus its noise floor (the plug-in estimate is biased upward).
    | SlicedW2

/// Each kind with its name in MetricNames.sampleNames (a test keeps the two lists equal).
let kinds = [ Mmd, "mmd"; Energy, "energy"; SlicedW2, "sliced_w2" ]

/// The kind of a sample metric name (the part after "sample:"), if RateLab measures it.
let tryKind (name: string) =
    kinds |> List.tryFind (fun (_, n) -> n = name) |> Option.map fst

/// Directions of the sliced W₂ in d ≥ 2 (their standard error shrinks with their number; 64 keeps it below the
/// sampling one). In d = 1 every direction is ±1 and one suffices: SW₂² is then W₂² itself.
let directions (d: int) = if d = 1 then 1 else 64

/// Reference rows the MMD bandwidth is computed from (the median heuristic is O(rows²)).
let BandwidthRows = 1000

/// The key of the reference draws: a Philox stream no sampler run uses, so references and chains are independent.
let referenceSeed (seed: uint64) = seed ^^^ 0x9E3779B97F4A7C15UL

/// `count` exact draws of q_τ (τ = 0: the target itself) keyed by chains first … first + count − 1: X₀ from the
/// target's exact sampler at step 0, then √ᾱ X₀ + √τ Z with Z the normals of role 0 at step 1.
let referenceDraws (t: SampledTarget) (d: int) (tau: float) (seed: uint64) (first: int64) (count: int) =
    let noise = PhiloxNoise(referenceSeed seed)
    let level = NoiseLevel.FromTau tau

    Array.Parallel.init count (fun i ->
        let chain = first + int64 i
        let x = Array.zeroCreate d
        t.Exact.SampleExact(noise, chain, 0L, Span x)

        if tau > 0.0 then
            let z = Array.zeroCreate d
            noise.Normals(chain, 1L, 0, Span z)

            for k in 0 .. d - 1 do
                x[k] <- level.SignalScale * x[k] + level.NoiseScale * z[k]

        x)

/// The median-heuristic bandwidth of the MMD for a reference sample (its first BandwidthRows rows).
let bandwidth (reference: float[][]) =
    Mmd.medianBandwidth (Array.truncate BandwidthRows reference)

/// The metric between a sample and the first reference sample; `second` is an independent reference of the same size.
let private estimate (kind: SampleMetricKind) (seed: uint64) (x: float[][]) (first: float[][]) (second: float[][]) =
    match kind with
    | Mmd -> Mmd.mmdSquared (bandwidth first) x first
    | Energy -> EnergyDistance.energyDistance x first
    | SlicedW2 ->
        let d = first[0].Length
        SlicedW2.slicedW2Squared (SlicedW2.directions seed d (directions d)) x first second

/// The noise floor of a metric: its value between two independent reference samples of the same size, with the
/// standard error of that value. A sampler whose error is at the floor cannot be told from an exact one.
type NoiseFloor = { Value: float; StdError: float }

/// The smallest sample a metric's standard error is defined for.
let minimumChains (kind: SampleMetricKind) =
    match kind with
    | SlicedW2 -> 2 * BlockJackknife.Blocks
    | Mmd
    | Energy -> 3

/// The most chains MMD and energy distance accept. Both are U-statistics over all pairs: about 4·chains² kernel
/// evaluations per point with its noise floor, so 20 000 chains already cost 1.6·10⁹ evaluations (minutes); the
/// limit keeps a run's cost predictable. Sliced W2 is O(chains·log chains) and has no such limit.
[<Literal>]
let MaxPairwiseChains = 20_000

/// The largest sample a metric accepts, if it has a limit.
let maximumChains (kind: SampleMetricKind) =
    match kind with
    | Mmd
    | Energy -> Some MaxPairwiseChains
    | SlicedW2 -> None

/// One Monte Carlo point: the estimate with its standard error, the floor, and the counted cost per chain.
type Point =
    { Estimate: SampleEstimate
      Floor: NoiseFloor
      Nfe: float
      Depth: float }

/// Where the parts of a spec are named in refusals.
let private refuseAt (path: string) (problem: string) : 'a = raise (SpecException(path, problem))

/// The score field the sampler calls on the target: the target's score for Langevin samplers, its noised scores for
/// diffusion samplers (refused where they have no closed form).
let fieldOf (entry: SamplerEntry) (spec: ExperimentSpec) (t: SampledTarget) : RateLab.Core.Contracts.IScoreField =
    if not entry.Diffusion then
        t.Score
    else
        match t.NoisedScore with
        | Some f -> f
        | None ->
            refuseAt
                "spec.target.name"
                ($"{spec.Target.Name} has no closed-form noised score, which the diffusion sampler {entry.Name} calls; "
                 + "allowed: a Gaussian target, gaussian-mixture or gaussian-mixture-file")

/// The kernel of a Monte Carlo run, its step count and its reference level (None when drawn per chain). On a Gaussian
/// target the kernel starts from the same law as
/// in the exact engine; on another target an exact start (the target for Langevin, q_τ₀ for a diffusion `start=exact`)
/// is drawn by ExactStart.
let kernelOf (entry: SamplerEntry) (spec: ExperimentSpec) (law: TargetLaw) (t: SampledTarget) d n =
    let standIn =
        { Mean = Array.zeroCreate d
          Variance = Array.create d 1.0 }

    let problem, exactStart =
        match law with
        | Gaussian p -> p, None
        | NonGaussian _ when entry.Diffusion ->
            standIn,
            (if diffusionStart spec.Sampler = ExactTop then
                 Some(Some(GridChoice.top spec.Sampler))
             else
                 None)
        | NonGaussian _ ->
            let fromTarget = Map.tryFind "start" spec.Sampler.Parameters <> Some(Text "origin")
            standIn, (if fromTarget then Some None else None)

    let start =
        match exactStart with
        | Some _ -> StartLaw.Point(Array.zeroCreate d)
        | None -> startLaw entry spec.Sampler problem
    // The kernel takes only its dimension and start law from the reduction, and a reduction merges equal coordinates:
    // strictly increasing stand-in variances keep all d coordinates and the start law as given.
    let carrier = Array.init d (fun i -> float (i + 1))

    let reduction =
        GaussianReduction.Diagonal(ReadOnlySpan(Array.zeroCreate<float> d), ReadOnlySpan carrier, start)

    let built = entry.Build spec.Sampler reduction n

    let kernel: ISamplerKernel =
        match exactStart with
        | Some level -> ExactStart(built.Kernel, t.Exact, level |> Option.map NoiseLevel.FromTau |> Option.toNullable)
        | None -> built.Kernel

    kernel, built.Steps, built.OutputTau

/// The reference level of a run, or a usage error for samplers that draw their end level per chain.
let private levelOf (entry: SamplerEntry) (tau: float option) =
    match tau with
    | Some tau -> tau
    | None ->
        refuseAt
            "spec.metric"
            ($"{entry.Name} draws its end level per chain, so no one reference law exists; "
             + "allowed: an exact metric or strong_error")

/// The end positions of `chains` chains (noise PhiloxNoise(seed)) and the mean counted evaluations and rounds per
/// chain.
let endPositions (kernel: ISamplerKernel) (steps: int64) field (chains: int) (seed: uint64) =
    let oracle = ScoreOracle(field, chains)
    let batch = ChainBatch(chains, kernel.StateLength, kernel.Dimension)
    SamplerRunner.Run(kernel, PhiloxNoise(seed), oracle, batch, steps)
    let rows = Array.init chains (fun c -> batch.Position(c).ToArray())

    let rounds =
        Seq.init chains (fun c -> float (oracle.Rounds(int64 c))) |> Seq.average

    rows, oracle.MeanEvaluations, rounds

let private references = ConcurrentDictionary<string, Lazy<float[][] * float[][]>>()

/// The two independent reference samples of a spec's target at level τ in dimension d (memoised per process).
let private referencePair (spec: ExperimentSpec) (t: SampledTarget) d tau =
    let seed = List.head spec.Seeds

    let configuration =
        toCanonicalJson
            { spec with
                Name = String.Empty
                Sampler = spec.Target
                Steps = [] }

    let key = $"{configuration}/{d}/{tau:R}/{fileDigest spec.Sampler spec.Target}"

    let draw () =
        referenceDraws t d tau seed 0L spec.Chains, referenceDraws t d tau seed (int64 spec.Chains) spec.Chains

    references.GetOrAdd(key, fun _ -> lazy (draw ())).Value

/// The sample metric of a spec (SampleMetric name) as a kind, or a usage error naming spec.metric.
let kindOf (spec: ExperimentSpec) =
    match spec.Metric with
    | SampleMetric name ->
        match tryKind name with
        | Some k -> k
        | None ->
            let allowed =
                String.Join(", ", kinds |> List.map (fun (_, n) -> MetricNames.SamplePrefix + n))

            refuseAt "spec.metric" $"unknown sample metric \"{name}\"; allowed: {allowed}"
    | other -> invalidArg "spec" $"{MetricNames.toName other} is not a sample metric"

/// Refuses a Monte Carlo spec whose chains are too few for its metric or whose samples would not fit in memory.
let check (available: int64) (spec: ExperimentSpec) =
    let kind = kindOf spec
    let least = minimumChains kind

    if spec.Chains < least then
        refuseAt "spec.chains" $"expected an integer ≥ {least} for {MetricNames.toName spec.Metric}, got {spec.Chains}"

    match maximumChains kind with
    | Some most when spec.Chains > most ->
        refuseAt
            "spec.chains"
            ($"expected an integer ≤ {most} for {MetricNames.toName spec.Metric} (its cost grows as chains²), "
             + $"got {spec.Chains}; use sample:sliced_w2 for larger samples")
    | _ -> ()
    // The chains' states (at most two blocks) and the two references, 8 bytes a coordinate, twice for working copies.
    for i, d in List.indexed spec.Dimensions do
        let need =
            try
                Checked.(*) (Checked.(*) (int64 spec.Chains) (int64 d)) (8L * 4L * 2L)
            with :? OverflowException ->
                Int64.MaxValue

        if need > available then
            refuseAt
                $"spec.dimensions[{i}]"
                $"d = {d} with {spec.Chains} chains needs an estimated {need} bytes; allowed: at most {available} bytes"

let private floorOf kind seed (first: float[][]) (second: float[][]) =
    let e = estimate kind seed second first first

    { Value = e.Value
      StdError = e.StdError }

/// Everything a Monte Carlo point needs before its chains run: the metric kind, the sampled target, the score field
/// the sampler calls, its kernel, step count and reference level; each refusal names the spec field at fault.
let prepare (spec: ExperimentSpec) (d: int) (n: int) =
    let kind = kindOf spec
    let entry = sampler spec.Sampler.Name
    let law = (target spec.Target.Name).Build spec.Target d
    let t = sampled law
    let field = fieldOf entry spec t
    let kernel, steps, output = kernelOf entry spec law t d n
    kind, t, field, kernel, steps, levelOf entry output

/// The noise floor of a spec's metric in dimension d (the reference level taken at its first step count).
let noiseFloor (spec: ExperimentSpec) (d: int) : NoiseFloor =
    let kind, t, _, _, _, tau = prepare spec d (List.head spec.Steps)
    let first, second = referencePair spec t d tau
    floorOf kind (List.head spec.Seeds) first second

/// One Monte Carlo point of `spec` in dimension d after n steps.
let measure (spec: ExperimentSpec) (d: int) (n: int) : Point =
    let kind, t, field, kernel, steps, tau = prepare spec d n
    let seed = List.head spec.Seeds
    let x, nfe, depth = endPositions kernel steps field spec.Chains seed
    let first, second = referencePair spec t d tau
    let raw = estimate kind seed x first second
    let floor = floorOf kind seed first second

    let value =
        match kind with
        // The plug-in SW₂² is biased upward by about the floor's value: the excess over the floor estimates SW₂².
        | SlicedW2 ->
            { raw with
                Value = raw.Value - floor.Value
                StdError = sqrt (raw.StdError ** 2.0 + floor.StdError ** 2.0)
                StdErrorMethod = raw.StdErrorMethod + ", added in quadrature to the floor's" }
        | Mmd
        | Energy -> raw

    { Estimate = value
      Floor = floor
      Nfe = nfe
      Depth = depth }

/// How the figures of a Monte Carlo curve were obtained, in one sentence.
let describe (spec: ExperimentSpec) (p: Point) =
    let kind = kindOf spec
    let corrected = if kind = SlicedW2 then " minus its noise floor" else ""

    $"Monte Carlo: {MetricNames.toName spec.Metric}{corrected} between {spec.Chains} chains' end positions and "
    + $"{spec.Chains} exact draws of the reference law; standard error by {p.Estimate.StdErrorMethod}; noise floor "
    + "= the metric between two independent reference samples of the same size; NFE counted by the oracle."
