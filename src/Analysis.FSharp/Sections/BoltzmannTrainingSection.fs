/// reports/boltzmann, training: coarse-versus-fine training on the [S24] benchmarks (C3, C6) — the budgets per
/// profile, the published numbers beside ours, the equal-cost comparisons and the partial rendering of a study still
/// being computed.
module RateLab.Analysis.Sections.BoltzmannTrainingSection

open System
open RateLab.Boltzmann
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Claims
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Studies.BoltzmannStudies
open RateLab.Analysis.Sections.BoltzmannTable1
open RateLab.Analysis.Sections.BoltzmannTrainingFigures
open RateLab.Analysis.Sections.BoltzmannTrainingEvidence

/// The training budget of a profile. Quick is a reduced run sized to about two minutes on 2 cores and still long
/// enough for the N = 10 random model to beat the untrained sampler on 25GMM over 3 seeds (paired t; measured with
/// `ratelab train --target 25gmm --objective tb --iterations 500 --batch 64 --width 32 --harmonics 16 --steps 10
/// --grid random --eval-samples 256`, 200 iterations were not enough); it leaves out N_train = 100 at the full budget,
/// which alone would cost ten coarse runs. Full is [S24]'s published setting (`BoltzmannTable1.setting`), with DB
/// beside [S24]'s objectives because C3 names time-local objectives.
let budget profile checkpointDirectory : TrainingBudget =
    match profile with
    | Quick ->
        { Benchmarks = [ gmm25; funnel ]
          Objectives = [ Objective.TrajectoryBalance ]
          TrainSteps = [ 5; 10; 25 ]
          Seeds = [ 1UL; 2UL; 3UL ]
          Iterations = 500L
          Batch = 64
          Width = 32
          Harmonics = 16
          EvaluationSamples = 256
          EvaluationSweep = [ 10; 25; 50; 100; 200 ]
          CheckpointDirectory = checkpointDirectory }
    | Full ->
        { Benchmarks = [ gmm25; funnel; manywell ]
          Objectives =
            [ Objective.TrajectoryBalance
              Objective.VarGrad
              Objective.SubTrajectoryBalance
              Objective.DetailedBalance
              Objective.KullbackLeibler ]
          TrainSteps = [ 5; 10; 25; 100 ]
          Seeds = [ 1UL .. uint64 setting.Seeds ]
          Iterations = setting.Iterations
          Batch = setting.Batch
          Width = setting.Width
          Harmonics = setting.Harmonics
          EvaluationSamples = setting.EvaluationSamples
          EvaluationSweep = [ 5; 10; 25; 50; 100; 200 ]
          CheckpointDirectory = checkpointDirectory }

/// One row per setting (target, objective, grid, N_train, iterations), each figure mean ± standard deviation over the
/// setting's seeds; `seedColumn` adds the seeds a row holds (for a study still being computed, where rows differ).
let private table (seedColumn: bool) (runs: TrainingRun list) =
    let seedsHead, seedsRule = if seedColumn then " seeds |", "---|" else "", ""

    let header =
        $"| target | objective | grid | N_train | iterations |{seedsHead} ΔlogZ | ΔlogZ^RW | EUBO gap | W2 (floor) | ΔlogZ at N_eval = N_train | energy evals | network evals | seconds | [S24] 100-step ΔlogZ / ΔlogZ^RW / W2 |\n"
        + $"|---|---|---|---|---|{seedsRule}---|---|---|---|---|---|---|---|---|\n"

    let rows =
        runs
        |> List.groupBy (fun r -> r.Benchmark, r.Objective, r.Grid, r.TrainSteps, r.Iterations)
        |> List.map (fun ((bm, o, g, n, it), rs) ->
            let f (sel: TrainingRun -> float) = rs |> List.map sel |> spread

            let seeds =
                if seedColumn then
                    " " + (rs |> List.map (fun r -> string r.Seed) |> String.concat ", ") + " |"
                else
                    ""

            $"| {bm} | {o} | {g} | {n} | {it} |{seeds} {f (fun r -> r.Eval100.DeltaLogZ)} | {f (fun r -> r.Eval100.DeltaLogZReweighted)} | {f (fun r -> r.Eval100.EuboGap)} | {f (fun r -> r.Eval100.W2)} ({f (fun r -> r.Eval100.W2Floor)}) | {f (fun r -> r.EvalTrain.DeltaLogZ)} | {rs.Head.EnergyEvaluations:g3} | {rs.Head.NetworkEvaluations:g3} | {f (fun r -> r.Seconds)} | {reference o bm} |")

    header + String.concat "\n" rows

