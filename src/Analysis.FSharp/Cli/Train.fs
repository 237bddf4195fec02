/// `ratelab train`: one Boltzmann sampler trained with one objective on a benchmark, then evaluated on uniform grids
/// beside the untrained reference process on the same draws (docs/spec-schema.md). Every option is checked, with the
/// memory the run needs, before any iteration runs.
module RateLab.Analysis.Cli.Train

open System
open System.Text.Json.Nodes
open Argu
open RateLab.Boltzmann
open RateLab.Analysis.Experiments
open RateLab.Analysis.Studies
open RateLab.Analysis.Studies.BoltzmannStudies
open RateLab.Analysis.Report
open RateLab.Analysis.Cli.Arguments
open RateLab.Analysis.Cli.Ui

let private usage (message: string) : 'a = raise (ArgumentException message)

/// The objectives by their command-line names.
let objectives =
    [ "tb", Objective.TrajectoryBalance
      "vargrad", Objective.VarGrad
      "db", Objective.DetailedBalance
      "subtb", Objective.SubTrajectoryBalance
      "kl", Objective.KullbackLeibler ]

/// The training grid kinds by their command-line names.
let grids =
    [ "uniform", GridKind.Uniform
      "random", GridKind.Random
      "shifted", GridKind.ShiftedEquidistant ]

