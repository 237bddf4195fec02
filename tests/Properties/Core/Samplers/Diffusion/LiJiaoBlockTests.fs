/// Li–Jiao's lockstep block step and the noised mixture's per-row scores: bit-identical to the single-chain path.
module RateLab.Properties.Core.Samplers.Diffusion.LiJiaoBlockTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Properties.Generators
open RateLab.Properties.TestKernels

/// A noised mixture (isotropic, with shared variances and atoms, or diagonal) and rows with per-row levels τ_r.
type LevelRowsCase =
    { Data: GaussianMixtureNoisedScore
      Rows: float[]
      Taus: float[] }

let private value lo hi =
    Gen.choose (lo, hi) |> Gen.map (fun i -> float i / 100.0)

/// Levels across (0, 1): uniform, near 0 (down to 1e-14) and near 1.
let private level =
    Gen.oneof
        [ Gen.choose (1, 999_999) |> Gen.map (fun i -> float i / 1e6)
          Gen.choose (0, 1400)
          |> Gen.map (fun e -> Math.Pow(10.0, -float e / 100.0) * 0.5)
          Gen.choose (100, 1000)
          |> Gen.map (fun e -> 1.0 - Math.Pow(10.0, -float e / 100.0)) ]

let private mixture d k =
    gen {
        let! weights = Gen.arrayOfLength k (value 1 100)
        let! means = Gen.arrayOfLength (k * d) (value -300 300)
        let! diagonal = Gen.frequency [ 4, Gen.constant false; 1, Gen.constant true ]

        if diagonal then
            let! variances = Gen.arrayOfLength (k * d) (value 10 200)
            return GaussianMixtureNoisedScore(weights, means, variances)
        else
            // Few distinct σ² so that components share c_j = ᾱσ² + τ; 0 is an atom.
            let! sds = Gen.arrayOfLength k (Gen.elements [ 0.0; 0.5; Math.Sqrt 0.5; 1.3 ])
            return GaussianMixtureNoisedScore.Isotropic(weights, means, sds)
    }

let private levelRowsCase =
    gen {
        // Multiples of 8 take the fused kernel (≤ 64 and > 64 sum differently); the others score row by row.
        let! d = Gen.elements [ 1; 3; 8; 16; 24; 64; 72; 128; 136; 200 ]
        let! k = Gen.choose (1, 12)
        let! n = Gen.choose (1, 9)
        let! data = mixture d k
        let! rows = Gen.arrayOfLength (n * d) (value -500 500)
        let! taus = Gen.arrayOfLength n level

        return
            { Data = data
              Rows = rows
              Taus = taus }
    }

type LiJiaoBlockArbs =
    static member LevelRowsCase() = Arb.fromGen levelRowsCase

let private cfg =
    { config with
        arbitrary = typeof<LiJiaoBlockArbs> :: config.arbitrary }

let private bits (v: float[]) =
    Array.map BitConverter.DoubleToInt64Bits v

/// The single-chain path: each chain initialised and stepped alone through Init and Step, no runner.
let private alone (kernel: ISamplerKernel) field chains (seed: uint64) =
    let oracle = ScoreOracle(field, chains)
    let noise = PhiloxNoise seed
    let scratch = Array.zeroCreate (max 1 kernel.ScratchLength)

    let states =
        Array.init chains (fun c ->
            let state = Array.zeroCreate kernel.StateLength
            let mutable ctx = StepContext(int64 c, -1L, noise, oracle, Span scratch)
            kernel.Init(&ctx, Span state)

            for s in 0 .. (kernel :?> LiJiaoKernel).Steps - 1 do
                ctx.Step <- int64 s
                kernel.Step(&ctx, Span state)

            state)

    Array.concat states, oracle

let private runner (kernel: ISamplerKernel) field chains seed threads block =
    let batch = ChainBatch(chains, kernel.StateLength, kernel.Dimension)
    let oracle = ScoreOracle(field, chains)
    SamplerRunner.Run(kernel, PhiloxNoise seed, oracle, batch, 4L, threads, block)
    batch.States, oracle

let private blockCase =
    gen {
        let! d = Gen.elements [ 3; 8; 64 ]
        let! k = Gen.choose (1, 8)
        let! data = mixture d k
        let! levels = Gen.elements [ LiJiaoLevels.Randomized; LiJiaoLevels.UpperEndpoint ]
        let! seed = Gen.choose (0, Int32.MaxValue) |> Gen.map uint64
        return data, levels, seed
    }

[<Tests>]
let tests =
    testList
        "Core.Samplers.Diffusion.LiJiaoBlock"
        [ testPropertyWithConfig cfg "noised mixture rows at per-row levels equal the one-row score bit for bit"
          <| fun (c: LevelRowsCase) ->
              let d = c.Data.Dimension
              let blocked = Array.zeroCreate c.Rows.Length
              c.Data.ScoreRowsAt(ReadOnlySpan c.Rows, ReadOnlySpan c.Taus, Span blocked)

              let single =
                  Array.init c.Taus.Length (fun r ->
                      let s = Array.zeroCreate d
                      c.Data.Score(ReadOnlySpan c.Rows.[r * d .. r * d + d - 1], c.Taus.[r], Span s)
                      s)
                  |> Array.concat

              bits blocked = bits single

          testProperty
              "Li–Jiao on a mixture: block steps equal single-chain Steps bit for bit, for any block and threads"
          <| fun () ->
              Prop.forAll (Arb.fromGen blockCase) (fun (data, levels, seed) ->
                  let d, chains, t = data.Dimension, 13, 16
                  let kernel = LiJiao(d, LiJiaoSchedule(t, 4, 2.0, 4.0, levels))
                  let reference, counted = alone kernel data chains seed
                  let plain, _ = runner (Undeclared kernel) data chains seed 2 5

                  let counts (o: ScoreOracle) =
                      Seq.init chains int64
                      |> Seq.forall (fun ch -> o.Evaluations ch = int64 (2 * t) && o.Rounds ch = int64 (2 * t))

                  counts counted
                  && bits plain = bits reference
                  && [ for threads in [ 1; 2 ] do
                           for block in [ 1; 3; 5; 13; 64 ] -> threads, block ]
                     |> List.forall (fun (threads, block) ->
                         let states, oracle = runner kernel data chains seed threads block
                         bits states = bits reference && counts oracle))

          test "a block scored at per-row levels is counted one evaluation and one round per chain" {
              let data =
                  GaussianMixtureNoisedScore.Isotropic([| 1.0; 2.0 |], Array.init 16 float, [| 0.5; 0.5 |])

              let oracle = ScoreOracle(data, 5)
              let rows, scores = Array.create 24 0.3, Array.zeroCreate<float> 24
              oracle.EvaluateBlockAt(2L, ReadOnlySpan rows, ReadOnlySpan [| 0.2; 0.7; 1e-9 |], Span scores)
              Expect.equal [ for c in 0L .. 4L -> oracle.Evaluations c ] [ 0L; 0L; 1L; 1L; 1L ] "one NFE per chain"
              Expect.equal [ for c in 0L .. 4L -> oracle.Rounds c ] [ 0L; 0L; 1L; 1L; 1L ] "one round per chain"

              let e =
                  Expect.throwsC
                      (fun () ->
                          oracle.EvaluateBlockAt(3L, ReadOnlySpan rows, ReadOnlySpan [| 0.2; 0.7; 0.1 |], Span scores))
                      id

              Expect.stringContains e.Message "out of range" "chains past the oracle are refused"
          } ]
