/// The Boltzmann-sampler studies behind reports/boltzmann (claims C1–C6 in docs/claims.md; docs/algorithms.md):
/// continuous-time limit series turned into error curves and decay fits, the trajectory-balance log-ratio identity
/// (C4) measured on random grids, and coarse-versus-fine training runs resumable from checkpoints, with the C3 and C6
/// comparisons.
module RateLab.Analysis.Studies.BoltzmannStudies

open System
open System.IO
open RateLab.Core.Validation
open RateLab.Core.Randomness
open RateLab.Core.Targets
open RateLab.Core.Targets.Benchmarks
open RateLab.Boltzmann
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Stats

// ---------------------------------------------------------------------------------------------------------------
// Continuous-time limits (C1, C2, C5)

/// Below this an O(1) log-ratio difference is float64 round-off (docs/background.md), not discretisation error.
let roundOff = 1e-12

/// A limit series as an error curve: error = |value − reference| with SE √(SE² + SE_ref²); the cost is 1/h (h the mean
/// maximal step), so a decay fit on the Nfe axis gives error ∝ h^p.
let seriesCurve (seed: uint64) (s: LimitSeries) : ErrorCurve =
    let point (p: LimitPoint) =
        let v = abs (p.Value - s.Reference)
        let se = sqrt (p.StandardError ** 2.0 + s.ReferenceStandardError ** 2.0)

        { Steps = p.Steps
          StepSize = p.MaxStep
          Nfe = 1.0 / p.MaxStep
          Depth = nan
          Error =
            { Value = v
              Lower = v - Normal.z975 * se
              Upper = v + Normal.z975 * se
              StdError = se
              Level = 0.95 } }

    { Sampler = s.Quantity
      Parameters = [ "drift", s.Drift; "grid", string s.Grid ]
      Target =
        if s.Quantity.StartsWith "db-" then
            "limit-point(d=2)"
        else
            "limit-gaussian(d=2)"
      Dimension = 2
      Metric = SampleMetric s.Quantity
      Seeds = [ seed ]
      Points = s.Points |> Seq.map point |> List.ofSeq
      Method =
        (if s.ReferenceIsExact then
             "reference in closed form"
         else
             "reference from the fine grid")
        + "; standard errors from 20 batch means (or iid pairs for the DB residual)" }

/// Noise floor of each point as the window rule takes it: a point is not fitted at or below 3 standard errors or
/// round-off, and the rule drops points within its FloorFactor of the floors it is given.
let floors (c: ErrorCurve) =
    c.Points
    |> List.map (fun p -> max roundOff (3.0 * p.Error.StdError) / FitWindow.defaultRule.FloorFactor)
    |> Array.ofList

/// Decay fit of error on 1/h (Error when no window of consistent points lies above the floors).
let fitSeries (c: ErrorCurve) =
    PowerLawFit.fitDecay PowerLawFit.defaultSettings RateFit.Nfe [ [ c ], floors c ]

/// The fitted p of error ∝ h^p.
let rate (fit: RateFit.RateFit) = fit.Fit.Slopes |> List.last

let private logNormal (x: ReadOnlySpan<float>) (v: float) =
    let mutable s = 0.0

    for i in 0 .. x.Length - 1 do
        s <- s + x.[i] * x.[i]

    -0.5 * float x.Length * log (2.0 * Math.PI * v) - 0.5 * s / v

/// 25GMM with its known log Z = 0 (GaussianMixture is normalised but does not advertise it), so ΔlogZ and the EUBO
/// are computed for it as for Funnel and Manywell.
type private NormalisedMixture(inner: GaussianMixture) =
    interface ITarget with
        member _.Name = inner.Name
        member _.Dimension = inner.Dimension
        member _.LogDensity(x: ReadOnlySpan<float>) = inner.LogDensity(x)
        member _.Score(x: ReadOnlySpan<float>, score: Span<float>) = inner.Score(x, score)

    interface IExactSampler with
        member _.SampleExact(noise, chain, step, x) =
            inner.SampleExact(noise, chain, step, x)

    interface IKnownLogNormaliser with
        member _.LogNormaliser = 0.0

/// A benchmark target with its σ² of [S24] (docs/algorithms.md): 5 for 25GMM, 1 for Funnel and Manywell.
type Benchmark =
    { Name: string
      Sigma: float
      Create: unit -> ITarget }

