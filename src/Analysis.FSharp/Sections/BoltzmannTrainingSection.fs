/// reports/boltzmann, training: coarse-versus-fine training on the [S24] benchmarks (C3, C6) — the budgets per
/// profile, the published numbers beside ours, the equal-cost comparisons and the partial rendering of a study still
/// being computed.
module RateLab.Analysis.Sections.BoltzmannTrainingSection

open System
open System.IO
open RateLab.Boltzmann
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Claims
open RateLab.Analysis.Plots.Figure
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Sections.SectionKit
open RateLab.Analysis.Studies.BoltzmannStudies
open RateLab.Analysis.Claims.Comparisons

/// The training budget of a profile. Quick is a reduced run sized to about two minutes on 2 cores and still long
/// enough for the N = 10 random model to beat the untrained sampler on 25GMM over 3 seeds (paired t; measured with
/// `ratelab train --target 25gmm --objective tb --iterations 500 --batch 64 --width 32 --harmonics 16 --steps 10
/// --grid random --eval-samples 256`, 200 iterations were not enough); it leaves out N_train = 100 at the full budget,
/// which alone would cost ten coarse runs. Full is the published budget of [S24] (25,000 iterations, batch 300,
/// width 64, 5 seeds, K = 2000), with DB beside [S24]'s objectives because C3 names time-local objectives.
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
          Seeds = [ 1UL .. 5UL ]
          Iterations = 25000L
          Batch = 300
          Width = 64
          Harmonics = 64
          EvaluationSamples = 2000
          EvaluationSweep = [ 5; 10; 25; 50; 100; 200 ]
          CheckpointDirectory = checkpointDirectory }

/// [S24] Table 1 (uniform 100 steps, 25,000 iterations, batch 300, 5 seeds): the row's name and its ΔlogZ, ΔlogZ^RW,
/// W2 as printed (mean ± standard deviation over seeds) on 25GMM, Funnel and Manywell. The rows closest to our
/// objectives: TB; VarGrad only with exploration; FL-SubTB; PIS for KL. No DB row exists.
let private table1 (objective: Objective) =
    match objective with
    | Objective.TrajectoryBalance ->
        Some(
            "TB",
            [ "1.176±0.109", "1.071±0.112", "4.83±0.45"
              "0.690±0.018", "0.239±0.192", "22.4±4.0"
              "4.01±0.04", "2.67±0.02", "6.14±0.02" ]
        )
    | Objective.VarGrad ->
        Some(
            "VarGrad + Expl.",
            [ "0.615±0.241", "0.487±0.250", "3.89±0.85"
              "0.642±0.010", "0.250±0.112", "22.1±4.0"
              "4.01±0.05", "2.69±0.06", "6.15±0.02" ]
        )
    | Objective.SubTrajectoryBalance ->
        Some(
            "FL-SubTB",
            [ "1.127±0.010", "1.020±0.010", "4.64±0.09"
              "0.527±0.011", "0.182±0.142", "22.1±4.0"
              "3.98±0.07", "2.72±0.05", "6.15±0.01" ]
        )
    | Objective.KullbackLeibler ->
        Some(
            "PIS",
            [ "1.769±0.104", "1.274±0.218", "6.37±0.65"
              "0.534±0.008", "0.262±0.008", "22.0±4.0"
              "3.85±0.03", "2.69±0.04", "6.15±0.02" ]
        )
    | _ -> None

/// [S24]'s cell for an objective and benchmark: the row's name and its printed (ΔlogZ, ΔlogZ^RW, W2).
let private table1Cell (objective: Objective) (benchmark: string) =
    let column =
        if benchmark = gmm25.Name then Some 0
        elif benchmark = funnel.Name then Some 1
        elif benchmark = manywell.Name then Some 2
        else None

    match table1 objective, column with
    | Some(name, values: (string * string * string) list), Some k -> Some(name, values.[k])
    | _ -> None

/// [S24]'s numbers for an objective and benchmark as printed, "—" where Table 1 has none.
let reference (objective: Objective) (benchmark: string) =
    match table1Cell objective benchmark with
    | Some(name, (a, b, c)) -> $"{name}: {a} / {b} / {c}"
    | None -> "—"

