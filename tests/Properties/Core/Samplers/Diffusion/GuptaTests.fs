module RateLab.Properties.Core.Samplers.Diffusion.GuptaTests

open System
open Expecto
open MathNet.Numerics.Integration
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Randomness
open RateLab.Core.Targets
open RateLab.Core.Samplers.Diffusion
open RateLab.Properties
open RateLab.Properties.Generators
open RateLab.Properties.Core.Samplers.Diffusion.Fixtures

let private data = GaussianNoisedScore([| 0.3; -0.2 |], [| 0.5; 2.0 |])

/// s(x, τ) = a + b·t(τ) with t = −½ log(1 − τ) the OU time: constant in x, linear in OU time along any step.
type private LinearInOuTime(a: float, b: float) =
    interface IScoreField with
        member _.Name = "linear-in-OU-time"
        member _.Dimension = 1

        member _.Score(_x: ReadOnlySpan<float>, tau: float, score: Span<float>) =
            score.[0] <- a + b * (-0.5 * log (1.0 - tau))

type private ZeroScore(d: int) =
    interface IScoreField with
        member _.Name = "zero"
        member _.Dimension = d
        member _.Score(_x: ReadOnlySpan<float>, _tau: float, score: Span<float>) = score.Clear()

/// One predictor step from grid[0] to grid[1] at the fixed uniform u.
let private stepAt (rule: MidpointRule) (grid: NoiseLevel[]) field (x0: float) (u: float) =
    let k = GuptaCaiChenPredictor(1, grid, rule)
    let oracle = RateLab.Core.Contracts.ScoreOracle(field, 1)
    let state = [| x0 |]

    let mutable ctx =
        RateLab.Core.Contracts.StepContext(0L, 0L, FixedUniformNoise u, oracle, Span<float>(Array.zeroCreate 2))

    k.Step(&ctx, Span<float> state)
    state.[0]

