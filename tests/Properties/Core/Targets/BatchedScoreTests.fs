/// Batched mixture scores (blocks of rows by two matrix products) and the runner's lockstep blocks of chains.
module RateLab.Properties.Core.Targets.BatchedScoreTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Core.Targets
open RateLab.Properties.Generators
open RateLab.Properties.TestKernels

/// An isotropic mixture in a dimension the blocked scorer takes (a multiple of 8) and a block of rows.
type RowsCase =
    { Mixture: GaussianMixture
      Rows: float[]
      Spread: float }

let private rowsCase =
    gen {
        let! d = Gen.elements [ 8; 16; 24; 64 ]
        let! k = Gen.choose (1, 20) // padded components when K is not a multiple of 8
        let! n = Gen.choose (1, 70) // several 32-row tiles and every tail
        let! spread = Gen.elements [ 1.0; 10.0; 100.0 ]

        let! weights, means, sds = isotropicMixtureParameters k d
        let! rows = Gen.arrayOfLength (n * d) (hundredths -400 400)
        let mixture = GaussianMixture(weights, means, sds |> Array.map (fun s -> s * s))

        return
            { Mixture = mixture
              Rows = rows |> Array.map ((*) spread)
              Spread = spread }
    }

type BatchedArbs =
    static member RowsCase() = Arb.fromGen rowsCase

let private cfg =
    { config with
        arbitrary = typeof<BatchedArbs> :: config.arbitrary }

let private scoreRows (m: GaussianMixture) (rows: float[]) =
    let scores = Array.zeroCreate rows.Length
    m.ScoreRows(ReadOnlySpan rows, Span scores)
    scores

/// ULA with h = 0.05 from N(0, I) on `target`, run with the given threads and block size; the final states.
let private runUla (target: IScoreField) kernel chains steps seed threads block =
    let k = kernel :> ISamplerKernel
    let batch = ChainBatch(chains, k.StateLength, k.Dimension)
    let oracle = ScoreOracle(target, chains)
    SamplerRunner.Run(k, PhiloxNoise seed, oracle, batch, steps, threads, block)
    batch.States, oracle

/// The same ULA seen as a plain kernel (its IBlockKernel hidden), so the runner steps it chain by chain.
let private chainByChain (ula: Ula) = Undeclared(ula) :> ISamplerKernel

let private ula d =
    Ula(d, 0.05, StartLaw.Isotropic(d, 1.0))