let private pick option (table: (string * 'a) list) (name: string) =
    match List.tryFind (fst >> (=) name) table with
    | Some(_, v) -> v
    | None ->
        let allowed = table |> List.map fst |> String.concat ", "
        usage $"{option} = {name}: unknown; allowed: {allowed}"

/// The largest network width and number of harmonics accepted: beyond them one layer's weights alone need gigabytes.
[<Literal>]
let MaxWidth = 4096

let private intIn option (lo: int) (hi: int) (v: int) =
    if v < lo || v > hi then
        usage $"{option} = {v}: out of range; allowed: {lo} to {hi}"

    v

let private positive option (v: float) =
    if not (Double.IsFinite v) || v <= 0.0 then
        usage $"{option} = {v}: out of range; allowed: a finite number > 0"

    v

/// Comma-separated evaluation step counts, each ≥ 1, without repeats.
let parseEvalSteps (text: string) =
    let counts =
        text.Split(',', StringSplitOptions.TrimEntries)
        |> Array.map (fun s ->
            match Int32.TryParse s with
            | true, n when n >= 1 -> n
            | _ ->
                usage
                    $"--eval-steps = {text}: \"{s}\" is not an integer in [1, {Int32.MaxValue}]; allowed: counts like 100,10")
        |> List.ofArray

    if List.distinct counts <> counts then
        usage $"--eval-steps = {text}: repeated count; allowed: distinct counts"

    counts

/// A checked `ratelab train` request.
type Request =
    { Benchmark: Benchmark
      TargetName: string
      ObjectiveName: string
      GridName: string
      Settings: TrainingSettings
      Iterations: int64
      EvalSteps: int list
      EvalSamples: int
      Checkpoint: string option }

/// Elements of the largest array a run allocates must stay within .NET's array limit.
let private elements option (count: float) =
    if count > float Array.MaxLength then
        usage
            $"{option}: needs an array of {count:G4} elements; allowed: at most {Array.MaxLength} (use fewer steps or samples)"

/// Bytes a run needs: the training batch (states, normals, per-step log-densities and flows), the networks with
/// their gradients and Adam moments, and the evaluation (forward and EUBO batches, the K×K assignment cost matrix).
let bytesNeeded (d: int) (r: Request) =
    let s = r.Settings

    let w, h, b, n =
        float s.Width, float s.Harmonics, float s.BatchSize, float s.Grid.Steps

    let k = float r.EvalSamples
    let dd = float d

    let perNetwork =
        w * (2.0 * h + dd + 1.0) + 2.0 * w * (w + 1.0) + (w + 1.0) * (dd + 1.0)

    let training = b * (n + 1.0) * (2.0 * dd + 5.0) + 2.0 * 4.0 * perNetwork
    let evalSteps = float (List.max r.EvalSteps)

    let evaluation =
        2.0 * k * (evalSteps + 1.0) * (2.0 * dd + 5.0) + k * k + 4.0 * k * dd

    8.0 * (training + evaluation)

/// Reads and checks every option; refuses conflicting ones (an option that has no effect with the chosen objective or
/// grid) and runs whose arrays or memory would not fit.
let request (availableBytes: int64) (args: ParseResults<TrainArgs>) =
    let targetName = args.GetResult TrainArgs.Target
    let benchmark = pick "--target" benchmarks targetName
    let objectiveName = args.GetResult TrainArgs.Objective
    let objective = pick "--objective" objectives objectiveName
    let iterations = args.GetResult TrainArgs.Iterations

    if iterations < 1L then
        usage $"--iterations = {iterations}: out of range; allowed: 1 to {Int64.MaxValue}"

    let gridName = args.GetResult(TrainArgs.Grid, "uniform")
    let grid = pick "--grid" grids gridName

    let steps =
        intIn "--steps" 1 (Array.MaxLength - 1) (args.GetResult(TrainArgs.Steps, 100))

    let ratio =
        match args.TryGetResult TrainArgs.Ratio with
        | Some r when grid <> GridKind.Random -> usage $"--ratio = {r}: only with --grid random (got --grid {gridName})"
        | Some r when not (Double.IsFinite r) || r < 1.0 ->
            usage $"--ratio = {r}: out of range; allowed: a finite ρ ≥ 1"
        | Some r -> r
        | None -> TrainingDefaults.Ratio

    let batch =
        intIn "--batch" 2 Array.MaxLength (args.GetResult(TrainArgs.Batch, TrainingDefaults.BatchSize))

    let width =
        intIn "--width" 1 MaxWidth (args.GetResult(TrainArgs.Width, TrainingDefaults.Width))

    let harmonics =
        intIn "--harmonics" 1 MaxWidth (args.GetResult(TrainArgs.Harmonics, TrainingDefaults.Harmonics))

    let exploration =
        match args.TryGetResult TrainArgs.Exploration with
        | Some f when not (Double.IsFinite f) || f < 0.0 ->
            usage $"--exploration = {f}: out of range; allowed: a finite number ≥ 0"
        | Some f when f > 0.0 && objective = Objective.KullbackLeibler ->
            usage
                $"--exploration = {f}: not with --objective kl; allowed: 0 (its reparameterised gradient needs on-policy samples)"
        | Some f -> f
        | None -> 0.0

    let lr =
        positive "--lr" (args.GetResult(TrainArgs.Lr, TrainingDefaults.PolicyLearningRate))

    let lrFlow =
        match args.TryGetResult TrainArgs.Lr_Flow with
        | Some r when objective = Objective.VarGrad || objective = Objective.KullbackLeibler ->
            usage
                $"--lr-flow = {r}: {objectiveName} learns neither log Z nor a flow; allowed: only with tb, db or subtb"
        | Some r -> Some(positive "--lr-flow" r)
        | None -> None

    let lambda =
        match args.TryGetResult TrainArgs.Lambda with
        | Some l when objective <> Objective.SubTrajectoryBalance ->
            usage $"--lambda = {l}: only with --objective subtb (got {objectiveName})"
        | Some l -> positive "--lambda" l
        | None -> TrainingDefaults.SubTbLambda

    let evalSteps =
        match args.TryGetResult TrainArgs.Eval_Steps with
        | Some text -> parseEvalSteps text
        | None -> List.distinct [ 100; steps ]

    let evalSamples =
        intIn
            "--eval-samples"
            2
            Array.MaxLength
            (args.GetResult(TrainArgs.Eval_Samples, TrainingDefaults.EvaluationSamples))

    let checkpoint =
        args.TryGetResult TrainArgs.Checkpoint
        |> Option.map (OutputDir.check "--checkpoint")

    let d = benchmark.Create().Dimension
    elements "--batch × (--steps + 1) × d" (float batch * (float steps + 1.0) * float d)

    elements
        "--eval-samples × (largest --eval-steps + 1) × d"
        (float evalSamples * (float (List.max evalSteps) + 1.0) * float d)

    elements "--eval-samples²" (float evalSamples * float evalSamples)

    let settings =
        TrainingSettings(
            objective,
            benchmark.Sigma,
            grid,
            steps,
            args.GetResult(TrainArgs.Seed, 1UL),
            ratio = ratio,
            batchSize = batch,
            learnedVariance = args.Contains TrainArgs.Learned_Variance,
            exploration = exploration,
            policyLearningRate = lr,
            flowLearningRate = Option.toNullable lrFlow,
            subTbLambda = lambda,
            width = width,
            harmonics = harmonics
        )

    let r =
        { Benchmark = benchmark
          TargetName = targetName
          ObjectiveName = objectiveName
          GridName = gridName
          Settings = settings
          Iterations = iterations
          EvalSteps = evalSteps
          EvalSamples = evalSamples
          Checkpoint = checkpoint }

    let need = bytesNeeded d r

    if need > float availableBytes then
        let gib (x: float) =
            (x / float (1L <<< 30)).ToString("0.##", Globalization.CultureInfo.InvariantCulture)

        usage (
            $"--batch, --steps, --eval-samples, --eval-steps, --width: the run needs about {gib need} GiB; "
            + $"allowed: at most the {gib (float availableBytes)} GiB available"
        )

    r

/// A trained run's evaluations and its cost.
type Outcome =
    { Trained: (int * EvaluationResult) list
      Untrained: (int * EvaluationResult) list
      EnergyEvaluations: float
      GradientEvaluations: float
      NetworkEvaluations: float
      Seconds: float }

/// Trains and evaluates; `progress` gets the fraction of training iterations done.
let execute (r: Request) (progress: float -> unit) : Outcome =
    let every = checkpointEvery r.Iterations

    let trained =
        trainSettings r.Checkpoint every r.Benchmark r.Settings r.Iterations progress

    let seed = r.Settings.Seed
    let target = r.Benchmark.Create()

    let evaluate n =
        n, TrainingStudy.Evaluate(trained.Trainer.Policy, target, TimeGrid(GridKind.Uniform, n), seed, r.EvalSamples)

    { Trained = r.EvalSteps |> List.map evaluate
      Untrained =
        r.EvalSteps
        |> List.map (fun n -> n, untrainedAt r.Benchmark seed n r.EvalSamples)
      EnergyEvaluations = trained.EnergyEvaluations
      GradientEvaluations = trained.GradientEvaluations
      NetworkEvaluations = float r.Settings.BatchSize * float r.Settings.Grid.Steps * float r.Iterations
      Seconds = trained.Seconds }

let private number = RateLab.Analysis.Experiments.JsonNumber.write

/// The object printed by `train --json` (docs/spec-schema.md).
let toJson (r: Request) (o: Outcome) =
    let s = r.Settings
    let root = JsonObject()
    root["target"] <- JsonValue.Create r.TargetName
    root["objective"] <- JsonValue.Create r.ObjectiveName
    root["grid"] <- JsonValue.Create r.GridName
    root["steps"] <- JsonValue.Create s.Grid.Steps
    root["ratio"] <- number s.Grid.Ratio
    root["iterations"] <- JsonValue.Create r.Iterations
    root["batch"] <- JsonValue.Create s.BatchSize
    root["width"] <- JsonValue.Create s.Width
    root["harmonics"] <- JsonValue.Create s.Harmonics
    root["seed"] <- JsonValue.Create s.Seed
    root["learned_variance"] <- JsonValue.Create s.LearnedVariance
    root["exploration"] <- number s.Exploration
    root["lr"] <- number s.PolicyLearningRate
    root["lr_flow"] <- number s.FlowLearningRate
    root["lambda"] <- number s.SubTbLambda
    root["sigma"] <- number s.Sigma
    root["eval_samples"] <- JsonValue.Create r.EvalSamples
    let cost = JsonObject()
    cost["energy_evaluations"] <- number o.EnergyEvaluations
    cost["gradient_evaluations"] <- number o.GradientEvaluations
    cost["network_evaluations"] <- number o.NetworkEvaluations
    cost["seconds"] <- number o.Seconds
    root["cost"] <- cost

    let evaluations (policy: string) rows =
        [ for _, e in rows ->
              let n = evaluationNode e
              n["policy"] <- JsonValue.Create policy
              Some n |> Option.toObj ]

    root["evaluations"] <-
        JsonArray(
            evaluations "trained" o.Trained @ evaluations "untrained" o.Untrained
            |> List.toArray
        )

    root.ToJsonString()

/// The table of `train`: one row per policy and evaluation grid, then how the figures were obtained.
let toText (r: Request) (o: Outcome) =
    let pm (e: Estimate) =
        $"{Format.num e.Value} ± {Format.num e.StandardError}"

    let row policy (n: int, e: EvaluationResult) =
        [ policy
          string n
          pm e.Elbo
          Format.num e.DeltaLogZ
          Format.num e.DeltaLogZReweighted
          Format.num e.EuboGap
          Format.num e.W2
          Format.num e.W2Floor ]

    let header =
        [ "policy"
          "N_eval"
          "ELBO ± SE"
          "ΔlogZ"
          "ΔlogZ^RW"
          "EUBO − log Z"
          "W2"
          "W2 floor" ]

    let rows =
        (o.Trained |> List.map (row "trained"))
        @ (o.Untrained |> List.map (row "untrained"))

    let s = r.Settings

    let grid =
        if s.Grid.Kind = GridKind.Random then
            $"{r.GridName} (ρ = {Format.num s.Grid.Ratio})"
        else
            r.GridName

    Markdown.table header rows
    + $"\ntraining: {r.ObjectiveName} on {r.Benchmark.Name}, {r.Iterations} iterations of B = {s.BatchSize} on the "
    + $"{grid} grid with N_train = {s.Grid.Steps}; {Format.num o.EnergyEvaluations} log R and "
    + $"{Format.num o.GradientEvaluations} ∇log R evaluations (counted by the oracle), "
    + $"{Format.num o.NetworkEvaluations} policy-network evaluations, {Ui.duration o.Seconds}.\n"
    + $"evaluation: K = {r.EvalSamples} trajectories per uniform grid, draws keyed by seed {s.Seed}; the untrained row "
    + "is the zero-drift reference process on the same draws. ΔlogZ = |log Z − ELBO|, ΔlogZ^RW its importance-weighted "
    + "form; W2 floor is W2 between two exact sample sets of size K, below which W2 cannot resolve.\n"

/// Runs `ratelab train`.
let run (ui: Ui) (args: ParseResults<TrainArgs>) =
    let r = request (Preflight.availableBytes ()) args
    // With --json stdout carries the one JSON object and nothing else, so no progress lines.
    if args.Contains TrainArgs.Json then
        ui.Out.WriteLine(toJson r (execute r ignore))
    else
        let outcome =
            withProgress ui (fun start -> execute r (start $"train {r.ObjectiveName} on {r.TargetName}"))

        ui.Out.Write(toText r outcome)