let gmm25 =
    { Name = "25GMM"
      Sigma = sqrt 5.0
      Create = fun () -> NormalisedMixture(GaussianMixture.TwentyFive()) :> ITarget }

let funnel =
    { Name = "Funnel"
      Sigma = 1.0
      Create = fun () -> Funnel() :> ITarget }

let manywell =
    { Name = "Manywell (d = 32)"
      Sigma = 1.0
      Create = fun () -> ManyWell(32) :> ITarget }

/// The benchmarks by their command-line names (`ratelab train --target`).
let benchmarks = [ "25gmm", gmm25; "funnel", funnel; "manywell", manywell ]

/// Largest |δ − (left-point Itô sum + log N(x_N; 0, σ²I) − log R(x_N))| over on-policy trajectories of a fixed random
/// network drift with 25GMM's σ on random grids (the default ρ) with the given N, on 25GMM (docs/algorithms.md).
let identityDeviation (seed: uint64) (steps: int list) (trajectories: int) =
    Guard.AtLeast(trajectories, 1, nameof trajectories) |> ignore
    let d, sigma = 2, gmm25.Sigma
    let drift = TimeStateMlp.FixedRandomDrift(d, seed, 1.0, 16, 8)
    let policy = EulerMaruyamaPolicy(drift, sigma)
    let target = GaussianMixture.TwentyFive() :> ITarget
    let y = Array.zeroCreate (2 * d)

    [ for n in steps do
          Guard.AtLeast(n, 1, nameof steps) |> ignore
          let grid = TimeGrid(GridKind.Random, n, TrainingDefaults.Ratio)
          let batch = TrajectoryBatch(trajectories, n, d)
          Trajectories.SampleForward(policy, target, grid, PhiloxNoise(seed + uint64 n), 0L, batch)

          for b in 0 .. trajectories - 1 do
              let t = batch.Grid(b).ToArray()
              let mutable ito = 0.0

              for k in 0 .. n - 1 do
                  let x = batch.State(b, k).ToArray()
                  let next = batch.State(b, k + 1).ToArray()
                  drift.Forward(ReadOnlySpan x, t.[k], Span y)
                  let h = t.[k + 1] - t.[k]

                  for i in 0 .. d - 1 do
                      ito <-
                          ito + y.[i] * (next.[i] - x.[i]) / (sigma * sigma)
                          - h * y.[i] * y.[i] / (2.0 * sigma * sigma)

              let rhs =
                  ito + logNormal (Span.op_Implicit (batch.State(b, n))) (sigma * sigma)
                  - batch.LogReward.[b]

              yield abs (batch.Delta(b) - rhs) ]
    |> List.max

// ---------------------------------------------------------------------------------------------------------------
// Training (C3, C6)

/// The size of a training study.
type TrainingBudget =
    {
        Benchmarks: Benchmark list
        Objectives: Objective list
        TrainSteps: int list
        Seeds: uint64 list
        Iterations: int64
        Batch: int
        Width: int
        Harmonics: int
        /// K of the evaluation estimators.
        EvaluationSamples: int
        /// N_eval of the C6 sweep.
        EvaluationSweep: int list
        /// Where checkpoints live, so a killed report resumes training.
        CheckpointDirectory: string
    }

/// One training run and its evaluations.
type TrainingRun =
    {
        Benchmark: string
        Objective: Objective
        Grid: GridKind
        TrainSteps: int
        Seed: uint64
        Iterations: int64
        /// log R evaluations over the whole run (counted on a one-iteration probe, times the iterations).
        EnergyEvaluations: float
        /// Policy-network evaluations B·N per iteration over the run: the cost that coarse grids cut.
        NetworkEvaluations: float
        /// Wall time of training (scaled from the iterations trained in this process when resumed).
        Seconds: float
        Eval100: EvaluationResult
        EvalTrain: EvaluationResult
        /// The C6 sweep (N_eval, ΔlogZ, SE of the ELBO) of a run on the random N_train = 10 grid, the candidates for the
        /// C6 test; empty for other runs. Evaluated with the trained policy, so no model needs to outlive its run.
        Sweep: (int * float * float) list
    }

