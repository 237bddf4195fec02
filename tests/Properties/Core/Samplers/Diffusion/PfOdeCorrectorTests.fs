/// The PF-ODE predictor with Gupta–Cai–Chen's underdamped corrector (claim B8's sampler): its exact law against Monte
/// Carlo, its counted cost and order through the property kit, and its two halves against their references.
module RateLab.Properties.Core.Samplers.Diffusion.PfOdeCorrectorTests

open RateLab.Core.Contracts
open System
open Expecto
open RateLab.Core.Diffusion
open RateLab.Core.Randomness
open RateLab.Core.Targets
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Testing
open RateLab.Properties.Generators
open RateLab.Properties.Core.Samplers.Diffusion.Fixtures

/// T_end − δ = 4 in phases of h₀ = 1 with T_corr = 1: for n a multiple of 4 the step h = 4/n is exact in binary, every
/// phase holds n/4 predictor and n/4 corrector steps, and a run makes 2n calls. δ = 1/8 keeps the test's end level
/// away from τ = 0; the start mismatch of N(0, I) with q_{T_end} (variance error e^{−2·4.125} ≈ 3·10⁻⁴) leaves KL
/// floors near 10⁻⁸, below every error fitted here.
let private constants n =
    GuptaCaiChenConstants(
        TEnd = 4.125,
        Delta = 0.125,
        H0 = 1.0,
        TCorr = 1.0,
        HPred = 4.0 / float n,
        HCorr = 4.0 / float n
    )

let private spec =
    let data =
        let mean, variance = spreadGaussian ()

        { Mean = mean
          Variance = variance
          Start = StartLaw.Isotropic(3, 1.0) }

    { KernelSpec.Create(
          "PF-ODE+underdamped-corrector",
          Diffusion,
          data,
          (fun r n ->
              let k = PfOdeUnderdampedCorrector(r.Dimension, constants n)
              Built.Diffusion(r, k, int64 k.Steps, k.OutputLevel.Tau)),
          [ 8; 16 ]
      ) with
        Cost = Some(PerRun(fun n -> 2L * int64 n))
        // Predictor and corrector are both first order in h = 4/n, so the law is O(h) off and KL ∝ n⁻².
        Order =
            Some
                { Order = 2.0
                  Error = MatchedKl
                  StepCounts = [ 128; 256; 512; 1024 ]
                  Replicates = 2 }
        Invalid =
            [ { Parameter = "Delta"
                Value = "5"
                Construct =
                  fun () ->
                      PfOdeUnderdampedCorrector(1, GuptaCaiChenConstants(TEnd = 4.0, Delta = 5.0))
                      |> ignore }
              { Parameter = "Gamma"
                Value = "0"
                Construct =
                  fun () ->
                      PfOdeUnderdampedCorrector(1, GuptaCaiChenConstants(TEnd = 4.0, Delta = 0.1, Gamma = 0.0))
                      |> ignore } ] }

let private data = GaussianNoisedScore([| 0.3; -0.2 |], [| 0.5; 2.0 |])

type private ZeroScore(d: int) =
    interface IScoreField with
        member _.Name = "zero"
        member _.Dimension = d
        member _.Score(_x: ReadOnlySpan<float>, _tau: float, score: Span<float>) = score.Clear()

[<Tests>]
let tests =
    testList
        "Core.Samplers.Diffusion.PfOdeCorrector"
        [ Kit.tests spec

          test "schedule: n predictor and n corrector steps, one call each, counted per chain" {
              let k = PfOdeUnderdampedCorrector(2, constants 16)
              let _, oracle = run k data (PhiloxNoise 5UL) 3 k.Steps
              Expect.equal (k.PredictorSteps, k.CorrectorSteps) (16, 16) "4 phases of 4 + 4 steps"
              Expect.equal (oracle.Evaluations 2L, oracle.Rounds 2L) (32L, 32L) "one call, one round per step"
          }

          test "predictor steps are score-frozen exponential Euler on the OU grid of the phase" {
              // One phase (h₀ ≥ T_end − δ): the first n kernel steps are the predictor alone, ending at OU time δ.
              let n = 8

              let c =
                  GuptaCaiChenConstants(
                      TEnd = 2.0,
                      Delta = 0.25,
                      H0 = 4.0,
                      HPred = 1.75 / float n,
                      HCorr = 0.5,
                      TCorr = 1.0
                  )

              let k = PfOdeUnderdampedCorrector(2, c)
              let start, _ = run k data (PhiloxNoise 11UL) 1 0
              let out, _ = run k data (PhiloxNoise 11UL) 1 n
              let grid = ouGrid 2.0 0.25 n
              // y ← a y + c s(y, τ_i) from the same start: (e^h, e^h − 1) for exponential Euler; DDIM freezes
              // ε̂ = −√τ s instead, (a, a τ_i − √(τ_{i+1} τ_i)) with a = √(ᾱ_{i+1}/ᾱ_i).
              let integrate (coefficients: NoiseLevel -> NoiseLevel -> float * float) =
                  let x = start.Positions() |> Array.copy
                  let s = Array.zeroCreate 2

                  for i in 0 .. n - 1 do
                      let a, c = coefficients grid.[i] grid.[i + 1]
                      (data :> IScoreField).Score(ReadOnlySpan x, grid.[i].Tau, Span<float> s)

                      for j in 0..1 do
                          x.[j] <- a * x.[j] + c * s.[j]

                  x

              let euler =
                  integrate (fun l0 l1 -> let a = sqrt (l1.AlphaBar / l0.AlphaBar) in a, a - 1.0)

              let ddim =
                  integrate (fun l0 l1 ->
                      let a = sqrt (l1.AlphaBar / l0.AlphaBar) in a, a * l0.Tau - sqrt (l1.Tau * l0.Tau))

              Array.iter2
                  (fun (a: float) e -> Expect.floatClose Accuracy.high a e "exponential Euler")
                  (out.Positions())
                  euler

              Expect.isGreaterThan (abs (ddim.[0] - euler.[0])) 1e-3 "not DDIM: the two differ on these data"
          }

          test "with a zero score the run equals full Gupta–Cai–Chen on the same draws (the same corrector)" {
              // s ≡ 0 makes both predictors the exact scaling e^h x, so any difference comes from the corrector.
              let c = constants 16

              let a, _ =
                  run (PfOdeUnderdampedCorrector(2, c)) (ZeroScore 2) (PhiloxNoise 17UL) 4 32

              let g = GuptaCaiChen(2, c)
              let b, _ = run g (ZeroScore 2) (PhiloxNoise 17UL) 4 g.Steps

              for i in 0..3 do
                  Array.iter2
                      (fun (x: float) y -> Expect.floatClose Accuracy.veryHigh x y "same state")
                      (a.State(i).ToArray())
                      (b.State(i).ToArray())
          } ]
