module RateLab.Properties.Core.Exact.PropagationTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Exact
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Properties.Generators
open RateLab.Properties.Stats
open RateLab.Properties.TestKernels
open RateLab.Properties.Core.Exact.Fixtures

let private cfg =
    { config with
        arbitrary = typeof<PropagationArbs> :: config.arbitrary }

/// A sampler under test, built for a dimension, a step size and a start law.
type KernelFactory =
    { Name: string
      Make: int -> float -> StartLaw -> ISamplerKernel }

/// Every Langevin kernel the exact engine must reproduce; the lead adds the real samplers here when branches merge.
let kernelFactories: KernelFactory list =
    [ { Name = "ULA"
        Make = fun d h start -> Ula(d, h, start) :> ISamplerKernel }
      { Name = "nested RLMC (test)"
        Make = fun d h start -> NestedRlmc(d, h, start) :> ISamplerKernel }
      { Name = "switched ULA (test)"
        Make = fun d h start -> SwitchedUla(d, h, h / 3.0, 0.3, start) :> ISamplerKernel }
      { Name = "kinetic Euler (test)"
        Make = fun d h start -> KineticEuler(d, h, 2.0, start) :> ISamplerKernel } ]

let private analyse (p: Problem) (make: int -> float -> StartLaw -> ISamplerKernel) options =
    let r = p.Reduction
    r, ExactAnalysis.Analyse(ExactProblem.Langevin(r, make r.Dimension p.H r.Start, int64 p.Steps), options)

let private relClose tol (expected: float) (actual: float) =
    abs (actual - expected) <= tol * (1.0 + abs expected)

/// The exact law of the real sampler on the original coordinates versus 8000 Monte Carlo chains: per coordinate the
/// mean (SE from the exact variance) and the variance (SE by the delta method) within 5 SE. At most 6 coordinates ×
/// 2 moments × 50 cases = 600 comparisons per kernel: false-failure probability ≤ 600 · 5.7e-7 ≈ 3.4e-4 per kernel.
let private agreesWithMonteCarlo (factory: KernelFactory) (p: Problem) =
    let r, exact = analyse p factory.Make (ExactOptions(Replicates = 2))
    let d = p.Mean.Length
    let chains = 8000
    let kernel = factory.Make d p.H p.Start
    let target = RateLab.Core.Targets.DiagonalGaussian(p.Mean, p.Variances)
    let batch = ChainBatch(chains, kernel.StateLength, d)
    SamplerRunner.Run(kernel, PhiloxNoise p.Seed, ScoreOracle(target, chains), batch, int64 p.Steps)
    let x = batch.Positions()

    [ 0 .. d - 1 ]
    |> List.forall (fun i ->
        let k = r.CoordinateMap.[i]
        let mean, variance = exact.Law.Mean.[k], exact.Law.Covariance.[k]
        let xs = Array.init chains (fun c -> x.[c * d + i])
        let sampleVar, varSe = varianceAndSe xs

        within z5 (sqrt (variance / float chains)) (Array.average xs) mean
        && within z5 varSe sampleVar variance)

/// N(0, 1), point start x₀, ULA with step h: mₙ₊₁ = (1 − h) mₙ, vₙ₊₁ = (1 − h)² vₙ + 2h.
let private ulaOnStandard h steps x0 =
    let r =
        GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 1.0 |], StartLaw.Point [| x0 |])

    ExactAnalysis.Analyse(ExactProblem.Langevin(r, Ula(1, h, r.Start), int64 steps))

let private stationaryVariance (kernel: ISamplerKernel) steps nodes =
    let r =
        GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 1.0 |], StartLaw.Point [| 0.0 |])

    let law = GaussianState(kernel.Blocks, 1)

    let propagator =
        AffinePropagator(kernel, r.TargetScore(), r.CentredTargetScore(), ProbeNoise())

    ExactAnalysis.PropagateMoments(propagator, DrawQuadrature(kernel :?> IStepDraws, nodes), int64 steps, law)
    law