let private settings (budget: TrainingBudget) (b: Benchmark) objective grid steps seed =
    TrainingSettings(
        objective,
        b.Sigma,
        grid,
        steps,
        seed,
        batchSize = budget.Batch,
        width = budget.Width,
        harmonics = budget.Harmonics
    )

/// Checkpoint file of a run, keyed by target, settings fingerprint and iteration budget, so two runs of one setting
/// with different budgets (executing in parallel) never share a file.
let checkpointPath (dir: string) (targetName: string) (s: TrainingSettings) (iterations: int64) =
    let bytes =
        Text.Encoding.UTF8.GetBytes($"{targetName}|{s.Fingerprint()}|{iterations}")

    let hash = Security.Cryptography.SHA256.HashData bytes |> Convert.ToHexString
    Path.Combine(dir, hash.[..23].ToLowerInvariant() + ".ckpt")

/// A trainer at the latest usable checkpoint (≤ iterations), or fresh when there is none or it cannot be read.
let private resume (target: ITarget) (s: TrainingSettings) (path: string) (iterations: int64) =
    let fresh () = Trainer(target, s)

    if File.Exists path then
        let t = fresh ()

        try
            Checkpoint.Load(t, path)
            if t.Iteration <= iterations then t else fresh ()
        with
        | :? IOException
        | :? InvalidDataException
        | :? ArgumentException -> fresh ()
    else
        fresh ()

/// A trained policy and what its training cost, counted by the oracle.
type Trained =
    {
        Trainer: Trainer
        /// log R evaluations over the whole run (counted on a one-iteration probe, times the iterations, so a resumed
        /// run reports the cost of all its iterations, not only those of this process).
        EnergyEvaluations: float
        /// ∇log R evaluations over the whole run (KL only; counted as the energy evaluations are).
        GradientEvaluations: float
        /// Wall time of training (scaled from the iterations trained in this process when resumed).
        Seconds: float
    }

/// Trains `s` on `b` to `iterations`: resumed from its checkpoint under `dir` and checkpointed there `every`
/// iterations when `dir` is given, from scratch otherwise; `progress` gets the fraction of iterations done.
let trainSettings
    (dir: string option)
    (every: int64)
    (b: Benchmark)
    (s: TrainingSettings)
    (iterations: int64)
    (progress: float -> unit)
    : Trained =
    let target = b.Create()

    let path =
        dir
        |> Option.map (fun d ->
            Directory.CreateDirectory d |> ignore
            checkpointPath d target.Name s iterations)

    let trainer =
        match path with
        | Some p -> resume target s p iterations
        | None -> Trainer(target, s)

    let start = trainer.Iteration
    let clock = Diagnostics.Stopwatch.StartNew()

    let report (p: TrainingProgress) =
        progress (float p.Iteration / float (max 1L iterations))

    trainer.Train(
        iterations - start,
        Action<TrainingProgress> report,
        Option.toObj path,
        (if path.IsSome then every else 0L)
    )

    let ran = iterations - start

    let seconds =
        if ran > 0L then
            clock.Elapsed.TotalSeconds * float iterations / float ran
        else
            let probe = Trainer(b.Create(), s)
            let c = Diagnostics.Stopwatch.StartNew()
            probe.Train(min iterations 3L)
            c.Elapsed.TotalSeconds * float iterations / float (max 1L (min iterations 3L))

    match path with
    | Some p when ran > 0L && iterations % every <> 0L -> Checkpoint.Save(trainer, p)
    | _ -> ()
    // Evaluations per iteration are fixed by the objective and grid; one probe iteration counts them.
    let probe = Trainer(b.Create(), s)
    probe.Train 1L

    { Trainer = trainer
      EnergyEvaluations = float probe.Target.EnergyEvaluations * float iterations
      GradientEvaluations = float probe.Target.GradientEvaluations * float iterations
      Seconds = seconds }

/// One arm of C3: the grid, N_train and iterations its runs train with. (Anonymous, so that its field names do not
/// shadow TrainingRun's in record inference.)
type Arm =
    {| Grid: GridKind
       Steps: int
       Iterations: int64 |}

