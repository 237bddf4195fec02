module RateLab.Properties.Core.Randomness.NormalsTests

open System
open System.Numerics
open Expecto
open RateLab.Core.Randomness
open RateLab.Properties
open RateLab.Properties.Generators

/// The straightforward reference: one scalar Philox block at a time, Box–Muller with the same elementary functions the
/// vector code uses, applied to one value at a time (broadcast into a vector), without any batching.
let private referenceNormals (seed: uint64) (chain: int64) (step: int64) (role: int) (n: int) =
    let elementwise (f: Vector<float> -> Vector<float>) (x: float) = (f (Vector<float>(x))).[0]
    let roleWord = (uint32 (uint64 step >>> 32) <<< 16) ||| uint32 role

    Array.init n (fun i ->
        let mutable r0, r1, r2, r3 = 0u, 0u, 0u, 0u

        Philox4x32.Block(
            uint32 (i / 2),
            uint32 step,
            roleWord,
            uint32 chain,
            uint32 seed,
            uint32 (seed >>> 32),
            &r0,
            &r1,
            &r2,
            &r3
        )

        let u1 = CounterRng.ToUniform(r0, r1)
        let u2 = CounterRng.ToUniform(r2, r3)
        let radius = sqrt (-2.0 * elementwise Vector.Log u1)
        let mutable sv, cv = Vector<float>.Zero, Vector<float>.Zero
        VectorNormals.SinCosTurns(Vector<float>(u2), &sv, &cv)
        let s, c = sv.[0], cv.[0]
        radius * (if i % 2 = 0 then c else s))

[<Tests>]
let tests =
    testList
        "Core.Randomness.Normals"
        [ testPropertyWithConfig config "vectorised normals are bit-identical to the scalar reference"
          <| fun (Seed s) (chain: uint16) (step: int) (role: byte) (len: byte) ->
              let n = int len + 1
              let fast = Array.zeroCreate n
              CounterRng.Normals(s, int64 chain, int64 step, int role, Span fast)
              let slow = referenceNormals s (int64 chain) (int64 step) (int role) n

              Array.forall2
                  (fun (a: float) b -> BitConverter.DoubleToInt64Bits a = BitConverter.DoubleToInt64Bits b)
                  fast
                  slow

          testPropertyWithConfig config "a prefix of a longer request is the shorter request"
          <| fun (Seed s) (len: byte) ->
              let n = int len + 1
              let shortRun = Array.zeroCreate n
              let longRun = Array.zeroCreate (n + 13)
              CounterRng.Normals(s, 5L, 9L, 1, Span shortRun)
              CounterRng.Normals(s, 5L, 9L, 1, Span longRun)
              shortRun = longRun.[.. n - 1]

          test "lane-independent sin/cos match the runtime's to 1e-15" {
              for i in 1..9999 do
                  let t = float i / 10000.0
                  let mutable sv, cv = Vector<float>.Zero, Vector<float>.Zero
                  VectorNormals.SinCosTurns(Vector<float>(t), &sv, &cv)

                  Expect.floatClose
                      { absolute = 1e-15; relative = 0.0 }
                      sv.[0]
                      (sin (2.0 * Math.PI * t))
                      $"sin at t={t}"

                  Expect.floatClose
                      { absolute = 1e-15; relative = 0.0 }
                      cv.[0]
                      (cos (2.0 * Math.PI * t))
                      $"cos at t={t}"
          }

          // 2·10^5 draws: mean and variance z-tests at 5 SE; false-failure probability ≈ 1.1e-6 for the two comparisons.
          test "standard normal moments" {
              let xs = Array.zeroCreate 200_000
              CounterRng.Normals(42UL, 0L, 0L, 0, Span xs)
              let m, seM = Stats.meanAndSe xs
              let v, seV = Stats.varianceAndSe xs
              Expect.isTrue (Stats.within Stats.z5 seM m 0.0) $"mean {m} (se {seM})"
              Expect.isTrue (Stats.within Stats.z5 seV v 1.0) $"variance {v} (se {seV})"
          } ]
