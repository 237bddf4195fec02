/// PLMC's midpoint source from the catalog: the frozen-drift interpolation (the paper's) or the actual iterate. The
/// iterate variant's exact law is checked against a Monte Carlo run with a stated false-failure probability.
module RateLab.Properties.Analysis.Studies.MidpointSourceTests

open System
open Expecto
open RateLab.Core.Exact
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Core.Targets
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies

let private target =
    { Name = "ill-conditioned-gaussian"
      Parameters = Map.ofList [ "kappa", Number 10.0 ] }

let private plmc (k: int) (midpoint: string) =
    { Name = "plmc"
      Parameters =
        Map.ofList
            [ "alpha", Number 0.05
              "K", Number(float k)
              "midpoint", Text midpoint
              "start", Text "origin" ] }

/// End positions of `chains` chains of the catalog's kernel for `c` after n steps on the target in d = 3.
let private positions (c: Component) (n: int) (chains: int) =
    let problem = Catalog.gaussianProblem target 3
    let entry = Catalog.sampler "plmc"
    let start = Catalog.startLaw entry c problem

    let reduction =
        GaussianReduction.Diagonal(ReadOnlySpan problem.Mean, ReadOnlySpan problem.Variance, start)

    let kernel = (entry.Build c reduction n).Kernel
    let batch = ChainBatch(chains, kernel.StateLength, 3)
    let field = DiagonalGaussian(problem.Mean, problem.Variance)
    SamplerRunner.Run(kernel, PhiloxNoise(13UL), ScoreOracle(field, chains), batch, int64 n)
    batch.Positions()

let private spec c n =
    { Name = "midpoint"
      Sampler = c
      Target = target
      Dimensions = [ 3 ]
      Metric = KlLower
      Steps = [ n ]
      Chains = 2
      Seeds = [ 1UL ]
      Profile = Quick
      Claims = [] }

[<Tests>]
let tests =
    testList
        "Analysis.Studies.MidpointSource"
        [ test "with K = 1 there are no midpoints: both sources are the same run to the bit" {
              Expect.equal (positions (plmc 1 "iterate") 10 64) (positions (plmc 1 "interpolation") 10 64) "positions"
          }
          test "with K > 1 the iterate source is another sampler: its exact law differs" {
              let kl source =
                  (Runner.analyse (spec (plmc 4 source) 20) 3 20).Result.MomentMatched.Kl

              Expect.notEqual (kl "iterate") (kl "interpolation") "moment-matched KL"
          }
          test "the iterate source's exact moments agree with a Monte Carlo run within 4.5 standard errors" {
              // 40 000 chains; mean SE √(v/n), variance SE √((m₄ − v²)/n) from the sample's fourth central moment (the
              // law is a mixture over the Bernoulli draws, not normal). Each check fails with probability 6.8e-6 when
              // the law is right; 6 checks: at most 4.1e-5.
              let c = plmc 4 "iterate"

              let law =
                  (Runner.analyse (spec c 20) 3 20).Result.Law.Position(ReadOnlySpan(Array.create 3 1.0))

              let n = 40000
              let xs = positions c 20 n

              for i in 0..2 do
                  let column = Array.init n (fun k -> xs[k * 3 + i])
                  let m = Array.average column

                  let central p =
                      (column |> Array.sumBy (fun x -> (x - m) ** p)) / float n

                  let v, m4 = central 2.0, central 4.0
                  Expect.isLessThan (abs (m - law.Mean[i])) (4.5 * sqrt (law.Variance[i] / float n)) $"mean {i}"
                  Expect.isLessThan (abs (v - law.Variance[i])) (4.5 * sqrt ((m4 - v * v) / float n)) $"variance {i}"
          } ]