let private tableRows (b: TrainingBudget) (runs: TrainingRun list) =
    table false runs
    + $"\n\nValues: mean ± standard deviation over {b.Seeds.Length} seeds; evaluation on uniform N_eval = 100 with K = {b.EvaluationSamples}."

/// Whether `e` is, or wraps (parallel work), a cache miss of a `--cached-only` rendering.
let rec private isMiss (e: exn) =
    match e with
    | NotInCache _ -> true
    | :? AggregateException as a -> a.InnerExceptions |> Seq.exists isMiss
    | _ -> false

/// The study's scale against [S24]'s, the first paragraph of its method.
let private scaleText (profile: Profile) (b: TrainingBudget) =
    let names = b.Benchmarks |> List.map (fun x -> x.Name) |> String.concat " and "
    let objectives = b.Objectives |> List.map string |> String.concat ", "

    match profile with
    | Quick ->
        let steps = b.TrainSteps |> List.map string |> String.concat ", "

        $"**Reduced-scale run.** {b.Iterations} iterations, batch {b.Batch}, width {b.Width} with {b.Harmonics} harmonics, K = {b.EvaluationSamples}, "
        + $"{b.Seeds.Length} seeds, N_train ∈ {{{steps}}}, only {names} and only {objectives}, "
        + $"against [S24]'s {setting.Iterations:N0} iterations, batch {setting.Batch}, width {setting.Width}, K = {setting.EvaluationSamples} and {setting.Seeds} seeds: far too short for [S24]'s absolute numbers, "
        + "which are shown for reference only; whether it is long enough to tell a trained model from the untrained sampler is "
        + "tested in each comparison (paired over seeds). Any setting of this study can be rerun alone, at any budget, with `ratelab train`."
    | Full ->
        $"Published budget of [S24]: {setting.Iterations:N0} iterations, batch {setting.Batch}, width {setting.Width} ({setting.Harmonics} harmonics), K = {setting.EvaluationSamples}, {setting.Seeds} seeds; TB, VarGrad (without "
        + "exploration), FL-SubTB, DB with the forward-looking flow (no [S24] row: trained for C3's time-local half) and KL (PIS) "
        + "on 25GMM, Funnel and Manywell (d = 32). This takes many hours (days on 2 cores); "
        + "checkpoints make it resumable. No local search, Langevin parametrisation or exploration, so compare with the plain rows of [S24]."

/// How C3's second half (coarse grids make time-local objectives competitive) is judged, or why it is not.
let private timeLocalText (b: TrainingBudget) =
    let local = b.Objectives |> List.filter isTimeLocal

    if local.IsEmpty || not (List.contains timeLocalReference b.Objectives) then
        " C3's second half, that coarse grids make time-local objectives (DB, FL-SubTB) competitive, is not judged in this "
        + "profile: it does not train a time-local objective beside TB (the full profile trains FL-SubTB and DB)."
    else
        let names = local |> List.map string |> String.concat ", "

        $" C3's second half, that coarse grids make time-local objectives competitive: {names} on the N = 10 random grid "
        + $"against {timeLocalReference} on the same grid and budget, with the same paired gate; competitive when the Welch "
        + $"interval of the difference lies at or below {similarity} × the {timeLocalReference} mean."

