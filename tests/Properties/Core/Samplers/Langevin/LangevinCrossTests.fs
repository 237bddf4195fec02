/// Issue 2 on the real Langevin kernels: exact Gaussian propagation versus Monte Carlo, and the step-size order of
/// the exact KL (docs/background.md, docs/algorithms.md).
module RateLab.Properties.Core.Samplers.Langevin.LangevinCrossTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Analysis.Studies
open RateLab.Properties.Generators
open RateLab.Properties.CrossChecks

/// A diagonal Gaussian target N(μ, diag λ), a start N(m₀, diag s₀²), step h = fraction·min λ, n steps, K sub-steps
/// (Poisson midpoint), friction γ (kinetic samplers) and the Monte Carlo seed.
type LangevinConfig =
    { Mean: float[]
      Variances: float[]
      StartMean: float[]
      StartSd: float[]
      StepFraction: float
      Steps: int
      K: int
      Gamma: float
      Seed: uint64 }

    member c.H = c.StepFraction * Array.min c.Variances

    member c.Reduction =
        GaussianReduction.Diagonal(ReadOnlySpan c.Mean, ReadOnlySpan c.Variances, StartLaw(c.StartMean, c.StartSd))

type LangevinArbs =
    static member Config() : Arbitrary<LangevinConfig> =
        gen {
            let! d = Gen.choose (1, 4)
            let! mean, variances = diagonalGaussian d (-2.0, 2.0) (0.2, 3.0)
            let! startMean, startSd = diagonalGaussian d (-2.0, 2.0) (0.0, 1.5)
            let! fraction = uniformOn 0.05 0.5
            let! steps = Gen.choose (1, 16)
            let! k = Gen.choose (2, 4)
            let! gamma = uniformOn 1.0 3.0
            let! seed = ArbMap.defaults |> ArbMap.generate<uint64>

            return
                { Mean = mean
                  Variances = variances
                  StartMean = startMean
                  StartSd = startSd
                  StepFraction = fraction
                  Steps = steps
                  K = k
                  Gamma = gamma
                  Seed = seed }
        }
        |> Arb.fromGen

let private cfg =
    { config with
        arbitrary = typeof<LangevinArbs> :: config.arbitrary
        maxTest = 12 }

/// The real Langevin kernels with the parameters of a configuration.
let private cases (c: LangevinConfig) =
    [ case "ula" [ "h", c.H ] None
      case "rlmc" [ "h", c.H ] (Some midpointDraw)
      case "ulmc" [ "eta", c.H; "gamma", c.Gamma ] None
      case "shen-lee" [ "h", c.H ] (Some midpointDraw)
      case "plmc" [ "alpha", c.H; "K", float c.K ] (Some(poissonDraws c.K))
      case "plmc-ulmc" [ "alpha", c.H; "K", float c.K; "gamma", c.Gamma ] (Some(poissonDraws c.K)) ]

let private chains = 3000

/// Each chain against its exact conditional law given its draws (2 comparisons per coordinate), and the chains'
/// pooled moments against the exact total (moment-matched) law (2 more): ≤ 16 comparisons per case, 12 cases per
/// sampler: false-failure probability ≤ 192 · 5.7e-7 ≈ 1.1e-4 per sampler.
let private agrees (index: int) (c: LangevinConfig) =
    let case = (cases c).[index]
    let r = c.Reduction
    let result = exact case r c.Steps (ExactOptions(Replicates = 2, Seed = c.Seed))
    let zs, x = conditionalZ case r c.Steps c.Seed chains
    result.MomentsExact && standardNormal zs && matchesLaw result.Law x chains

/// Fixed-horizon runs from the target itself on N(μ, diag λ): the exact KL after n = horizon/h steps is the
/// discretisation error alone; it falls like h^p with p the order of the stationary variance bias, doubled.
let private target =
    { Catalog.GaussianProblem.Mean = [| 0.5; -1.0; 0.0 |]
      Catalog.GaussianProblem.Variance = [| 1.0; 0.6; 0.3 |] }

let private klCurve (name: string) (numbers: (string * float) list) draws (ns: int[]) =
    let entry = Catalog.sampler name

    let c =
        { Entry = entry
          Component = comp name (("horizon", 4.0) :: numbers)
          Draws = draws }

    let start = Catalog.startLaw entry c.Component target

    let r =
        GaussianReduction.Diagonal(ReadOnlySpan target.Mean, ReadOnlySpan target.Variance, start)

    ns
    |> Array.map (fun n ->
        let result = exact c r n (ExactOptions(Replicates = 2))
        Expect.isTrue (not result.Randomized || result.MomentsExact) $"{name}: moments are exact"
        result.MomentMatched.Kl)

/// The order p from an OLS fit with the 1/n correction; the interval is p̂ ± t·SE at the z5 level (Student t with
/// the fit's residual degrees of freedom), and must hold the documented order.
let private hasOrder (name: string) numbers draws (expected: float) =
    let ns = [| 32; 64; 128; 256; 512; 1024 |]
    let kl = klCurve name numbers draws ns
    let p, se, dof = orderWithCorrection ns kl
    let half = tQuantile5 dof * se

    Expect.isTrue
        (abs (p - expected) <= half)
        $"{name}: KL order {p:F4} ± {half:F4} (t·SE), expected {expected}; KL = %A{kl}"

[<Tests>]
let tests =
    testList
        "Core.Samplers.Langevin.CrossChecks"
        [ testList
              "exact law agrees with Monte Carlo of the real sampler (slow)"
              [ for i, name in List.indexed [ "ula"; "rlmc"; "ulmc"; "shen-lee"; "plmc"; "plmc-ulmc" ] ->
                    testPropertyWithConfig cfg name (agrees i) ]
          testList
              "KL order in the step size at fixed horizon"
              [ test "ULA: KL ∝ h²" { hasOrder "ula" [] None 2.0 }
                test "ULMC: KL ∝ η²" { hasOrder "ulmc" [] None 2.0 }
                test "RLMC: moment-matched KL ∝ h⁶" { hasOrder "rlmc" [] (Some midpointDraw) 6.0 }
                test "Shen–Lee: moment-matched KL ∝ h⁶" { hasOrder "shen-lee" [] (Some midpointDraw) 6.0 }
                test "PLMC (K = 4): moment-matched KL ∝ α²" { hasOrder "plmc" [ "K", 4.0 ] (Some(poissonDraws 4)) 2.0 }
                test "PLMC on underdamped Langevin (K = 4): moment-matched KL ∝ α²" {
                    hasOrder "plmc-ulmc" [ "K", 4.0 ] (Some(poissonDraws 4)) 2.0
                } ] ]
