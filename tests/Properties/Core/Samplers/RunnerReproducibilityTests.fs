/// SamplerRunner results depend on the seed only: not on thread count, block size or repetition.
module RateLab.Properties.Core.Samplers.RunnerReproducibilityTests

open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Core.Targets
open RateLab.Properties.Generators

/// Number of chains, dimension, steps and seed of one ULA run.
type RunCase =
    { Chains: int
      D: int
      Steps: int
      Seed: uint64 }

type RunArbs =
    static member RunCase() : Arbitrary<RunCase> =
        gen {
            let! chains = Gen.choose (1, 150)
            let! d = Gen.choose (1, 5)
            let! steps = Gen.choose (1, 20)
            let! seed = ArbMap.defaults |> ArbMap.generate<uint64>

            return
                { Chains = chains
                  D = d
                  Steps = steps
                  Seed = seed }
        }
        |> Arb.fromGen

let private runConfig =
    { config with
        arbitrary = typeof<RunArbs> :: config.arbitrary }

/// ULA with h = 1/16 on an ill-conditioned diagonal Gaussian from N(1, 0.5² I); the final states of every chain.
let private run (noise: INoiseSource) (c: RunCase) threads blockSize =
    let target = DiagonalGaussian.IllConditioned(c.D, 10.0)

    let kernel =
        Ula(c.D, 1.0 / 16.0, StartLaw(Array.create c.D 1.0, Array.create c.D 0.5))

    let batch = ChainBatch(c.Chains, (kernel :> ISamplerKernel).StateLength, c.D)
    SamplerRunner.Run(kernel, noise, ScoreOracle(target, c.Chains), batch, int64 c.Steps, threads, blockSize)
    batch.States

/// Every (threads, block size) layout gives the states of the one-thread, one-block run, bit for bit.
let private layoutsAgree (noise: unit -> INoiseSource) (c: RunCase) =
    let reference = run (noise ()) c 1 c.Chains

    [ for threads in [ 1; 2 ] do
          for block in [ 1; 7; 64 ] -> threads, block ]
    |> List.forall (fun (threads, block) -> run (noise ()) c threads block = reference)

[<Tests>]
let tests =
    testList
        "Core.Samplers.Runner"
        [ testPropertyWithConfig runConfig "ULA: thread count and block size do not change a bit (Philox)"
          <| fun (c: RunCase) -> layoutsAgree (fun () -> PhiloxNoise c.Seed) c

          // Horizon 32·h covers the at most 20 steps; depth 9 makes the finest cell h/16.
          testPropertyWithConfig runConfig "ULA: thread count and block size do not change a bit (dyadic path)"
          <| fun (c: RunCase) -> layoutsAgree (fun () -> DyadicBrownianPath(c.Seed, 2.0, 9)) c

          // With a vanishing drift (variance 1e300, so h·score ≈ 1e-300·x is lost to rounding) ULA is x₀ + √2 W(t_k), so
          // runs at h and h/4 on one dyadic path must end at the same point: the path, not the grid, sets the noise.
          testPropertyWithConfig runConfig "ULA at h and h/4 on one dyadic path ends at the same Brownian value"
          <| fun (c: RunCase) ->
              let flat = DiagonalGaussian(Array.zeroCreate c.D, Array.create c.D 1e300)

              let final h steps =
                  let kernel = Ula(c.D, h, StartLaw(Array.create c.D 1.0, Array.create c.D 0.5))
                  let batch = ChainBatch(c.Chains, (kernel :> ISamplerKernel).StateLength, c.D)

                  SamplerRunner.Run(
                      kernel,
                      DyadicBrownianPath(c.Seed, 2.0, 9),
                      ScoreOracle(flat, c.Chains),
                      batch,
                      steps,
                      2,
                      7
                  )

                  batch.States

              let coarse = final (1.0 / 16.0) (int64 c.Steps)
              let fine = final (1.0 / 64.0) (4L * int64 c.Steps)
              Array.forall2 (fun a b -> abs (a - b) <= 1e-12 * (1.0 + abs a)) coarse fine

          testPropertyWithConfig runConfig "ULA: another seed changes the states"
          <| fun (c: RunCase) -> run (PhiloxNoise c.Seed) c 1 64 <> run (PhiloxNoise(c.Seed + 1UL)) c 1 64 ]