/// Mean ± standard deviation of a row's seeds; one seed's value alone (it has no spread).
let private spread (xs: float list) =
    match xs with
    | [ x ] -> $"{x:g3}"
    | _ ->
        let m = List.average xs
        let sd = sqrt ((xs |> List.sumBy (fun x -> (x - m) ** 2.0)) / float (xs.Length - 1))
        $"{m:g3} ± {sd:g2}"

/// The mean over seeds and its 95 % Student-t interval; a single seed's value alone (zero width: no spread to show).
let private meanInterval (xs: float list) =
    let m, se = meanSe xs

    if xs.Length < 2 then
        m, m, m
    else
        let h =
            MathNet.Numerics.Distributions.StudentT.InvCDF(0.0, 1.0, float (xs.Length - 1), 0.975)
            * se

        m, m - h, m + h

/// Quality against cost for one benchmark and objective: one series per grid kind over N_train at the full budget and
/// one for N = 100 uniform at a tenth of it (mean over seeds, band the 95 % t-interval of the mean), and the untrained
/// sampler's mean as a dashed level when known. Series without runs (a study still being computed) are left out.
let qualityFigure
    id
    title
    (xAxis: Axis)
    (yLabel: string)
    (cost: TrainingRun -> float)
    (quality: EvaluationResult -> float)
    (runs: TrainingRun list)
    (untrained: EvaluationResult list)
    (full: int64)
    =
    let series (label: string) (group: TrainingRun list) =
        let points =
            group
            |> List.groupBy (fun r -> r.TrainSteps)
            |> List.sortBy fst
            |> List.map (fun (_, rs) -> List.averageBy cost rs, meanInterval [ for r in rs -> quality r.Eval100 ])
            |> Array.ofList

        { Label = label
          X = points |> Array.map fst
          Y = points |> Array.map (fun (_, (m, _, _)) -> m)
          Band = Some(points |> Array.map (fun (_, (_, lo, _)) -> lo), points |> Array.map (fun (_, (_, _, hi)) -> hi))
          Style = Measured }

    let grid (g: GridKind) =
        let rs = runs |> List.filter (fun r -> r.Grid = g && r.Iterations = full)
        let steps = rs |> List.map (fun r -> r.TrainSteps) |> List.distinct |> List.sort

        let range =
            match steps with
            | [] -> ""
            | [ n ] -> $"N_train = {n}"
            | _ -> $"N_train = {List.min steps}…{List.max steps}"

        $"{(string g).ToLowerInvariant()} grid, {range}", rs

    let trained =
        [ grid GridKind.Uniform
          grid GridKind.Random
          "uniform N_train = 100 at a tenth of the iterations", runs |> List.filter (fun r -> r.Iterations <> full) ]
        |> List.filter (fun (_, rs) -> not rs.IsEmpty)
        |> List.map (fun (label, rs) -> series label rs)

    let level =
        let xs = trained |> Array.ofList |> Array.collect (fun s -> s.X)

        match untrained with
        | [] -> []
        | _ when xs.Length = 0 -> []
        | u ->
            let mean = List.averageBy quality u

            [ { Label = $"untrained sampler, mean of {u.Length} seeds"
                X = [| Array.min xs / 1.5; Array.max xs * 1.5 |]
                Y = [| mean; mean |]
                Band = None
                Style = Theory } ]

    { Id = id
      Title = title
      X = xAxis
      Y =
        { Label = $"{yLabel} (smaller is better)"
          Log = false }
      Series = trained @ level }
    |> RateLab.Analysis.Plots.Figure.validate

let private metrics: (string * string * (EvaluationResult -> float)) list =
    [ "dlogz", "ΔlogZ", fun e -> e.DeltaLogZ
      "dlogzrw", "ΔlogZ^RW", fun e -> e.DeltaLogZReweighted
      "eubo", "EUBO gap", fun e -> e.EuboGap
      "w2", "W2 (floor in the table)", fun e -> e.W2 ]

