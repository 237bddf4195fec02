/// MALA, the exact reference: π-invariance from exact starts, the acceptance rate and its cost.
module RateLab.Properties.Core.Samplers.Langevin.MalaTests

open Expecto
open RateLab.Core.Contracts
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Core.Targets
open RateLab.Properties
open RateLab.Properties.Core.Samplers.Langevin.Fixtures

let private mu = [| 1.0; -2.0 |]
let private sigma2 = [| 0.5; 2.0 |]
let private target = DiagonalGaussian(mu, sigma2)
/// Exact draws of π as the start law.
let private exactStart = StartLaw(mu, sigma2 |> Array.map sqrt)

/// Means and variances of each coordinate compared with π's; 4 comparisons, false-failure probability ≤ 2.3e-6.
let private expectDistributedAsTarget (batch: ChainBatch) =
    for i in 0..1 do
        let xs = Array.init batch.Chains (fun c -> batch.Position(c).[i])
        expectWithin5Se $"mean of x{i}" (Stats.meanAndSe xs) mu.[i]
        expectWithin5Se $"variance of x{i}" (Stats.varianceAndSe xs) sigma2.[i]

[<Tests>]
let tests =
    testList
        "Core.Samplers.Langevin.MALA"
        [ test "MALA leaves N(μ, Σ) invariant: from exact draws, 20 steps keep means and variances (5 SE)" {
              let h, steps = 0.4, 20L
              let kernel = Mala(target, h, exactStart)
              let batch, oracle = run 51UL kernel target 20000 steps
              expectDistributedAsTarget batch
              let rate = kernel.AcceptanceRate(batch, steps)
              printfn "MALA acceptance rate at h = %g on N(μ, diag(0.5, 2)): %.4f" h rate
              Expect.isTrue (rate > 0.0 && rate <= 1.0) $"acceptance rate {rate} in (0, 1]"
              // Init evaluates the score once, each step once (at the proposal).
              Expect.equal oracle.TotalEvaluations (20000L * (steps + 1L)) "NFE"
          }

          test "the same invariance check rejects ULA at that step size (the check has power)" {
              let batch, _ = run 51UL (Ula(2, 0.4, exactStart)) target 20000 20L
              Expect.throws (fun () -> expectDistributedAsTarget batch) "ULA is biased at h = 0.4"
          }

          test "every proposal is accepted when h is tiny; at h = 3 the acceptance is the stationary 0.0897 (5 SE)" {
              let small = Mala(target, 1e-8, exactStart)
              let b1, _ = run 52UL small target 200 10L
              Expect.floatClose Accuracy.high (small.AcceptanceRate(b1, 10L)) 1.0 "h → 0"
              let large = Mala(target, 3.0, exactStart)
              let b2, _ = run 52UL large target 2000 10L
              // At stationarity the acceptance probability at h = 3 is 0.0897 (4·10⁶ independent numpy draws, SE 1.2e-4).
              // A chain's mean of its 10 correlated accept indicators has variance at most p(1 − p), so over 2000
              // independent chains the SE is at most √(p(1 − p)/2000) = 0.0064: 5 of them, [0.058, 0.122], exclude both
              // "all accepted" and "all rejected"; false failure below 5.7e-7.
              let p = 0.0897
              let se = sqrt (p * (1.0 - p) / 2000.0)
              let rate = large.AcceptanceRate(b2, 10L)
              Expect.isLessThanOrEqual (abs (rate - p)) (Stats.z5 * se) $"acceptance {rate} against {p} at h = 3"
          }

          test "MALA declares itself not affine on Gaussians" {
              Expect.isFalse ((Mala(target, 0.1, exactStart) :> ISamplerKernel).IsAffineOnGaussians) "not affine"
          } ]