/// C3's three arms, the one place that defines them: N = 10 random for the full budget (coarse); N = 100 uniform for a
/// tenth of it (the same policy-network evaluations B·N·iterations); N = 100 uniform for the full budget (the same
/// iterations, and so the same energy evaluations for one log R per trajectory). The last is the published setting.
let c3Arms
    (budget: TrainingBudget)
    : {| Coarse: Arm
         EqualCost: Arm
         SameIterations: Arm |}
    =
    let arm grid steps iterations : Arm =
        {| Grid = grid
           Steps = steps
           Iterations = iterations |}

    {| Coarse = arm GridKind.Random 10 budget.Iterations
       EqualCost = arm GridKind.Uniform 100 (max 1L (budget.Iterations / 10L))
       SameIterations = arm GridKind.Uniform 100 budget.Iterations |}

/// Whether a run (grid, N_train, iterations) belongs to `arm`.
let isArm (arm: Arm) (g, n, i) =
    g = arm.Grid && n = arm.Steps && i = arm.Iterations

/// Iterations between checkpoints of a run of `iterations`: four per run, so an interrupted run loses at most a
/// quarter of its work.
let checkpointEvery (iterations: int64) = max 1L (iterations / 4L)

/// Trains one configuration to `iterations` (resuming from its checkpoint), then evaluates on uniform N = 100 and N_train.
let train (budget: TrainingBudget) (b: Benchmark) objective grid steps seed (iterations: int64) : TrainingRun =
    let s = settings budget b objective grid steps seed

    let trained =
        trainSettings (Some budget.CheckpointDirectory) (checkpointEvery iterations) b s iterations ignore

    let trainer, target = trained.Trainer, b.Create()

    let evaluate n =
        TrainingStudy.Evaluate(trainer.Policy, target, TimeGrid(GridKind.Uniform, n), seed, budget.EvaluationSamples)

    { Benchmark = b.Name
      Objective = objective
      Grid = grid
      TrainSteps = steps
      Seed = seed
      Iterations = iterations
      EnergyEvaluations = trained.EnergyEvaluations
      NetworkEvaluations = float budget.Batch * float steps * float iterations
      Seconds = trained.Seconds
      Eval100 = evaluate 100
      EvalTrain = evaluate steps
      Sweep =
        if grid = (c3Arms budget).Coarse.Grid && steps = (c3Arms budget).Coarse.Steps then
            [ for n in budget.EvaluationSweep -> let e = evaluate n in n, e.DeltaLogZ, e.Elbo.StandardError ]
        else
            [] }

/// Evaluation of the untrained sampler (zero drift: the reference Brownian motion) on the uniform grid of `steps`
/// steps with K = `samples` and the evaluation draws of `seed`, so a trained run of that seed is compared with it on
/// the same noise.
let untrainedAt (b: Benchmark) (seed: uint64) (steps: int) (samples: int) =
    let target = b.Create()
    let policy = EulerMaruyamaPolicy(ZeroDrift(target.Dimension), b.Sigma)
    TrainingStudy.Evaluate(policy, target, TimeGrid(GridKind.Uniform, steps), seed, samples)

/// The untrained sampler on the uniform N = 100 grid with the budget's K.
let untrained (budget: TrainingBudget) (b: Benchmark) (seed: uint64) =
    untrainedAt b seed 100 budget.EvaluationSamples

/// The report cache as the studies see it: a key naming the configuration and a computation whose result is JSON.
type Cached = string -> (unit -> Text.Json.Nodes.JsonNode) -> Text.Json.Nodes.JsonNode

module private Json =
    open System.Text.Json.Nodes
    let value (x: obj) : JsonNode | null = JsonValue.Create x

    let number = RateLab.Analysis.Experiments.JsonNumber.write
    let get (n: JsonNode) (name: string) = nonNull n.[name]
    let readNumber = RateLab.Analysis.Experiments.JsonNumber.read

    let obj (fields: (string * (JsonNode | null)) list) =
        let o = JsonObject()

        for k, v in fields do
            o[k] <- v

        o :> JsonNode

    let estimate (e: RateLab.Boltzmann.Estimate) =
        obj [ "value", number e.Value; "se", number e.StandardError ]

    let readEstimate (n: JsonNode) =
        RateLab.Boltzmann.Estimate(readNumber n "value", readNumber n "se")

    let evaluation (e: EvaluationResult) =
        obj
            [ "steps", value e.Steps
              "elbo", estimate e.Elbo
              "logz_rw", number e.LogZReweighted
              "dlogz", number e.DeltaLogZ
              "dlogz_rw", number e.DeltaLogZReweighted
              "eubo", estimate e.Eubo
              "eubo_gap", number e.EuboGap
              "w2", number e.W2
              "w2_floor", number e.W2Floor ]

    let readEvaluation (n: JsonNode) =
        EvaluationResult(
            (get n "steps").GetValue<int>(),
            readEstimate (get n "elbo"),
            readNumber n "logz_rw",
            readNumber n "dlogz",
            readNumber n "dlogz_rw",
            readEstimate (get n "eubo"),
            readNumber n "eubo_gap",
            readNumber n "w2",
            readNumber n "w2_floor"
        )