/// How the runs are trained and evaluated and how C3 is judged.
let private trainingMethod (b: TrainingBudget) =
    "Each run trains the Euler–Maruyama policy (fixed variance, exact-bridge backward policy, zero-initialised drift network) "
    + "from its seed; random grids are bounded-ratio with ρ = 10, redrawn per trajectory. Evaluation on uniform grids with N_eval = 100 "
    + "and N_train: ELBO, log Ẑ^RW, EUBO (exact target samples and backward trajectories) and W2 by exact assignment with its floor "
    + "(two exact sample sets). Costs: energy evaluations (log R; one per trajectory for TB/VarGrad/KL, N + 1 with FL flows), policy-network "
    + "evaluations B·N per iteration, and wall time (runs execute in parallel on all cores, so wall times include contention). "
    + "The figures draw each setting's mean over seeds with the 95 % t-interval of the mean as a band (none for a single seed) and "
    + "the untrained sampler's mean as a dashed level. The C3 comparison holds the network cost "
    + "equal, judged by a Welch interval over seeds and only when at least one arm beat the untrained sampler (C3's "
    + "'sample efficiency' is not defined further). Where N = 100 uniform is also trained for the full budget (the full profile), "
    + "the coarse arm is judged against it at the same iterations too: similar quality, the Welch interval of the difference at "
    + $"or below {similarity} × the fine mean, at a tenth of the network cost (docs/claims.md)."
    + timeLocalText b

/// C3 and C6 from one training study whose runs have all finished.
let private completeTrainingSection (runs: TrainingRun list) (cached: Cached) (b: TrainingBudget) (scale: string) =
    let full = b.Iterations
    let baselines = [ for bm in b.Benchmarks -> bm, baseline cached b bm ]

    let comparisons =
        [ for bm, gaps in baselines do
              for o in b.Objectives do
                  yield! c3Judgements b runs gaps bm o ]

    let c6Row, c6Sweep = (c6 b runs (gapMap b baselines)).Value
    let evidence = comparisons @ [ c6Row ]
    let verdict = Verdicts.combine evidence
    let reason = evidence |> List.map (fun j -> j.Reason) |> String.concat " "

    let figures =
        [ for bm in b.Benchmarks do
              let untrained = untrainedRuns cached b bm

              for o in b.Objectives do
                  yield! figuresOf b bm o runs untrained ]

    let reproduced = reproduction b runs

    { Title = "Coarse versus fine training grids (C3, C6)"
      ClaimIds = [ "C3"; "C6" ]
      Verdict = verdict
      Evidence = evidence
      Reason = $"{c3Heading b}: {reason}{reproductionSummary reproduced}"
      Method =
        scale
        + "\n\n"
        + trainingMethod b
        + " "
        + $"{c6Sweep}\n\n"
        + tableRows b runs
        + reproductionTable reproduced
      Fits = []
      Figures = figures
      Curves = [] }