[<Tests>]
let tests =
    testList
        "Core.Targets.BatchedScores"
        [
          // The blocked logits expand ‖x − μ‖² = ‖x‖² − 2x·μ + ‖μ‖², whose rounding is at most γ = (d + 4)ε times
          // p(‖x‖² + ‖μ‖²) (dot products of length d); a softmax moves each weight by at most 2δ relative, and the
          // products add (K + d + 8)ε of |terms|. Factor 4 over that worst case: a failure is a real defect, not chance.
          testPropertyWithConfig cfg "mixture rows agree with the row-by-row score within the expanded form's bound"
          <| fun (c: RowsCase) ->
              let m = c.Mixture
              let d, k = m.Dimension, m.Components
              let eps = Math.Pow(2.0, -52)
              let pMax = Seq.init k (fun j -> 1.0 / m.ComponentVariances(j).[0]) |> Seq.max
              let norm2 (v: float[]) = Array.sumBy (fun a -> a * a) v
              let mu2 = Seq.init k (fun j -> norm2 (m.ComponentMean(j).ToArray())) |> Seq.max

              let muInf i =
                  Seq.init k (fun j -> abs (m.ComponentMean(j).[i])) |> Seq.max

              let blocked = scoreRows m c.Rows

              Seq.init (c.Rows.Length / d) id
              |> Seq.forall (fun r ->
                  let x = c.Rows.[r * d .. r * d + d - 1]
                  let single = Array.zeroCreate d
                  m.Score(ReadOnlySpan x, Span single)
                  let delta = float (d + 4) * eps * pMax * (Array.sumBy (fun v -> v * v) x + mu2)

                  Seq.init d id
                  |> Seq.forall (fun i ->
                      let tol =
                          4.0 * (2.0 * delta + float (k + d + 8) * eps) * pMax * (muInf i + abs x.[i])

                      abs (blocked.[r * d + i] - single.[i]) <= tol))

          testPropertyWithConfig cfg "a row's blocked score does not depend on the rows beside it, bit for bit"
          <| fun (c: RowsCase) ->
              let d = c.Mixture.Dimension
              let whole = scoreRows c.Mixture c.Rows
              let n = c.Rows.Length / d

              let alone =
                  Array.init n (fun r -> scoreRows c.Mixture c.Rows.[r * d .. r * d + d - 1])
                  |> Array.concat

              let reversed =
                  Array.init n (fun r -> c.Rows.[(n - 1 - r) * d .. (n - r) * d - 1])
                  |> Array.concat

              let back = scoreRows c.Mixture reversed

              let unreversed =
                  Array.init n (fun r -> back.[(n - 1 - r) * d .. (n - r) * d - 1])
                  |> Array.concat

              whole = alone && whole = unreversed

          testPropertyWithConfig cfg "lockstep ULA on a mixture: threads and block size change no bit; NFE per chain"
          <| fun (c: RowsCase, seed: uint64) ->
              let d = c.Mixture.Dimension
              let reference, _ = runUla c.Mixture (ula d) 37 6L seed 1 37

              [ for threads in [ 1; 2 ] do
                    for block in [ 1; 5; 32; 64 ] -> threads, block ]
              |> List.forall (fun (threads, block) ->
                  let states, oracle = runUla c.Mixture (ula d) 37 6L seed threads block

                  states = reference
                  && Seq.init 37 int64
                     |> Seq.forall (fun ch -> oracle.Evaluations ch = 6L && oracle.Rounds ch = 6L))

          // Fields without a blocked kernel score row by row, so lockstep and chain-by-chain stepping are the same
          // arithmetic and must agree bit for bit, counts included.
          testPropertyWithConfig config "lockstep ULA equals chain-by-chain ULA where the field scores row by row"
          <| fun (seed: uint64) ->
              let target = DiagonalGaussian.IllConditioned(5, 10.0)
              let a, oa = runUla target (ula 5) 50 9L seed 2 16
              let b, ob = runUla target (chainByChain (ula 5)) 50 9L seed 2 16

              a = b
              && oa.TotalEvaluations = ob.TotalEvaluations
              && oa.Rounds 49L = ob.Rounds 49L

          // Unstable steps (h = 3v) blow chains up at steps set by their start points: both runners must name the same
          // lowest chain at its first non-finite step.
          test "a diverging block names the lowest diverged chain at its first failing step, as chain by chain" {
              let target = DiagonalGaussian.Isotropic(3, 0.02)
              let unstable = Ula(3, 0.06, StartLaw(Array.zeroCreate 3, [| 1e-300; 1.0; 1e150 |]))

              let failure kernel =
                  Expect.throwsC (fun () -> runUla target kernel 40 100000L 5UL 1 16 |> ignore) id
                  :?> SamplerDivergedException

              let lockstep, plain = failure unstable, failure (chainByChain unstable)
              Expect.equal (lockstep.Chain, lockstep.StepIndex) (plain.Chain, plain.StepIndex) "same chain and step"
          }

          test "a block of rows that is not whole rows is refused" {
              let m = GaussianMixture([| 1.0 |], [| Array.zeroCreate 8 |], [| 1.0 |])
              let rows, scores = Array.zeroCreate<float> 12, Array.zeroCreate<float> 12
              let e = Expect.throwsC (fun () -> m.ScoreRows(ReadOnlySpan rows, Span scores)) id
              Expect.stringContains e.Message "not a multiple of d = 8" "message names the rule"
          } ]
