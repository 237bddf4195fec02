/// The opt-in lockstep DDIM and Heun: the same bits and NFE as stepping chain by chain, for any threads and blocks.
module RateLab.Properties.Core.Samplers.Diffusion.LockstepTests

open System
open Expecto
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion

/// End states and the oracle of one run through the ordinary runner.
let private run (kernel: ISamplerKernel) (field: IScoreField) chains steps threads blockSize =
    let oracle = ScoreOracle(field, chains)
    let batch = ChainBatch(chains, kernel.StateLength, kernel.Dimension)
    SamplerRunner.Run(kernel, PhiloxNoise 9UL, oracle, batch, int64 steps, threads, blockSize)
    Array.copy batch.States, oracle

[<Tests>]
let tests =
    testList
        "Core.Samplers.Diffusion.Lockstep"
        [ test
              "lockstep DDIM (η = 0 and 0.6) and Heun (log-SNR grid, and EDM ending at 0) equal chain-by-chain stepping bit for bit, with the same NFE" {
              let d, chains = 5, 41

              let field =
                  GaussianNoisedScore(
                      Array.init d (fun i -> 0.3 * float i),
                      Array.init d (fun i -> 0.5 + 0.2 * float i)
                  )

              let logSnr = NoiseGrid.LogSnrUniform(1.0 - 1e-4, 1e-3, 7)
              let edm = NoiseGrid.Edm 6

              let cases: (string * ISamplerKernel * ISamplerKernel * int) list =
                  [ "DDIM η = 0", Ddim(d, logSnr, 0.0), LockstepDdim(Ddim(d, logSnr, 0.0)), logSnr.Steps
                    "DDIM η = 0.6", Ddim(d, logSnr, 0.6), LockstepDdim(Ddim(d, logSnr, 0.6)), logSnr.Steps
                    "Heun, log-SNR", Heun(d, logSnr), LockstepHeun(Heun(d, logSnr)), logSnr.Steps
                    "Heun, EDM to 0", Heun(d, edm), LockstepHeun(Heun(d, edm)), edm.Steps ]

              for name, plain, lockstep, steps in cases do
                  let expected, plainOracle = run plain field chains steps 1 64
                  Expect.isTrue (Array.forall Double.IsFinite expected) $"{name}: finite"

                  for threads, block in [ 1, 64; 2, 64; 2, 4; 1, 1 ] do
                      let got, oracle = run lockstep field chains steps threads block
                      Expect.equal got expected $"{name}: {threads} threads, blocks of {block}"

                      for c in 0L .. int64 chains - 1L do
                          Expect.equal (oracle.Evaluations c) (plainOracle.Evaluations c) $"{name}: NFE of chain {c}"
                          Expect.equal (oracle.Rounds c) (plainOracle.Rounds c) $"{name}: rounds of chain {c}"
          } ]