/// What a `--cached-only` rendering shows of a training study whose runs are not all cached: the finished runs beside
/// [S24], C3 judged for each benchmark and objective whose two equal-cost arms have finished every seed (with the
/// untrained sampler's evaluations cached), the others listed as not computed, and C6 on the finished coarse models.
/// The study takes days at the published budget and is computed across interruptions, and its start order finishes
/// those arms first (`startOrder`).
let private partialTrainingSection (cached: Cached) (b: TrainingBudget) (scale: string) : Section =
    let all = jobs b

    let finished =
        all
        |> List.choose (fun (bm, o, g, n, s, i) ->
            try
                Some(trainCached cached b bm o g n s i)
            with NotInCache _ ->
                None)

    let arms = c3Arms b

    let published =
        finished
        |> List.filter (fun r -> isArm arms.SameIterations (r.Grid, r.TrainSteps, r.Iterations))

    let baselines =
        b.Benchmarks
        |> List.choose (fun bm ->
            try
                Some(bm, baseline cached b bm)
            with NotInCache _ ->
                None)

    // Per benchmark and objective: its judgements once both equal-cost arms have every seed, otherwise what it lacks
    // (runs cached, runs needed, whether the untrained evaluations are cached).
    let perPair =
        [ for bm in b.Benchmarks do
              let untrained =
                  baselines |> List.tryFind (fun (x, _) -> x.Name = bm.Name) |> Option.map snd

              for o in b.Objectives ->
                  let have =
                      (armRuns finished bm o arms.Coarse).Length
                      + (armRuns finished bm o arms.EqualCost).Length

                  let needed = 2 * b.Seeds.Length

                  match untrained with
                  | Some gaps when have = needed -> Ok(c3Judgements b finished gaps bm o)
                  | _ -> Error($"{bm.Name}, {o}", o, have, needed, untrained.IsNone) ]

    let waiting =
        [ for x in perPair do
              match x with
              | Error(what, o, have, needed, noBaseline) ->
                  let why =
                      if noBaseline then
                          "; the untrained sampler's evaluations are not cached yet"
                      else
                          ""

                  let timeLocal =
                      if isTimeLocal o && List.contains timeLocalReference b.Objectives then
                          $"; its comparison with {timeLocalReference} on the coarse grid waits for them too"
                      else
                          ""

                  yield what, $"{have} of the {needed} equal-cost runs cached{why}{timeLocal}"
              | Ok _ -> () ]

    let comparisons =
        [ for x in perPair do
              match x with
              | Ok judgements -> yield! judgements
              | Error _ -> () ]
        @ [ for what, lacks in waiting ->
                { Verdicts.Subject = $"C3 {what}"
                  Verdicts.Verdict = NotComputed
                  Verdicts.Reason = $"{what}: {lacks}."
                  Verdicts.CannotShow = "not judged until both arms have every seed"
                  Verdicts.Counted = false } ]

    let judged = comparisons |> List.filter (fun j -> j.Counted)

    let figures =
        [ for bm in b.Benchmarks do
              let untrained =
                  try
                      untrainedRuns cached b bm
                  with NotInCache _ ->
                      []

              for o in b.Objectives do
                  yield! figuresOf b bm o finished untrained ]

    let pairs = perPair.Length - waiting.Length

    let c6Row, c6Reason, c6Sweep =
        match c6 b finished (gapMap b baselines) with
        | Some(row, sweep) -> [ row ], " " + row.Reason, " " + sweep
        | None -> [], " C6 waits for a finished N = 10 random run at the full budget.", ""

    let rows =
        if finished.IsEmpty then
            "No run has finished yet."
        else
            table true finished
            + $"\n\nValues: mean ± standard deviation over the seeds of each row (its seeds column; a single seed's value stands alone); evaluation on uniform N_eval = 100 with K = {b.EvaluationSamples}."

    let reproduced = reproduction b finished

    { Title = "Coarse versus fine training grids (C3, C6): partly computed"
      ClaimIds = [ "C3"; "C6" ]
      Verdict =
        (if judged.IsEmpty && c6Row.IsEmpty then
             NotComputed
         else
             Verdicts.combine (judged @ c6Row))
      Evidence = comparisons @ c6Row
      Reason =
        $"{finished.Length} of the study's {all.Length} training runs are cached ({published.Length} of them at the published setting of [S24], "
        + $"uniform N = 100 at the full budget). {c3Heading b}, judged for {pairs} of the {perPair.Length} benchmark × objective "
        + "comparisons (those whose two arms have finished every seed; the verdict covers only these)."
        + (judged |> List.map (fun j -> " " + j.Reason) |> String.concat "")
        + (if waiting.IsEmpty then
               ""
           else
               " Not judged yet: "
               + (waiting
                  |> List.map (fun (what, lacks) -> $"{what} ({lacks})")
                  |> String.concat "; ")
               + ".")
        + c6Reason
        + reproductionSummary reproduced
        + " `ratelab report --profile full --out DIR` resumes the study from the cache."
      Method =
        scale
        + "\n\n"
        + trainingMethod b
        + c6Sweep
        + "\n\n"
        + rows
        + reproductionTable reproduced
      Fits = []
      Figures = figures
      Curves = [] }

/// C3 and C6 from one training study; in a `--cached-only` rendering before every run has finished, its finished runs
/// and the comparisons they complete.
let trainingSection (cached: Cached) (profile: Profile) (b: TrainingBudget) : Section =
    let scale = scaleText profile b

    // The untrained evaluations first: they are cheap, and a partial rendering needs them to judge C3.
    let runs =
        try
            for bm in b.Benchmarks do
                baseline cached b bm |> ignore

            Some(runAll cached b)
        with e when isMiss e ->
            None

    match runs with
    | Some runs -> completeTrainingSection runs cached b scale
    | None -> partialTrainingSection cached b scale