/// The figures of one benchmark and objective: each quality metric against policy-network evaluations, ΔlogZ against
/// energy evaluations and against training wall time.
let private figuresOf
    (b: TrainingBudget)
    (bm: Benchmark)
    o
    (runs: TrainingRun list)
    (untrained: EvaluationResult list)
    =
    let rs = runs |> List.filter (fun r -> r.Benchmark = bm.Name && r.Objective = o)
    let id = slug $"train-{bm.Name}-{o}"

    let figure key (what: string) (xLabel: string) (yLabel: string) cost quality =
        qualityFigure
            $"{id}-{key}"
            $"{bm.Name}, {o}: {yLabel} at N_eval = 100 vs {what}"
            { Label = xLabel; Log = true }
            yLabel
            cost
            quality
            rs
            untrained
            b.Iterations

    let network = "policy-network evaluations in training (B·N·iterations)"

    if rs.IsEmpty then
        []
    else
        [ for key, label, sel in metrics ->
              figure key "network evaluations" network label (fun r -> r.NetworkEvaluations) sel ]
        @ [ figure
                "energy"
                "energy evaluations"
                "energy evaluations in training (log R)"
                "ΔlogZ"
                (fun r -> r.EnergyEvaluations)
                (fun e -> e.DeltaLogZ)
            figure "wall" "training wall time" "training wall time (s)" "ΔlogZ" (fun r -> r.Seconds) (fun e ->
                e.DeltaLogZ) ]

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
        + "against [S24]'s 25,000 iterations, batch 300, width 64, K = 2000 and 5 seeds: far too short for [S24]'s absolute numbers, "
        + "which are shown for reference only; whether it is long enough to tell a trained model from the untrained sampler is "
        + "tested in each comparison (paired over seeds). Any setting of this study can be rerun alone, at any budget, with `ratelab train`."
    | Full ->
        "Published budget of [S24]: 25,000 iterations, batch 300, width 64 (64 harmonics), K = 2000, 5 seeds; TB, VarGrad (without "
        + "exploration), FL-SubTB, DB with the forward-looking flow (no [S24] row: trained for C3's time-local half) and KL (PIS) "
        + "on 25GMM, Funnel and Manywell (d = 32). This takes many hours (days on 2 cores); "
        + "checkpoints make it resumable. No local search, Langevin parametrisation or exploration, so compare with the plain rows of [S24]."

/// What C3 compares, the opening of its reason.
let private c3Heading (b: TrainingBudget) =
    let arms = c3Arms b

    $"C3 at equal network cost (N = {arms.Coarse.Steps} random at {arms.Coarse.Iterations} iterations vs N = {arms.EqualCost.Steps} uniform at {arms.EqualCost.Iterations}), ΔlogZ at N_eval = 100"

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
        + $"interval of the difference lies at or below 0.2 × the {timeLocalReference} mean."

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
    + "or below 0.2 × the fine mean, at a tenth of the network cost (docs/claims.md)."
    + timeLocalText b

/// The untrained sampler's ΔlogZ on `bm`, one per seed in the budget's order: the baseline both C3 arms must beat.
let private baseline (cached: Cached) (b: TrainingBudget) (bm: Benchmark) =
    untrainedRuns cached b bm |> List.map (fun e -> e.DeltaLogZ)

/// The baselines of some benchmarks by (benchmark, seed), for C6's choice of model.
let private gapMap (b: TrainingBudget) (baselines: (Benchmark * float list) list) =
    Map.ofList
        [ for bm, gaps in baselines do
              yield! List.zip [ for seed in b.Seeds -> bm.Name, seed ] gaps ]

/// The runs of one arm of C3 on one benchmark and objective, in the order of `runs` (the study's, seeds in the
/// budget's order).
let private armRuns (runs: TrainingRun list) (bm: Benchmark) objective (a: Arm) =
    runs
    |> List.filter (fun r ->
        r.Benchmark = bm.Name
        && r.Objective = objective
        && isArm a (r.Grid, r.TrainSteps, r.Iterations))

/// Whether a budget is [S24]'s published setting, the only one whose numbers Table 1 can be compared with.
let private isPublishedSetting (b: TrainingBudget) =
    let p = budget Full b.CheckpointDirectory

    b.Iterations = p.Iterations
    && b.Batch = p.Batch
    && b.Width = p.Width
    && b.Harmonics = p.Harmonics
    && b.EvaluationSamples = p.EvaluationSamples

