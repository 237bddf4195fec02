/// The score-error study's pieces: the constant error has L² size exactly ε, and at ε = 0 the study's analysis is
/// the runner's analysis of the catalog's li-jiao on gaussian-data, bit for bit (same problem, draws and references).
module RateLab.Properties.Analysis.Studies.LiJiaoScoreErrorTests

open RateLab.Core.Contracts
open System
open Expecto
open RateLab.Core.Diffusion
open RateLab.Core.Targets
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies

[<Tests>]
let tests =
    testList
        "Analysis.Studies.LiJiaoScoreError"
        [ test "the shifted score differs from the exact one by a vector of norm ε at every x and τ" {
              let d, eps = 5, 0.3

              let exact =
                  GaussianNoisedScore(Array.init d float, Array.init d (fun i -> 0.1 + float i)) :> IScoreField

              let shifted =
                  LiJiaoScoreError.ShiftedScore(exact, eps / sqrt (float d)) :> IScoreField

              for tau in [ 1e-4; 0.3; 0.99 ] do
                  let x = Array.init d (fun i -> sin (float i + tau))
                  let a, b = Array.zeroCreate d, Array.zeroCreate d
                  exact.Score(ReadOnlySpan x, tau, Span a)
                  shifted.Score(ReadOnlySpan x, tau, Span b)
                  let norm = sqrt (Array.fold2 (fun acc p q -> acc + (q - p) ** 2.0) 0.0 a b)
                  Expect.floatClose Accuracy.high norm eps $"‖s̃ − s‖ at τ = {tau}"
          }

          test "at ε = 0 the study's analysis equals the runner's on the catalog sampler and target, bit for bit" {
              let d, t, replicates, seed = 4, 32, 8, 20261123UL
              let r = LiJiaoScoreError.analyse (LiJiaoScoreError.data d) 0.0 t replicates seed

              let spec =
                  { Name = "li-jiao-score-error-check"
                    Sampler =
                      { Name = "li-jiao"
                        Parameters = Map.empty }
                    Target =
                      { Name = "gaussian-data"
                        Parameters = Map.empty }
                    Dimensions = [ d ]
                    Metric = TvUpper
                    Steps = [ t ]
                    Chains = replicates
                    Seeds = [ seed ]
                    Profile = Quick
                    Claims = [] }

              let p = Runner.analyse spec d t
              Expect.equal r.Upper.TvUpper.Value p.Result.Upper.TvUpper.Value "E_draws TV"
              Expect.equal r.Upper.Kl.Value p.Result.Upper.Kl.Value "E_draws KL"
          }

          test
              "a score error of 0.1 lifts the TV bound at large T far above the discretisation error, and 0.2 doubles the lift" {
              let data = LiJiaoScoreError.data 4

              let tv eps =
                  (LiJiaoScoreError.analyse data eps 512 8 7UL).Upper.TvUpper.Value

              let t0, t1, t2 = tv 0.0, tv 0.1, tv 0.2
              Expect.isGreaterThan t1 (10.0 * t0) "floor above the discretisation error"
              Expect.floatClose { absolute = 0.0; relative = 0.1 } ((t2 - t0) / (t1 - t0)) 2.0 "linear in ε"
          } ]