/// An evaluation as JSON (the fields of docs/spec-schema.md, `ratelab train --json`); NaN as null.
let evaluationNode (e: EvaluationResult) = Json.evaluation e

/// The untrained sampler's evaluation through the report's cache.
let untrainedCached (cached: Cached) (budget: TrainingBudget) (b: Benchmark) (seed: uint64) =
    let key =
        $"boltzmann-untrained/1/{b.Name}/seed={seed}/samples={budget.EvaluationSamples}"

    Json.readEvaluation (cached key (fun () -> Json.evaluation (untrained budget b seed)))

/// One training run through the report's cache, keyed by its settings' fingerprint, the iteration budget and the
/// evaluation settings: a resumed report reads finished runs instead of re-evaluating them (an unfinished one resumes
/// from its checkpoint).
let trainCached (cached: Cached) (budget: TrainingBudget) (b: Benchmark) objective grid steps seed (iterations: int64) =
    let fingerprint = (settings budget b objective grid steps seed).Fingerprint()
    let sweep = String.Join(",", budget.EvaluationSweep)

    let key =
        $"boltzmann-train/1/{b.Name}/{fingerprint}/iterations={iterations}/samples={budget.EvaluationSamples}/sweep={sweep}"

    let encode (r: TrainingRun) =
        Json.obj
            [ "energy", Json.number r.EnergyEvaluations
              "network", Json.number r.NetworkEvaluations
              "seconds", Json.number r.Seconds
              "eval100", Json.evaluation r.Eval100
              "eval_train", Json.evaluation r.EvalTrain
              "sweep",
              Text.Json.Nodes.JsonArray(
                  [| for n, g, s in r.Sweep -> Json.obj [ "n", Json.value n; "gap", Json.number g; "se", Json.number s ] |]
              ) ]

    let n =
        cached key (fun () -> encode (train budget b objective grid steps seed iterations))

    { Benchmark = b.Name
      Objective = objective
      Grid = grid
      TrainSteps = steps
      Seed = seed
      Iterations = iterations
      EnergyEvaluations = Json.readNumber n "energy"
      NetworkEvaluations = Json.readNumber n "network"
      Seconds = Json.readNumber n "seconds"
      Eval100 = Json.readEvaluation (Json.get n "eval100")
      EvalTrain = Json.readEvaluation (Json.get n "eval_train")
      Sweep =
        [ for x in (Json.get n "sweep").AsArray() ->
              let x = nonNull x in (Json.get x "n").GetValue<int>(), Json.readNumber x "gap", Json.readNumber x "se" ] }



/// The runs of one arm of C3 on one benchmark and objective, in the order of `runs` (the study's, seeds in the
/// budget's order).
let armRuns (runs: TrainingRun list) (bm: Benchmark) objective (a: Arm) =
    runs
    |> List.filter (fun r ->
        r.Benchmark = bm.Name
        && r.Objective = objective
        && isArm a (r.Grid, r.TrainSteps, r.Iterations))

/// Every run of a study: each benchmark × objective × grid kind × N_train × seed at the full iteration budget, plus
/// the equal-cost partner of C3 — N = 100 uniform trained for a tenth of the iterations, which costs as many network
/// evaluations as N = 10 at the full budget. Results are deterministic given the seeds and come back in this order.
let jobs (budget: TrainingBudget) =
    [ for b in budget.Benchmarks do
          for o in budget.Objectives do
              for g in [ GridKind.Uniform; GridKind.Random ] do
                  for n in budget.TrainSteps do
                      for s in budget.Seeds -> b, o, g, n, s, budget.Iterations

              let a = (c3Arms budget).EqualCost
              for s in budget.Seeds -> b, o, a.Grid, a.Steps, s, a.Iterations ]
    |> List.distinctBy (fun (b, o, g, n, s, i) -> b.Name, o, g, n, s, i)