/// One number of [S24] Table 1 against ours at the published setting.
type Reproduced =
    { Subject: string
      Ours: string
      Published: string
      Difference: float
      Tolerance: float
      Outcome: string
      Matches: bool option }

/// [S24]'s numbers against our runs of its setting (uniform N = 100 at the full budget), metric by metric, for the
/// objectives with a Table 1 row. Ours match when |mean − m| ≤ 2·√(s²/n + s₂₄²/5): our mean over n seeds against
/// [S24]'s mean m and standard deviation s₂₄ over its 5 seeds, s our standard deviation; with one seed, s₂₄ stands in
/// for s (the same protocol, so the same seed spread). VarGrad is not comparable: [S24]'s row trains with exploration.
let reproduction (b: TrainingBudget) (runs: TrainingRun list) : Reproduced list =
    let metrics: (string * (EvaluationResult -> float)) list =
        [ "ΔlogZ", (fun e -> e.DeltaLogZ)
          "ΔlogZ^RW", (fun e -> e.DeltaLogZReweighted)
          "W2", (fun e -> e.W2) ]

    let parse (printed: string) =
        let parts = printed.Split '±'

        Double.Parse(parts.[0], Globalization.CultureInfo.InvariantCulture),
        Double.Parse(parts.[1], Globalization.CultureInfo.InvariantCulture)

    [ if isPublishedSetting b then
          for bm in b.Benchmarks do
              for o in b.Objectives do
                  let rs = armRuns runs bm o (c3Arms b).SameIterations

                  match table1Cell o bm.Name with
                  | Some(row, (dz, dzrw, w2)) when not rs.IsEmpty ->
                      for (metric, sel), printed in List.zip metrics [ dz; dzrw; w2 ] do
                          let m24, s24 = parse printed
                          let xs = rs |> List.map (fun r -> sel r.Eval100)
                          let mean, se = meanSe xs
                          let ours2 = if xs.Length < 2 then s24 * s24 else se * se
                          let tolerance = 2.0 * sqrt (ours2 + s24 * s24 / 5.0)

                          let matches =
                              if o = Objective.VarGrad then
                                  None
                              else
                                  Some(abs (mean - m24) <= tolerance)

                          yield
                              { Subject = $"{bm.Name}, {o}, {metric}"
                                Ours = $"{spread xs} ({xs.Length} of {b.Seeds.Length} seeds)"
                                Published = $"{row}: {printed}"
                                Difference = mean - m24
                                Tolerance = tolerance
                                Outcome =
                                  match matches with
                                  | None -> "not comparable: [S24]'s row trains with exploration"
                                  | Some true -> "matches"
                                  | Some false -> "differs"
                                Matches = matches }
                  | _ -> () ]

/// The reproduction table of the method, empty when nothing is compared.
let private reproductionTable (rows: Reproduced list) =
    if rows.IsEmpty then
        ""
    else
        "\n\n**[S24] Table 1 reproduced?** Our runs of its setting (uniform N = 100 at the full budget; mean ± standard "
        + "deviation over seeds) against its printed numbers: ours match when the difference of means is at most "
        + "2·√(s²/n + s₂₄²/5) (the combined seed spread: s and n ours, s₂₄ over [S24]'s 5 seeds; with one seed of ours, "
        + "s₂₄ stands in for s). The TB, DB, SubTB and KL losses and gradients, the per-step log-densities and both log Z "
        + "estimators agree with the authors' own code (gfn-diffusion, on the same trajectories, float64) to rounding, "
        + "and so does a short training run through their optimiser; their energies give our three targets' log R, "
        + "gradient and log Z (bench/peers/gfn_diffusion_check.py). Their evaluation of our trained models, in float32 "
        + "or float64, draws the same law of log weights as ours, and our networks' outputs stay far inside their "
        + "clipping at ±10⁴ (bench/peers/gfn_diffusion_evaluate.py beside `RateLab.Bench checkpoint-eval`). So a "
        + "number that differs does not differ by objective, network, optimiser, target, estimator or evaluation. "
        + "Nor does their float32 arithmetic: their own code trained at the full budget on Funnel (seed 1) gives "
        + "ΔlogZ 0.543, at our number in the table below, not [S24]'s (docs/claims.md). What is left: "
        + "whatever their published runs used beyond the released code (hardware, code revision) and, for a number "
        + "with fewer than all seeds of ours, the randomness of training."
        + "\n\n| number | ours | [S24] | difference | 2 SE | outcome |\n|---|---|---|---|---|---|\n"
        + (rows
           |> List.map (fun r ->
               $"| {r.Subject} | {r.Ours} | {r.Published} | {r.Difference:g3} | {r.Tolerance:g3} | {r.Outcome} |")
           |> String.concat "\n")

