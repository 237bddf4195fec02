/// ULA and RLMC: stationary variances on N(0,1) against the closed forms of docs/algorithms.md, and the unbiasedness of
/// the randomized-midpoint drift estimate.
module RateLab.Properties.Core.Samplers.Langevin.OverdampedTests

open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Contracts
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Properties
open RateLab.Properties.Generators
open RateLab.Properties.Core.Samplers.Langevin.Fixtures

/// E x² (= Var x, the target being centred) after burn-in, with its SE over independent chains.
let private stationaryVariance seed (kernel: ISamplerKernel) chains burnIn =
    let batch, _ = run seed kernel (isotropic kernel.Dimension 1.0) chains burnIn
    Stats.meanAndSe (chainMeanSquares batch kernel 0)

/// Nested RLMC on N(0,1): exact stationary variance (2 − 2h + h²)/(2 − 2h + h² − h³/3) = 1 + h³/6 + O(h⁴).
let rlmcVariance h =
    (2.0 - 2.0 * h + h * h) / (2.0 - 2.0 * h + h * h - h ** 3.0 / 3.0)

/// Drift coefficients a_i (f = Σ a_i x_i²/2) and a cubic path W_i(s) = c₁s + c₂s² + c₃s³ per coordinate.
type LinearCase =
    { A: float[]
      X0: float[]
      C: float[][]
      H: float }

type LinearArbs =
    static member LinearCase() : Arbitrary<LinearCase> =
        let coef = onGrid 1000

        gen {
            let! d = Gen.choose (1, 4)
            let! a = Gen.arrayOfLength d (coef 0.2 3.0)
            let! x0 = Gen.arrayOfLength d (coef -2.0 2.0)
            let! c = Gen.arrayOfLength d (Gen.arrayOfLength 3 (coef -1.5 1.5))
            let! h = coef 0.01 0.5
            return { A = a; X0 = x0; C = c; H = h }
        }
        |> Arb.fromGen

let private linearConfig =
    { config with
        arbitrary = typeof<LinearArbs> :: config.arbitrary }

let private pathOf (c: float[][]) =
    fun (s: float) i -> c.[i].[0] * s + c.[i].[1] * s * s + c.[i].[2] * s * s * s

/// One RLMC step from x₀ on f = Σ aᵢxᵢ²/2 along the fixed path, with the uniform of chain c given by <paramref name="u"/>.
let private rlmcStep (lc: LinearCase) chains (u: int64 -> float) =
    let d = lc.A.Length

    let target =
        RateLab.Core.Targets.DiagonalGaussian(Array.zeroCreate d, lc.A |> Array.map (fun a -> 1.0 / a))

    let kernel = Rlmc(d, lc.H, StartLaw.Point lc.X0)
    let batch, _ = runWith (FixedPath(pathOf lc.C, u)) kernel target chains 1L
    batch

/// x₀ − ∫₀ʰ ∇f(x̂_s) ds + √2 W(h) along the frozen-drift path x̂_s = x₀ − s∇f(x₀) + √2 W(s) that RLMC's midpoint lies on:
/// for ∇f(x) = a x the integral is a(h x₀ − (h²/2) a x₀ + √2 ∫₀ʰ W).
let private exactLinearStep (lc: LinearCase) =
    let h = lc.H

    Array.init lc.A.Length (fun i ->
        let a, x0, c = lc.A.[i], lc.X0.[i], lc.C.[i]
        let intW = c.[0] * h * h / 2.0 + c.[1] * h ** 3.0 / 3.0 + c.[2] * h ** 4.0 / 4.0
        let wH = pathOf lc.C h i
        x0 - a * (h * x0 - h * h / 2.0 * a * x0 + sqrt 2.0 * intW) + sqrt 2.0 * wH)

[<Tests>]
let tests =
    testList
        "Core.Samplers.Langevin.Overdamped"
        [ testPropertyWithConfig
              linearConfig
              "RLMC: E_U of the step (Gauss–Legendre over U) uses the exact drift integral"
          <| fun (lc: LinearCase) ->
              // The step is a cubic polynomial in U on a cubic path; 4 Gauss–Legendre nodes integrate it exactly.
              let nodes = gaussLegendre01 4

              let expectation =
                  nodes
                  |> Array.map (fun (u, w) -> (rlmcStep lc 1 (fun _ -> u)).Position(0).ToArray() |> Array.map ((*) w))
                  |> Array.reduce (Array.map2 (+))

              let exact = exactLinearStep lc
              Array.forall2 (fun (e: float) x -> abs (e - x) <= 1e-12 * (1.0 + abs x)) expectation exact

          test "RLMC: Monte Carlo over U of the step agrees with the exact drift integral (5 SE)" {
              let lc =
                  { A = [| 1.5; 0.4 |]
                    X0 = [| 1.0; -2.0 |]
                    C = [| [| 0.3; -1.2; 0.8 |]; [| -0.7; 0.5; 1.1 |] |]
                    H = 0.4 }

              let noise =
                  RateLab.Core.Randomness.PhiloxNoise(11UL) :> RateLab.Core.Contracts.INoiseSource

              let chains = 20000
              let batch = rlmcStep lc chains (fun c -> noise.Uniform(c, 0L, 0))
              let exact = exactLinearStep lc
              // Two comparisons: false-failure probability ≤ 1.2e-6.
              for i in 0..1 do
                  let xs = Array.init chains (fun c -> batch.Position(c).[i])
                  expectWithin5Se $"coordinate {i}" (Stats.meanAndSe xs) exact.[i]
          }

          test "RLMC makes two score evaluations in two rounds per step; ULA one" {
              let steps = 7L
              let _, o1 = run 3UL (Rlmc(2, 0.1, startIso 2 1.0)) (isotropic 2 1.0) 5 steps
              let _, o2 = run 3UL (Ula(2, 0.1, startIso 2 1.0)) (isotropic 2 1.0) 5 steps

              for c in 0L .. 4L do
                  Expect.equal (o1.Evaluations c) (2L * steps) "RLMC NFE"
                  Expect.equal (o1.Rounds c) (2L * steps) "RLMC rounds"
                  Expect.equal (o2.Evaluations c) steps "ULA NFE"
          } ]

[<Tests>]
let slowTests =
    testList
        "Core.Samplers.Langevin.Overdamped stationary (slow)"
        [ test "ULA: stationary variance on N(0,1) is 2/(2−h) (5 SE)" {
              let h = 0.5
              // 60 steps: the start error decays like (1−h)^{2n}, far below the SE of about 0.01.
              let est = stationaryVariance 1UL (Ula(4, h, startIso 4 1.0)) 10000 60L
              expectWithin5Se "ULA variance" est (2.0 / (2.0 - h))
              // The ULA bias must be resolved, or the check above could not tell ULA from an exact sampler.
              Expect.isFalse (Stats.within Stats.z5 (snd est) (fst est) 1.0) "ULA bias resolved"
          }

          test "RLMC (nested): stationary variance on N(0,1) matches its exact closed form, not ULA's (5 SE)" {
              let h = 0.8
              let est = stationaryVariance 2UL (Rlmc(8, h, startIso 8 1.0)) 10000 60L
              expectWithin5Se "RLMC variance" est (rlmcVariance h)
              Expect.isFalse (Stats.within Stats.z5 (snd est) (fst est) 1.0) "RLMC bias resolved"
              Expect.isFalse (Stats.within Stats.z5 (snd est) (fst est) (2.0 / (2.0 - h))) "RLMC differs from ULA"
          } ]
