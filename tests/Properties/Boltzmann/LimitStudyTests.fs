module RateLab.Properties.Boltzmann.LimitStudyTests

open System
open Expecto
open RateLab.Boltzmann
open RateLab.Core.Targets.Benchmarks
open RateLab.Properties.Stats

let private tiny = LimitProfile(40, [| 2; 8 |], 64, 4.0, [| 3; 9 |], 2000, 9UL)

let private find (series: LimitSeries seq) quantity drift grid =
    series
    |> Seq.find (fun s -> s.Quantity = quantity && s.Drift = drift && s.Grid = grid)

let private last (s: LimitSeries) = s.Points.[s.Points.Count - 1]

[<Tests>]
let fast =
    testList
        "Boltzmann.Limits"
        [ test "zero drift: the discrete log-ratio equals the fine-grid one on the same path, on any grid (C4)" {
              let series = LimitStudies.GlobalObjectives tiny

              for grid in [ GridKind.Uniform; GridKind.Random ] do
                  for p in (find series "rms-logrnd-error" "zero" grid).Points do
                      Expect.isLessThan p.Value 1e-12 $"{grid} N = {p.Steps}"
          }
          test "zero drift: objectives match their closed forms (5 SE each; false-failure ≤ 4 × 5.7e-7)" {
              let series = LimitStudies.GlobalObjectives tiny

              for grid in [ GridKind.Uniform; GridKind.Random ] do
                  for q in [ "logvar-objective"; "tb-objective" ] do
                      let s = find series q "zero" grid
                      let p = last s

                      Expect.isTrue
                          (within z5 p.StandardError p.Value s.Reference)
                          $"{q} {grid}: {p.Value} ± {p.StandardError} vs {s.Reference}"
          }
          test "DB residual vanishes identically when Nelson's identity and Fokker–Planck hold" {
              let s =
                  LimitStudies.DetailedBalanceResidual tiny
                  |> Seq.find (fun s -> s.Quantity = "db-nelson-rms")

              for p in s.Points do
                  Expect.isLessThan p.Value 1e-13 $"h = {p.MaxStep}"
          }
          test "invalid limit profiles are rejected" {
              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> LimitProfile(45, [| 2 |], 64, 4.0, [| 3 |], 10, 1UL) |> ignore)
                  "paths not a multiple of 20"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> LimitProfile(40, [| 64 |], 64, 4.0, [| 3 |], 10, 1UL) |> ignore)
                  "fine grid too coarse"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> LimitProfile(40, [| 2 |], 64, 0.5, [| 3 |], 10, 1UL) |> ignore)
                  "ρ < 1"
          }
          test "training study reports finite metrics and counts exactly one energy evaluation per TB trajectory" {
              let settings =
                  TrainingSettings(
                      Objective.TrajectoryBalance,
                      1.0,
                      GridKind.Random,
                      5,
                      3UL,
                      batchSize = 8,
                      width = 8,
                      harmonics = 4
                  )

              let r = TrainingStudy.Run(Funnel(10), settings, 10L, 40)
              Expect.equal r.TrainingEnergyEvaluations (10L * 8L) "energy evaluations"

              for e in [ r.EvaluationUniform100; r.EvaluationTrainSteps ] do
                  Expect.isTrue
                      (Double.IsFinite e.DeltaLogZ
                       && Double.IsFinite e.W2
                       && Double.IsFinite e.EuboGap
                       && e.W2Floor > 0.0)
                      $"finite metrics at N = {e.Steps}"

              Expect.equal r.EvaluationTrainSteps.Steps 5 "train-grid evaluation"
          } ]

[<Tests>]
let slow =
    testList
        "Boltzmann.Limits (slow)"
        [ test
              "quick profile: optimal-drift objectives shrink to 0 and DB residual moments approach their small-h limits (5 SE; false-failure ≤ 6 × 5.7e-7)" {
              let series = LimitStudies.Run LimitProfile.Quick

              for grid in [ GridKind.Uniform; GridKind.Random ] do
                  let s = find series "logvar-objective" "optimal" grid
                  // N = 4 against the finest N (the N = 2 random-grid point is too noisy to resolve at 5 SE).
                  let a, b = s.Points.[1], last s

                  Expect.isLessThan
                      (b.Value + z5 * sqrt (a.StandardError ** 2.0 + b.StandardError ** 2.0))
                      a.Value
                      $"{grid}: {a.Value} → {b.Value}"

                  Expect.isGreaterThan b.Value 0.0 "positive at finite N"

              for q in [ "db-variance-over-h"; "db-mean-over-h" ] do
                  let s = series |> Seq.find (fun s -> s.Quantity = q)
                  let p = last s

                  Expect.isTrue
                      (within z5 p.StandardError p.Value s.Reference)
                      $"{q}: {p.Value} ± {p.StandardError} vs {s.Reference}"

                  let first = s.Points.[0]

                  Expect.isLessThan
                      (abs (p.Value - s.Reference))
                      (abs (first.Value - s.Reference))
                      $"{q} approaches the prediction"
          } ]