/// Whether an objective is time-local: a sum of residuals over single transitions (DB) or sub-trajectories (FL-SubTB)
/// with a learned flow, needing log R at every state. C3's second half says coarse grids make these competitive.
let isTimeLocal (o: Objective) =
    o = Objective.DetailedBalance || o = Objective.SubTrajectoryBalance

/// The global objective the time-local ones are compared with on the coarse grid: TB, the objective of [S24]'s
/// published setting and the first of a budget.
let timeLocalReference = Objective.TrajectoryBalance

/// A group of runs that answers one question: C3's two equal-network-cost arms (N = 10 random at the full budget and
/// N = 100 uniform at a tenth of it) of some objectives, or an objective's published setting (uniform N = 100 at the
/// full budget).
type Phase =
    | C3Arms of Objective list
    | Published of Objective

/// The phases in the order they start: the C3 arms of the reference objective and the time-local ones together (on
/// each benchmark they decide both halves of C3: coarse against fine, and time-local against the reference on the
/// coarse grid); then the reference's published setting; then every other objective in the budget's order, its C3
/// arms before its published setting.
let phases (budget: TrainingBudget) =
    let reference = budget.Objectives |> List.filter ((=) timeLocalReference)

    let first =
        if reference.IsEmpty then
            []
        else
            reference @ List.filter isTimeLocal budget.Objectives

    [ if not first.IsEmpty then
          yield C3Arms first
      for o in reference -> Published o
      for o in budget.Objectives do
          if not (List.contains o reference) then
              if not (List.contains o first) then
                  yield C3Arms [ o ]

              yield Published o ]

/// The order in which runs start, so that a long profile interrupted and resumed from its cache has finished the runs
/// that answer the most first: phase by phase (`phases`); within C3's arms, benchmark by benchmark, objective by
/// objective and seed by seed, so each comparison can be judged as soon as its benchmark is done; within a published
/// setting, one seed of every benchmark before a second of any. After every phase, the remaining runs, cheapest first
/// (N_train × iterations).
let startOrder (budget: TrainingBudget) (b: Benchmark, o, g, n, s, i) =
    let benchmark = budget.Benchmarks |> List.findIndex (fun c -> c.Name = b.Name)
    let seed = List.findIndex ((=) s) budget.Seeds
    let order = phases budget
    let arms = c3Arms budget

    let c3 arm =
        let k =
            order
            |> List.findIndex (function
                | C3Arms os -> List.contains o os
                | Published _ -> false)

        let objectives =
            match order.[k] with
            | C3Arms os -> os
            | Published _ -> []

        let position = benchmark * objectives.Length + List.findIndex ((=) o) objectives
        k, int64 (position * budget.Seeds.Length + seed), arm

    if isArm arms.Coarse (g, n, i) then
        c3 0
    elif isArm arms.EqualCost (g, n, i) then
        c3 1
    elif isArm arms.SameIterations (g, n, i) then
        List.findIndex ((=) (Published o)) order, int64 seed, benchmark
    else
        order.Length, int64 n * i, benchmark

/// The positions in `jobs` of share `index` of `count` of a study: every count-th run in `startOrder`, from the
/// index-th on, so each share starts with the runs that answer the most and the shares partition the study.
let shareOf (budget: TrainingBudget) (index: int) (count: int) =
    if count < 1 || index < 0 || index >= count then
        raise (
            ArgumentOutOfRangeException(
                nameof index,
                $"share {index}/{count} is out of range; allowed: 0 ≤ index < count, count ≥ 1"
            )
        )

    let all = jobs budget |> Array.ofList

    [| 0 .. all.Length - 1 |]
    |> Array.sortBy (fun k -> startOrder budget all.[k], k)
    |> Array.indexed
    |> Array.filter (fun (position, _) -> position % count = index)
    |> Array.map snd

