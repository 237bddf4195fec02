/// The training study's figures: quality against network evaluations, energy evaluations and wall time, per
/// benchmark and objective, over seeds with the 95 % t-interval of the mean.
module RateLab.Analysis.Sections.BoltzmannTrainingFigures

open RateLab.Boltzmann
open RateLab.Analysis.Plots.Figure
open RateLab.Analysis.Sections.SectionKit
open RateLab.Analysis.Studies.BoltzmannStudies
open RateLab.Analysis.Stats

/// The mean over seeds and its 95 % Student-t interval; a single seed's value alone (zero width: no spread to show).
let private meanInterval (xs: float list) =
    let m, se = Sample.meanSe xs

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
let figuresOf (b: TrainingBudget) (bm: Benchmark) o (runs: TrainingRun list) (untrained: EvaluationResult list) =
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
