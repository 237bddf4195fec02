/// The vectorised normal generator's two paths: AVX-512 and the portable one must give the same numbers.
module RateLab.Properties.Core.Randomness.VectorNormalsTests

open System
open System.Numerics
open System.Runtime.Intrinsics.X86
open Expecto
open RateLab.Core.Randomness
open RateLab.Properties.Generators

let private bits (a: float[]) =
    a |> Array.map BitConverter.DoubleToInt64Bits

[<Tests>]
let tests =
    testList
        "Core.Randomness"
        [ testList
              "VectorNormals"
              [
                // Width independence: both vector paths must give the same numbers (the portable one is what a machine
                // without AVX-512 runs). Where Fill512 cannot run the test is skipped with that reason, not passed.
                let name = "AVX-512 and portable normal paths are bit-identical for every length"

                if Avx512F.IsSupported && Avx512DQ.IsSupported then
                    testPropertyWithConfig config name
                    <| fun (Seed s) (chain: uint16) (step: int) (len: uint16) ->
                        let n = int len % 3000 + 1
                        let a, b = Array.zeroCreate n, Array.zeroCreate n
                        VectorNormals.Fill512(uint32 s, uint32 (s >>> 32), uint32 step, 3u, uint32 chain, Span a)
                        VectorNormals.FillVector(uint32 s, uint32 (s >>> 32), uint32 step, 3u, uint32 chain, Span b)
                        bits a = bits b
                else
                    testCase name
                    <| fun () -> skiptest "this CPU has no AVX-512F/DQ, so the AVX-512 normal path cannot run here"

                // The AVX2 path assembles its uniforms without a 64-bit conversion; it must still agree to the bit.
                let name = "AVX2 and portable normal paths are bit-identical for every length"

                if Avx2.IsSupported && Vector<float>.Count = 4 then
                    testPropertyWithConfig config name
                    <| fun (Seed s) (chain: uint16) (step: int) (len: uint16) ->
                        let n = int len % 3000 + 1
                        let a, b = Array.zeroCreate n, Array.zeroCreate n
                        VectorNormals.Fill256(uint32 s, uint32 (s >>> 32), uint32 step, 3u, uint32 chain, Span a)
                        VectorNormals.FillVector(uint32 s, uint32 (s >>> 32), uint32 step, 3u, uint32 chain, Span b)
                        bits a = bits b
                else
                    testCase name
                    <| fun () ->
                        skiptest "this CPU has no AVX2 with 256-bit Vector<T>, so the AVX2 normal path cannot run here" ] ]
