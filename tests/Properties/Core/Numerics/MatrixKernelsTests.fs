/// The public matrix product of RateLab.Core: it equals the naive triple loop summed in the same order (so bit for
/// bit), reads A through strides (Aᵀ for free), accumulates when asked, and refuses sizes, steps and arrays out of
/// range before touching memory.
module RateLab.Properties.Core.Numerics.MatrixKernelsTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Numerics
open RateLab.Properties.Probes

type private ProductCase =
    { M: int
      N: int
      Depth: int
      Transposed: bool
      Accumulate: bool
      Seed: int }

let private productCase =
    gen {
        let! m = Gen.choose (0, 37) // every 4-row tile tail
        let! n8 = Gen.choose (0, 9) // every 32-column tile tail
        let! depth = Gen.choose (0, 19)
        let! transposed = Gen.elements [ false; true ]
        let! accumulate = Gen.elements [ false; true ]
        let! seed = Gen.choose (0, 1_000_000)

        return
            { M = m
              N = 8 * n8
              Depth = depth
              Transposed = transposed
              Accumulate = accumulate
              Seed = seed }
    }

[<Tests>]
let tests =
    testList
        "Core.Numerics.MatrixKernels"
        [ testPropertyWithConfig
              { FsCheckConfig.defaultConfig with
                  maxTest = 200 }
              "C (+)= A·B equals the naive loop summed over p in increasing order, bit for bit"
          <| Prop.forAll (Arb.fromGen productCase) (fun p ->
              let rng = Random(p.Seed)

              let draw len =
                  Array.init len (fun _ -> rng.NextDouble() * 2.0 - 1.0)
              // A stored row-major (m × depth) or as Aᵀ (depth × m), with an offset in front of every array.
              let a = draw (3 + p.M * p.Depth)
              let b = draw (5 + p.Depth * p.N)
              let c0 = draw (7 + p.M * p.N)
              let ars, aps = if p.Transposed then 1, p.M else p.Depth, 1
              let c = Array.copy c0
              MatrixKernels.Multiply(p.M, p.N, p.Depth, a, 3, ars, aps, b, 5, p.N, c, 7, p.N, p.Accumulate)

              let expected = Array.copy c0

              for i in 0 .. p.M - 1 do
                  for j in 0 .. p.N - 1 do
                      let mutable s = if p.Accumulate then c0[7 + i * p.N + j] else 0.0

                      for q in 0 .. p.Depth - 1 do
                          s <- Math.FusedMultiplyAdd(a[3 + i * ars + q * aps], b[5 + q * p.N + j], s)

                      expected[7 + i * p.N + j] <- s

              // The tiles start each entry from C (or 0) and fuse one multiply-add per p in increasing order, as the
              // loop above does (Vector512.FusedMultiplyAdd is fused on every platform), so the results are equal.
              c = expected)

          test "bad sizes, steps and short arrays are refused with the parameter named" {
              let a, b, c = Array.zeroCreate 64, Array.zeroCreate 64, Array.zeroCreate 64

              let cases: (string * (unit -> unit)) list =
                  [ "n", (fun () -> MatrixKernels.Multiply(2, 12, 2, a, 0, 2, 1, b, 0, 12, c, 0, 12, false))
                    "m", (fun () -> MatrixKernels.Multiply(-1, 8, 2, a, 0, 2, 1, b, 0, 8, c, 0, 8, false))
                    "depth", (fun () -> MatrixKernels.Multiply(2, 8, -2, a, 0, 2, 1, b, 0, 8, c, 0, 8, false))
                    "ars", (fun () -> MatrixKernels.Multiply(2, 8, 2, a, 0, -2, 1, b, 0, 8, c, 0, 8, false))
                    "ldc", (fun () -> MatrixKernels.Multiply(2, 8, 2, a, 0, 2, 1, b, 0, 8, c, 0, -8, false))
                    "bOff", (fun () -> MatrixKernels.Multiply(2, 8, 2, a, 0, 2, 1, b, -1, 8, c, 0, 8, false))
                    // Each array one element too short for the product it must hold.
                    "a", (fun () -> MatrixKernels.Multiply(2, 8, 2, a, 61, 2, 1, b, 0, 8, c, 0, 8, false))
                    "b", (fun () -> MatrixKernels.Multiply(2, 8, 2, a, 0, 2, 1, b, 49, 8, c, 0, 8, false))
                    "c", (fun () -> MatrixKernels.Multiply(2, 8, 2, a, 0, 2, 1, b, 0, 8, c, 49, 8, false)) ]

              for name, call in cases do
                  Expect.isTrue (throwsNaming name call) $"refused, naming {name}"

              // The largest offsets that still fit are accepted: the checks are not off by one.
              MatrixKernels.Multiply(2, 8, 2, a, 60, 2, 1, b, 48, 8, c, 48, 8, false)
          } ]