/// The runs of `jobs` at `positions`, started in that order as cores come free; the rest of the array stays empty.
let private runAt (cached: Cached) (budget: TrainingBudget) (positions: int[]) =
    let all = jobs budget |> Array.ofList
    let results: TrainingRun[] = Array.zeroCreate all.Length

    Threading.Tasks.Parallel.ForEach(
        Collections.Concurrent.Partitioner.Create(
            positions,
            Collections.Concurrent.EnumerablePartitionerOptions.NoBuffering
        ),
        // One run per core: left open, the thread pool adds threads while long runs block it, and later runs would
        // start before earlier ones finish.
        Threading.Tasks.ParallelOptions(MaxDegreeOfParallelism = Environment.ProcessorCount),
        fun k ->
            let b, o, g, n, s, i = all.[k]
            results.[k] <- trainCached cached budget b o g n s i
    )
    |> ignore

    results

/// The untrained sampler's evaluations on `bm`, one per seed in the budget's order.
let untrainedRuns (cached: Cached) (b: TrainingBudget) (bm: Benchmark) =
    [ for seed in b.Seeds -> untrainedCached cached b bm seed ]

/// Every run of `jobs`, started in `startOrder` as cores come free.
let runAll (cached: Cached) (budget: TrainingBudget) : TrainingRun list =
    runAt cached budget (shareOf budget 0 1) |> List.ofArray

/// Share `index` of `count` of the study (`shareOf`) into the cache, for a shard of a divided report; with it the
/// untrained baselines, which every share computes alike (they are cheap), so the merge computes nothing.
let runShare (cached: Cached) (budget: TrainingBudget) (index: int) (count: int) =
    for b in budget.Benchmarks do
        untrainedRuns cached budget b |> ignore

    runAt cached budget (shareOf budget index count) |> ignore

/// The limit series of a profile through the report's cache (key: every field of the profile), so a resumed report
/// does not rerun the path simulations.
let limitSeries (cached: string -> (unit -> Text.Json.Nodes.JsonNode) -> Text.Json.Nodes.JsonNode) (lp: LimitProfile) =
    let ints (xs: int[]) = String.Join(",", xs)

    let key =
        $"boltzmann-limits/1/paths={lp.Paths}/steps={ints lp.StepCounts}/fine={lp.FineSteps}/ratio={lp.Ratio:R}"
        + $"/db={ints lp.DbExponents}/pairs={lp.DbPairs}/seed={lp.Seed}"

    let encode () =
        let value (x: obj) : Text.Json.Nodes.JsonNode | null = Text.Json.Nodes.JsonValue.Create x
        let number = RateLab.Analysis.Experiments.JsonNumber.write

        let array (xs: (Text.Json.Nodes.JsonNode | null) seq) =
            Text.Json.Nodes.JsonArray(Array.ofSeq xs) :> Text.Json.Nodes.JsonNode

        let series (s: LimitSeries) =
            let o = Text.Json.Nodes.JsonObject()
            o["quantity"] <- value s.Quantity
            o["drift"] <- value s.Drift
            o["grid"] <- value (string s.Grid)
            o["reference"] <- number s.Reference
            o["reference_se"] <- number s.ReferenceStandardError
            o["reference_exact"] <- value s.ReferenceIsExact

            o["points"] <-
                array
                    [ for p in s.Points ->
                          let x = Text.Json.Nodes.JsonObject()
                          x["max_step"] <- number p.MaxStep
                          x["steps"] <- value p.Steps
                          x["value"] <- number p.Value
                          x["se"] <- number p.StandardError
                          x :> Text.Json.Nodes.JsonNode ]

            o :> Text.Json.Nodes.JsonNode

        array (LimitStudies.Run lp |> Seq.map series)

    let node = cached key encode
    let get (n: Text.Json.Nodes.JsonNode) (name: string) = nonNull n.[name]

    let number = RateLab.Analysis.Experiments.JsonNumber.read

    [ for s in node.AsArray() ->
          let s = nonNull s

          LimitSeries(
              (get s "quantity").GetValue<string>(),
              (get s "drift").GetValue<string>(),
              Enum.Parse<GridKind>((get s "grid").GetValue<string>()),
              number s "reference",
              number s "reference_se",
              (get s "reference_exact").GetValue<bool>(),
              [| for p in (get s "points").AsArray() ->
                     let p = nonNull p
                     LimitPoint(number p "max_step", (get p "steps").GetValue<int>(), number p "value", number p "se") |]
          ) ]