/// The reproduction's one-sentence summary for the section's reason, empty when nothing is compared.
let private reproductionSummary (rows: Reproduced list) =
    let compared = rows |> List.filter (fun r -> r.Matches.IsSome)
    let differing = compared |> List.filter (fun r -> r.Matches = Some false)

    if compared.IsEmpty then
        ""
    else
        let which =
            if differing.IsEmpty then
                ""
            else
                " Differing: "
                + (differing
                   |> List.map (fun r -> $"{r.Subject} {r.Ours} against {r.Published}")
                   |> String.concat "; ")
                + "."

        $" [S24] Table 1 at its setting: {compared.Length - differing.Length} of the {compared.Length} numbers compared so far match within the combined seed spread (table in the method).{which}"

/// C3 for one benchmark and objective, each seed paired with the untrained sampler on the same evaluation draws. At
/// equal network cost: N = 10 random at the full budget against N = 100 uniform at a tenth of it. At the same
/// iterations (equal energy evaluations for the objectives with one log R per trajectory), once N = 100 uniform at
/// the full budget has every seed: whether the coarse grid reaches similar quality at a tenth of the network cost;
/// until then that arm is quoted, not judged.
let private c3Judgements (b: TrainingBudget) (runs: TrainingRun list) (baseline: float list) (bm: Benchmark) o =
    let arms = c3Arms b

    let gaps a =
        armRuns runs bm o a |> List.map (fun r -> r.Eval100.DeltaLogZ)

    let coarse = gaps arms.Coarse
    let sameIterations = gaps arms.SameIterations
    let v, why = compareEqualCost 0.2 baseline coarse (gaps arms.EqualCost)

    let judgeSameIterations =
        sameIterations.Length = baseline.Length && coarse.Length = baseline.Length

    // The same-iterations arm costs the same energy evaluations only with one log R per trajectory; a time-local
    // objective evaluates log R at every state, so there it costs ten times the energy too.
    let sameIterationsArm =
        if isTimeLocal o then
            "At the same iterations (ten times the energy evaluations for a time-local objective), N = 100 uniform for all iterations"
        else
            "At equal energy evaluations, N = 100 uniform for all iterations"

    let quoted =
        match sameIterations with
        | _ when judgeSameIterations -> ""
        | [] when not (List.contains arms.SameIterations.Steps b.TrainSteps) ->
            " (N = 100 at the full budget, the same-iterations arm, is not trained in this profile.)"
        | [] -> $" ({sameIterationsArm}: no seed has finished yet; judged when every seed has finished.)"
        | xs ->
            $" ({sameIterationsArm}: {spread xs} over {xs.Length} of {baseline.Length} seeds so far, at ten times the network cost; judged when every seed has finished.)"

    let trained =
        if coarse.Length < 2 then
            ""
        else
            let i = pairedImprovement baseline coarse

            let outcome =
                if i.Significant then
                    "significantly better"
                else
                    "not significantly better"

            $" Trained against untrained: the N = 10 random model lowers ΔlogZ by {i.Mean:g3} ± {i.StdError:g2} "
            + $"(paired over {coarse.Length} seeds, t = {i.T:g3} against {i.Critical:g3} at 97.5 %%), {outcome} than the untrained sampler."

    let cannot =
        "a qualitative comparison at one budget: no rate, and only the objectives and benchmarks trained here"

    // C3's second half: a time-local objective's coarse arm against the reference objective's, once both have every
    // seed (the reference's runs start first, so in practice whenever this objective's arms have finished).
    let reference = armRuns runs bm timeLocalReference arms.Coarse

    let timeLocal =
        isTimeLocal o
        && List.contains timeLocalReference b.Objectives
        && reference.Length = baseline.Length
        && coarse.Length = baseline.Length

    let waitsForReference =
        if isTimeLocal o && List.contains timeLocalReference b.Objectives && not timeLocal then
            $" (Against {timeLocalReference} on the coarse grid: judged when both coarse arms have every seed.)"
        else
            ""

    [ { Verdicts.Subject = $"C3 {bm.Name}, {o}"
        Verdicts.Verdict = v
        Verdicts.Reason = $"{bm.Name}, {o}: {why}{trained}{quoted}{waitsForReference}"
        Verdicts.CannotShow = cannot
        Verdicts.Counted = true }
      if timeLocal then
          let v, why =
              compareCompetitive
                  0.2
                  (string o, string timeLocalReference)
                  baseline
                  coarse
                  (reference |> List.map (fun r -> r.Eval100.DeltaLogZ))

          { Verdicts.Subject = $"C3 {bm.Name}, {o} against {timeLocalReference}"
            Verdicts.Verdict = v
            Verdicts.Reason =
              $"{bm.Name}, time-local {o} against global {timeLocalReference}, both N = {arms.Coarse.Steps} random at {arms.Coarse.Iterations} iterations: {why}"
            Verdicts.CannotShow =
              "competitive with TB under identical settings, not with every published objective; one budget, so not whether the gap closes with training"
            Verdicts.Counted = true }
      if judgeSameIterations then
          let v, why = compareSimilar 0.2 baseline coarse sameIterations

          { Verdicts.Subject = $"C3 {bm.Name}, {o}, same iterations"
            Verdicts.Verdict = v
            Verdicts.Reason =
              $"{bm.Name}, {o}, N = 10 random against N = 100 uniform both at {b.Iterations} iterations (equal energy evaluations for one log R per trajectory): {why}"
            Verdicts.CannotShow = cannot
            Verdicts.Counted = true } ]