[<Tests>]
let tests =
    testList
        "Core.Samplers.Diffusion.Gupta"
        [ testPropertyWithConfig config "predictor: 2 NFE per step, both midpoint rules"
          <| fun (Seed seed) (n: byte) ->
              let steps = 1 + int n % 40

              [ MidpointRule.Uniform; MidpointRule.ImportanceSampled ]
              |> List.forall (fun rule ->
                  let k = GuptaCaiChenPredictor(2, ouGrid 3.0 0.01 steps, rule)
                  let _, oracle = run k data (PhiloxNoise seed) 3 k.Steps

                  oracle.Evaluations 2L = int64 (2 * steps)
                  && oracle.Rounds 2L = int64 (2 * steps))

          testList
              "midpoint estimate is unbiased for an integrand linear in OU time (Gauss-Legendre over the draw)"
              [ for rule in [ MidpointRule.Uniform; MidpointRule.ImportanceSampled ] ->
                    test (string rule) {
                        let a, b, x0 = 0.7, -1.3, 0.4
                        let grid = [| NoiseLevel.FromOuTime 1.1; NoiseLevel.FromOuTime 0.6 |]
                        let tA, h = 1.1, 0.5
                        // ←x_{t+h} = e^h x + ∫₀ʰ e^{h−r} (a + b (t_A − r)) dr.
                        let exact =
                            exp h * x0 + a * (exp h - 1.0) + b * (tA * (exp h - 1.0) - (exp h - 1.0 - h))

                        let field = LinearInOuTime(a, b)
                        let rule30 = GaussLegendreRule(0.0, 1.0, 30)

                        let mean =
                            Array.fold2
                                (fun acc u w -> acc + w * stepAt rule grid field x0 u)
                                0.0
                                rule30.Abscissas
                                rule30.Weights

                        Expect.floatClose Accuracy.veryHigh mean exact "E over the draw equals the exact step"
                        // Not exact for a single draw, so the check above can fail.
                        Expect.isGreaterThan (abs (stepAt rule grid field x0 0.1 - exact)) 1e-4 "one draw is not exact"
                    } ]

          test "full algorithm: NFE = 2 * predictor steps + corrector steps" {
              let c =
                  GuptaCaiChenConstants(TEnd = 2.0, Delta = 0.5, H0 = 0.5, HPred = 0.2, HCorr = 0.1, TCorr = 0.3)

              let k = GuptaCaiChen(2, c)
              let _, oracle = run k data (PhiloxNoise 3UL) 2 k.Steps
              // 3 phases of 0.5: ⌈0.5/0.2⌉ = 3 predictor and ⌈0.3/0.1⌉ = 3 corrector steps each.
              Expect.equal (k.PredictorSteps, k.CorrectorSteps) (9, 9) "step counts"
              Expect.equal (oracle.Evaluations 1L) 27L "2·9 + 9 evaluations"
              let p = GuptaCaiChen(2, c, predictorOnly = true)
              let _, po = run p data (PhiloxNoise 3UL) 2 p.Steps
              Expect.equal (po.Evaluations 0L) 18L "predictor only: 2·9"
          }

          test "full algorithm in predictor-only mode equals the predictor on the same OU grid" {
              let c =
                  GuptaCaiChenConstants(TEnd = 3.0, Delta = 0.01, H0 = 10.0, HPred = 3.0 - 0.01)

              let p = GuptaCaiChen(2, c, predictorOnly = true)

              let g =
                  GuptaCaiChenPredictor(2, [| NoiseLevel.FromOuTime 3.0; NoiseLevel.FromOuTime 0.01 |])

              let a, _ = run p data (PhiloxNoise 9UL) 4 p.Steps
              let b, _ = run g data (PhiloxNoise 9UL) 4 g.Steps
              // Same draws; the grids agree to round-off (OU times formed by subtraction in one, given in the other).
              Array.iter2
                  (fun (x: float) y -> Expect.floatClose Accuracy.veryHigh x y "same output")
                  (a.Positions())
                  (b.Positions())
          }

          test "corrector with zero score is the exact integrated OU process (noise covariance of the pair)" {
              // With s ≡ 0 the predictor only scales x by e^E and the exponential integrator is exact: after corrector
              // time T' from a fresh v ~ N(0, 1), x gains N(0, 2(γT' − 1 + e^{−γT'})/γ²), v stays N(0, 1) and
              // Cov(x, v) = (1 − e^{−γT'})/γ. Wrong ξ_x/ξ_v covariances break the composition over the 4 steps.
              // Three 5-SE two-sided checks: false-failure probability ≤ 1.7e-6.
              let c =
                  GuptaCaiChenConstants(
                      TEnd = 1.0,
                      Delta = 0.9,
                      H0 = 1.0,
                      HPred = 0.1,
                      HCorr = 0.25,
                      TCorr = 1.0,
                      Gamma = 2.0
                  )

              let k = GuptaCaiChen(1, c)
              let b, _ = run k (ZeroScore 1) (PhiloxNoise 21UL) 100000 k.Steps
              let x = Array.init b.Chains (fun i -> b.State(i).[0])
              let v = Array.init b.Chains (fun i -> b.State(i).[1])
              let g, t', e = 2.0, 1.0, 0.1
              let vx, vxSe = Stats.varianceAndSe x
              let vv, vvSe = Stats.varianceAndSe v
              let cxv, cxvSe = Stats.meanAndSe (Array.map2 (*) x v)

              Expect.isTrue
                  (Stats.within Stats.z5 vxSe vx (exp (2.0 * e) + 2.0 * (g * t' - 1.0 + exp (-g * t')) / (g * g)))
                  $"Var x = {vx}"

              Expect.isTrue (Stats.within Stats.z5 vvSe vv 1.0) $"Var v = {vv}"
              Expect.isTrue (Stats.within Stats.z5 cxvSe cxv ((1.0 - exp (-g * t')) / g)) $"Cov(x, v) = {cxv}"
          }

          test "practical predictor: midpoint at fine index i + floor(U stride), midpoint eps over the full DDIM step" {
              // Normals are 0 under FixedUniformNoise, so the start is x = 0 and the data mean drives the path.
              let grid = ouGrid 2.0 0.05 8
              let k = GuptaPracticalPredictor(2, grid, 4)
              let b, oracle = run k data (FixedUniformNoise 0.6) 1 1

              let score (x: float[]) (l: NoiseLevel) =
                  let s = Array.zeroCreate 2
                  (data :> IScoreField).Score(ReadOnlySpan x, l.Tau, Span<float> s)
                  s |> Array.map (fun v -> -sqrt l.Tau * v)

              let ddim (x: float[]) (n: NoiseLevel) (m: NoiseLevel) (eps: float[]) =
                  let r = sqrt (m.AlphaBar / n.AlphaBar)
                  Array.map2 (fun xi ei -> r * xi + (sqrt m.Tau - r * sqrt n.Tau) * ei) x eps

              let x = [| 0.0; 0.0 |]
              let xm = ddim x grid.[0] grid.[2] (score x grid.[0])
              let expected = ddim x grid.[0] grid.[4] (score xm grid.[2])
              Expect.equal (oracle.Evaluations 0L) 2L "2 NFE"

              Array.iter2
                  (fun (a: float) e -> Expect.floatClose Accuracy.veryHigh a e "practical step")
                  (b.Positions())
                  expected
          }

          test "practical predictor with stride 1 is DDIM (eta = 0) on the same grid, at 2 NFE per step" {
              let grid = ouGrid 2.0 0.05 12
              let k = GuptaPracticalPredictor(2, grid, 1)
              let b, oracle = run k data (PhiloxNoise 2UL) 1 k.Steps
              let x = Array.zeroCreate 2
              CounterRng.Normals(2UL, 0L, -1L, 0, Span<float> x)
              let s = Array.zeroCreate 2

              for i in 0..11 do
                  let n, m = grid.[i], grid.[i + 1]
                  (data :> IScoreField).Score(ReadOnlySpan x, n.Tau, Span<float> s)
                  let eps = s |> Array.map (fun v -> -sqrt n.Tau * v)
                  let r = sqrt (m.AlphaBar / n.AlphaBar)

                  for j in 0..1 do
                      x.[j] <- r * x.[j] + (sqrt m.Tau - r * sqrt n.Tau) * eps.[j]

              Expect.equal (oracle.Evaluations 0L) 24L "2 NFE per step"
              Array.iter2 (fun (a: float) e -> Expect.floatClose Accuracy.high a e "DDIM") (b.Positions()) x
          } ]
