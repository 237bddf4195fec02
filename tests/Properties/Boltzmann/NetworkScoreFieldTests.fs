/// The batched network score field (W6): row independence bit for bit, agreement with the batched network, and the
/// lockstep DDIM/Heun runs it is timed in (thread counts, block sizes, NFE counts).
module RateLab.Properties.Boltzmann.NetworkScoreFieldTests

open System
open Expecto
open RateLab.Boltzmann
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Properties.Generators

/// Widths that are not multiples of 8 exercise the padding; the benchmark shape is d = W = H = 64.
let private field (seed: uint64) d width harmonics =
    NetworkScoreField.FromSeed(d, seed, width, harmonics)

let private rows (seed: uint64) n d =
    let rng = Random(int (seed % 1000003UL))
    Array.init (n * d) (fun _ -> 4.0 * rng.NextDouble() - 2.0)

/// Score row by row, the one-row path.
let private byRow (f: NetworkScoreField) (x: float[]) tau =
    let d = f.Dimension
    let s = Array.zeroCreate x.Length

    for r in 0 .. x.Length / d - 1 do
        f.Score(ReadOnlySpan(x, r * d, d), tau, Span(s, r * d, d))

    s

let private blocked (f: NetworkScoreField) (x: float[]) tau =
    let s = Array.zeroCreate x.Length
    f.ScoreRows(ReadOnlySpan x, tau, Span s)
    s

let private grid n =
    NoiseGrid.LogSnrUniform(1.0 - 1e-4, 1e-3, n)

/// End states of every chain and the oracle, run through the ordinary runner.
let private run (kernel: ISamplerKernel) (f: IScoreField) chains steps threads blockSize =
    let oracle = ScoreOracle(f, chains)
    let batch = ChainBatch(chains, kernel.StateLength, kernel.Dimension)
    SamplerRunner.Run(kernel, PhiloxNoise 5UL, oracle, batch, int64 steps, threads, blockSize)
    Array.copy batch.States, oracle

[<Tests>]
let tests =
    testList
        "Boltzmann.NetworkScoreField"
        [ testPropertyWithConfig
              { config with maxTest = 10 }
              "ScoreRows equals Score row by row, bit for bit, for blocks of 1 to 150 rows"
          <| fun (Seed s) ->
              use f = field s 5 12 10
              let tau = 0.01 + 0.98 * float (s % 97UL) / 97.0

              [ 1; 3; 4; 5; 17; 64; 65; 150 ]
              |> List.forall (fun n ->
                  let x = rows (s + uint64 n) n 5
                  blocked f x tau = byRow f x tau)

          test
              "ScoreRows equals Score bit for bit at the benchmark shape (d = W = H = 64), and a row's score does not depend on its block" {
              use f = field 11UL 64 64 64
              let x = rows 3UL 200 64

              for tau in [ 0.9999; 0.37; 1e-3 ] do
                  let all = blocked f x tau
                  Expect.equal all (byRow f x tau) $"rows vs row by row at τ = {tau}"
                  // Rows 37..99 as their own block give the bits they got inside the whole block.
                  Expect.equal (blocked f x.[37 * 64 .. 100 * 64 - 1] tau) all.[37 * 64 .. 100 * 64 - 1] "sub-block"
          }

          test "the field is −x − √((1−τ)/τ)·y with y the batched network's output, bit for bit" {
              let net = TimeStateMlp.NoisePredictor(7, 4UL, 12, 10)
              use f = new NetworkScoreField(net)
              let n, tau = 13, 0.42
              let x = rows 9UL n 7
              let batch = net.CreateBatch n
              batch.MaxThreads <- 1
              Array.blit x 0 batch.Inputs 0 x.Length
              Array.fill batch.Times 0 n tau
              batch.Forward n
              let r = sqrt (1.0 - tau) / sqrt tau
              let expected = Array.init x.Length (fun i -> batch.Outputs.[i] * -r - x.[i])
              Expect.equal (blocked f x tau) expected "field vs batched network"
          }

          test "weights written and read back give the same field" {
              use f = field 2UL 6 10 9
              let path = IO.Path.GetTempFileName()

              try
                  f.WriteWeights path
                  use g = NetworkScoreField.FromFile(path, 6, 10, 9)
                  let x = rows 1UL 9 6
                  Expect.equal (blocked g x 0.3) (blocked f x 0.3) "round trip"
              finally
                  IO.File.Delete path
          }

          test
              "lockstep DDIM and Heun with the field: bit-identical for 1 and 2 threads and any block size, and equal to chain-by-chain stepping" {
              use f = field 7UL 8 16 12
              let chains, steps = 70, 6

              for name, plain, lockstep in
                  [ "DDIM",
                    (Ddim(8, grid steps, 0.0) :> ISamplerKernel),
                    (LockstepDdim(Ddim(8, grid steps, 0.0)) :> ISamplerKernel)
                    "Heun",
                    (Heun(8, grid steps) :> ISamplerKernel),
                    (LockstepHeun(Heun(8, grid steps)) :> ISamplerKernel) ] do
                  let one, _ = run lockstep f chains steps 1 64
                  let two, _ = run lockstep f chains steps 2 64
                  let small, _ = run lockstep f chains steps 2 5
                  let chainwise, _ = run plain f chains steps 1 64
                  Expect.isTrue (Array.forall Double.IsFinite one) $"{name}: finite"
                  Expect.equal two one $"{name}: 2 threads vs 1"
                  Expect.equal small one $"{name}: blocks of 5 vs 64"
                  Expect.equal chainwise one $"{name}: chain by chain vs lockstep"
          }

          test "the oracle counts one evaluation and one round per chain per batched call" {
              use f = field 3UL 4 8 8
              let chains, steps = 37, 5
              let _, ddim = run (LockstepDdim(Ddim(4, grid steps, 0.0))) f chains steps 2 8
              let _, heun = run (LockstepHeun(Heun(4, grid steps))) f chains steps 2 8

              for c in 0L .. int64 chains - 1L do
                  Expect.equal (ddim.Evaluations c) (int64 steps) "DDIM: one NFE per step"
                  Expect.equal (ddim.Rounds c) (int64 steps) "DDIM: one round per step"
                  Expect.equal (heun.Evaluations c) (int64 (2 * steps)) "Heun: two NFE per step"
                  Expect.equal (heun.Rounds c) (int64 (2 * steps)) "Heun: two rounds per step"

              let oracle = ScoreOracle(f, 10)
              let x = rows 4UL 6 4
              oracle.EvaluateBlock(3L, ReadOnlySpan x, 0.5, Span(Array.zeroCreate x.Length))

              Expect.equal
                  [ for c in 0L .. 9L -> oracle.Evaluations c ]
                  [ 0L; 0L; 0L; 1L; 1L; 1L; 1L; 1L; 1L; 0L ]
                  "block of 6 from chain 3"
          } ]