[<Tests>]
let tests =
    testList
        "Core.Exact.Propagation"
        [ test "ULA on N(0,1): stationary variance 2/(2 − h) to 1e-12" {
              for h in [ 0.05; 0.1; 0.5; 1.0; 1.5 ] do
                  let result = ulaOnStandard h 4000 0.0

                  Expect.floatClose
                      { absolute = 0.0; relative = 1e-12 }
                      result.Law.Covariance.[0]
                      (2.0 / (2.0 - h))
                      $"h = {h}"
          }

          test "ULA on N(0,1): the exact law follows vₙ₊₁ = (1 − h)² vₙ + 2h and mₙ₊₁ = (1 − h) mₙ" {
              let h, x0 = 0.3, 2.5
              let mutable m, v = x0, 0.0

              for n in 0..40 do
                  let law = (ulaOnStandard h n x0).Law
                  Expect.floatClose { absolute = 1e-15; relative = 1e-12 } law.Mean.[0] m $"mean after {n} steps"

                  Expect.floatClose
                      { absolute = 1e-15; relative = 1e-12 }
                      law.Covariance.[0]
                      v
                      $"variance after {n} steps"

                  m <- (1.0 - h) * m
                  v <- (1.0 - h) ** 2.0 * v + 2.0 * h
          }

          testPropertyWithConfig cfg "ULA's exact law matches the per-coordinate recursion"
          <| fun (p: Problem) ->
              let r, result = analyse p (fun d h s -> Ula(d, h, s)) (ExactOptions())
              let h = p.H

              [ 0 .. p.Mean.Length - 1 ]
              |> List.forall (fun i ->
                  let a = 1.0 - h / p.Variances.[i]
                  let mutable m, v = p.StartMean.[i], p.StartSd.[i] ** 2.0

                  for _ in 1 .. p.Steps do
                      m <- a * m + h * p.Mean.[i] / p.Variances.[i]
                      v <- a * a * v + 2.0 * h

                  let k = r.CoordinateMap.[i]

                  relClose 1e-12 m result.Law.Mean.[k]
                  && relClose 1e-12 v result.Law.Covariance.[k])

          testList
              "exact moments agree with Monte Carlo of the real sampler (slow)"
              [ for factory in kernelFactories -> testPropertyWithConfig cfg factory.Name (agreesWithMonteCarlo factory) ]

          test "nested RLMC on N(0,1): stationary variance (2−2h+h²)/(2−2h+h²−h³/3) (docs/algorithms.md)" {
              for h in [ 0.05; 0.1; 0.3 ] do
                  let expected = (2.0 - 2.0 * h + h * h) / (2.0 - 2.0 * h + h * h - h ** 3.0 / 3.0)
                  // The step's moments are polynomials of degree ≤ 2 in U, so 2 Gauss–Legendre nodes are already exact.
                  for nodes in [ 2; 48 ] do
                      let law = stationaryVariance (NestedRlmc(1, h, StartLaw.Point [| 0.0 |])) 800 nodes

                      Expect.floatClose
                          { absolute = 0.0; relative = 1e-12 }
                          law.Covariance.[0]
                          expected
                          $"h = {h}, {nodes} nodes"
          }

          test "Bernoulli switches are enumerated exactly" {
              let h1, h2, p, x0 = 0.2, 0.05, 0.3, 1.5

              let r =
                  GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 1.0 |], StartLaw.Point [| x0 |])

              let kernel = SwitchedUla(1, h1, h2, p, r.Start)
              let result = ExactAnalysis.Analyse(ExactProblem.Langevin(r, kernel, 25L))
              // Second moments: M' = E[(1 − h_B)²] M + E[2 h_B]; means: m' = E[1 − h_B] m.
              let e f = p * f h1 + (1.0 - p) * f h2
              let mutable m, second = x0, x0 * x0

              for _ in 1..25 do
                  m <- e (fun h -> 1.0 - h) * m
                  second <- e (fun h -> (1.0 - h) ** 2.0) * second + e (fun h -> 2.0 * h)

              Expect.isTrue result.MomentsExact "enumeration is exact"
              Expect.floatClose { absolute = 1e-15; relative = 1e-12 } result.Law.Mean.[0] m "mean"

              Expect.floatClose
                  { absolute = 0.0; relative = 1e-12 }
                  result.Law.Covariance.[0]
                  (second - m * m)
                  "variance"
          }

          test "Gauss–Legendre accuracy: 48 and 96 nodes agree to 1e-13 for an analytic dependence on U" {
              let kernel = ExpStepUla(1, 0.4, StartLaw(Array.singleton 1.0, Array.singleton 0.5))
              let a = stationaryVariance kernel 60 48
              let b = stationaryVariance kernel 60 96
              Expect.floatClose { absolute = 1e-16; relative = 1e-13 } a.Mean.[0] b.Mean.[0] "mean"
              Expect.floatClose { absolute = 0.0; relative = 1e-13 } a.Covariance.[0] b.Covariance.[0] "variance"
          }

          test "kinetic Euler: the 2 × 2 per-coordinate law follows the matrix recursion" {
              let h, gamma, lambda, mu, x0 = 0.1, 2.0, 0.7, 0.4, -1.0

              let r =
                  GaussianReduction.Diagonal(ReadOnlySpan [| mu |], ReadOnlySpan [| lambda |], StartLaw.Point [| x0 |])

              let result =
                  ExactAnalysis.Analyse(ExactProblem.Langevin(r, KineticEuler(1, h, gamma, r.Start), 30L))

              let M = MathNet.Numerics.LinearAlgebra.Matrix<float>.Build
              let V = MathNet.Numerics.LinearAlgebra.Vector<float>.Build
              let a = M.DenseOfArray(array2D [ [ 1.0; h ]; [ -h / lambda; 1.0 - h * gamma ] ])
              let c = V.DenseOfArray [| 0.0; h * mu / lambda |]
              let b = V.DenseOfArray [| 0.0; sqrt (2.0 * gamma * h) |]
              let mutable m = V.DenseOfArray [| x0; 0.0 |]
              let mutable s = M.DenseOfArray(array2D [ [ 0.0; 0.0 ]; [ 0.0; 1.0 ] ])

              for _ in 1..30 do
                  m <- a * m + c
                  s <- a * s * a.Transpose() + b.OuterProduct b

              let law = result.Law

              let close e x label =
                  Expect.floatClose { absolute = 1e-14; relative = 1e-12 } x e label

              close m.[0] law.Mean.[0] "E x"
              close m.[1] law.Mean.[1] "E v"
              close s.[0, 0] law.Covariance.[0] "Var x"
              close s.[0, 1] law.Covariance.[1] "Cov(x, v)"
              close s.[1, 1] law.Covariance.[2] "Var v"
          }

          test "aux state and a time-dependent noised score: exact law follows the recursion in τ" {
              let mu, lambda, x0, h, tau0, rho, steps =
                  [| 0.5; -1.0 |], [| 0.3; 2.0 |], [| 1.0; 0.0 |], 0.05, 0.9, 0.8, 12

              let r =
                  GaussianReduction.Diagonal(ReadOnlySpan mu, ReadOnlySpan lambda, StartLaw(x0, [| 0.2; 0.4 |]))

              let kernel = AnnealedLangevin(r.Dimension, h, tau0, rho, r.Start)
              let delta = 0.01

              let result =
                  ExactAnalysis.Analyse(
                      ExactProblem(kernel, r.NoisedScore(), r.CentredNoisedScore(), r.NoisedData delta, int64 steps)
                  )

              for i in 0..1 do
                  // s(x, τ) = −(x − √(1−τ) μ)/C_τ, C_τ = (1−τ)λ + τ (docs/algorithms.md).
                  let mutable m, v, tau = x0.[i], [| 0.2; 0.4 |].[i] ** 2.0, tau0

                  for _ in 1..steps do
                      let c = (1.0 - tau) * lambda.[i] + tau
                      let a = 1.0 - h / c
                      m <- a * m + h * sqrt (1.0 - tau) * mu.[i] / c
                      v <- a * a * v + 2.0 * h
                      tau <- rho * tau

                  Expect.floatClose { absolute = 1e-15; relative = 1e-12 } result.Law.Mean.[i] m $"mean {i}"
                  Expect.floatClose { absolute = 0.0; relative = 1e-12 } result.Law.Covariance.[i] v $"variance {i}"

              let reference = r.NoisedData delta

              Expect.floatClose
                  { absolute = 0.0; relative = 1e-12 }
                  result.MomentMatched.Kl
                  (GaussianDistances.Kl(result.Law.Position(ReadOnlySpan r.Multiplicity), reference))
                  "KL against q_δ"
          }

          testPropertyWithConfig
              cfg
              "moment-matched lower bounds ≤ mixture upper bounds; equal for deterministic kernels"
          <| fun (p: Problem) ->
              let options = ExactOptions(Replicates = 64, Seed = p.Seed)
              let _, ula = analyse p (fun d h s -> Ula(d, h, s)) options
              let _, rlmc = analyse p (fun d h s -> NestedRlmc(d, h, s)) options

              let _, switched =
                  analyse p (fun d h s -> SwitchedUla(d, h, h / 3.0, 0.3, s)) options
              // One-sided: the truth satisfies lower ≤ E_ω KL, so a failure of "lower ≤ estimate + 5 SE" has probability
              // ≤ 2.9e-7 per comparison (4 per case, 200 in all: ≤ 6e-5).
              let ordered (r: ExactResult) =
                  r.MomentMatched.Kl <= r.Upper.Kl.Value + z5 * r.Upper.Kl.StandardError
                  && r.MomentMatched.W2 <= r.Upper.W2 + z5 * r.Upper.W2StandardError + 1e-14

              ula.Upper.Kl.Value = ula.MomentMatched.Kl
              && ula.Upper.Kl.StandardError = 0.0
              && not ula.Randomized
              && abs (ula.Upper.W2 - ula.MomentMatched.W2)
                 <= 1e-14 * (1.0 + ula.MomentMatched.W2)
              && ordered rlmc
              && ordered switched
              && rlmc.MomentsExact
              && switched.MomentsExact

          test "without IStepDraws the moments come from the replicates, consistently" {
              let h, replicates, seed = 0.2, 400, 5UL

              let r =
                  GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 1.0 |], StartLaw.Point [| 0.0 |])

              let kernel = Undeclared(NestedRlmc(1, h, r.Start))

              let result =
                  ExactAnalysis.Analyse(
                      ExactProblem.Langevin(r, kernel, 10L),
                      ExactOptions(Replicates = replicates, Seed = seed)
                  )

              Expect.isFalse result.MomentsExact "no declaration, no exact moments"
              // From a point at the target mean every draw keeps mean 0, so the total variance is E_ω S_ω.
              let propagator =
                  AffinePropagator(kernel, r.TargetScore(), r.CentredTargetScore(), ProbeNoise())

              let variances =
                  Array.init replicates (fun k ->
                      let law = GaussianState(1, 1)
                      ExactAnalysis.PropagateDraw(propagator, PhiloxNoise seed, int64 k, 10L, law)
                      law.Covariance.[0])

              let mean, se = meanAndSe variances
              Expect.floatClose { absolute = 0.0; relative = 1e-12 } result.Law.Covariance.[0] mean "replicate average"
              let exact = stationaryVariance (NestedRlmc(1, h, r.Start)) 10 48
              // One comparison: false-failure probability 5.7e-7.
              Expect.isTrue
                  (within z5 se mean exact.Covariance.[0])
                  $"MC {mean} ± {se} vs quadrature {exact.Covariance.[0]}"
          }

          test "the reported NFE is the mean over the replicates' chains of a real run" {
              let r =
                  GaussianReduction.Diagonal(
                      ReadOnlySpan [| 0.0; 1.0 |],
                      ReadOnlySpan [| 1.0; 2.0 |],
                      StartLaw.Point [| 0.0; 0.5 |]
                  )

              let replicates = 16

              let real (kernel: ISamplerKernel) chains =
                  let oracle = ScoreOracle(r.TargetScore(), chains)

                  SamplerRunner.Run(
                      kernel,
                      PhiloxNoise 1UL,
                      oracle,
                      ChainBatch(chains, kernel.StateLength, kernel.Dimension),
                      20L
                  )

                  oracle.MeanEvaluations, (Seq.init chains (fun c -> float (oracle.Rounds(int64 c))) |> Seq.average)
              // Deterministic kernels count chain 0 only; PLMC's count is random and must match all 16 chains.
              for kernel, chains in
                  [ Ula(2, 0.1, r.Start) :> ISamplerKernel, 1
                    NestedRlmc(2, 0.1, r.Start), 1
                    KineticEuler(2, 0.1, 2.0, r.Start), 1
                    PoissonMidpoint.Overdamped(2, 0.1, 4, r.Start), replicates ] do
                  let result =
                      ExactAnalysis.Analyse(
                          ExactProblem.Langevin(r, kernel, 20L),
                          ExactOptions(Replicates = replicates, Seed = 1UL)
                      )

                  let evaluations, rounds = real kernel chains
                  // Running mean versus sum / chains: equal up to rounding.
                  Expect.floatClose
                      { absolute = 0.0; relative = 1e-12 }
                      result.Evaluations
                      evaluations
                      $"{kernel.Name} NFE"

                  Expect.floatClose { absolute = 0.0; relative = 1e-12 } result.Rounds rounds $"{kernel.Name} rounds"

              Expect.equal
                  (real (NestedRlmc(2, 0.1, r.Start)) 1)
                  (40.0, 40.0)
                  "RLMC: two sequential evaluations per step"
          }

          test "non-affine kernels and undeclared noise roles are refused with a clear error" {
              let r =
                  GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 1.0 |], StartLaw.Point [| 0.0 |])

              let ex =
                  Expect.throwsC (fun () -> ExactAnalysis.Analyse(ExactProblem.Langevin(r, NonAffine 1, 3L)) |> ignore)

              ex (fun e -> Expect.stringContains e.Message "MALA-like (test)" "names the sampler")

              Expect.throwsT<InvalidOperationException>
                  (fun () ->
                      let p =
                          AffinePropagator(UndeclaredRole 1, r.TargetScore(), r.CentredTargetScore(), ProbeNoise())

                      p.Step(0L, GaussianState(1, 1)))
                  "drawing an undeclared role"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () ->
                      ExactAnalysis.Analyse(
                          ExactProblem.Langevin(r, Ula(1, 0.1, r.Start), 3L),
                          ExactOptions(Replicates = 1)
                      )
                      |> ignore)
                  "one replicate gives no standard error"
          } ]