/// C6 on the N = 10 random model (full budget) among `runs` that improved most on its untrained sampler (an untrained
/// sampler's gap plateaus trivially): the plateau rule when that model beats the untrained one by 2 SE, otherwise
/// inconclusive. A counted evidence row with the sweep for the method; None without such a run.
let private c6 (b: TrainingBudget) (runs: TrainingRun list) (untrainedGap: Map<string * uint64, float>) =
    let candidates =
        runs
        |> List.filter (fun r ->
            isArm (c3Arms b).Coarse (r.Grid, r.TrainSteps, r.Iterations)
            && untrainedGap.ContainsKey(r.Benchmark, r.Seed))

    if candidates.IsEmpty then
        None
    else
        let run =
            candidates
            |> List.maxBy (fun r -> untrainedGap.[r.Benchmark, r.Seed] - r.Eval100.DeltaLogZ)

        let untrained = untrainedGap.[run.Benchmark, run.Seed]

        let verdict, why =
            if untrained - run.Eval100.DeltaLogZ > 2.0 * run.Eval100.Elbo.StandardError then
                plateau run.Sweep
            else
                Inconclusive,
                $"the model's gap at N_eval = 100 ({run.Eval100.DeltaLogZ:g3}) is not below the untrained sampler's ({untrained:g3}, same evaluation draws) by 2 SE, so it is not trained enough to test a claim about trained models (sweep shown in the method)."

        let sweep =
            run.Sweep
            |> List.map (fun (n, g, s) -> $"{n}: {g:g3} ± {s:g2}")
            |> String.concat ", "

        Some(
            { Verdicts.Subject = $"C6 {run.Benchmark}, seed {run.Seed}"
              Verdicts.Verdict = verdict
              Verdicts.Reason =
                $"C6 ({verdictText verdict}): ELBO gap log Z − ELBO of the {run.Benchmark} N = 10 random model (seed {run.Seed}) on uniform N_eval grids: {why}"
              Verdicts.CannotShow =
                "a sweep up to a finite N_eval cannot show the limit: a plateau or an extrapolation assumes the gap changes beyond the finest grid no more than its last differences suggest; one model of one seed"
              Verdicts.Counted = true },
            $"C6 sweep (N_eval: gap ± SE): {sweep}."
        )

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
