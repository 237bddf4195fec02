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

/// A vector path against the portable one, bit for bit over random keys and lengths (which end inside a vector and
/// a chunk); where the path cannot run on this CPU the test is skipped with that reason, not passed.
let private samePath
    (name: string)
    (supported: bool)
    (missing: string)
    (fill: uint32 * uint32 * uint32 * uint32 * uint32 * float[] -> unit)
    =
    if supported then
        testPropertyWithConfig config name
        <| fun (Seed s) (chain: uint16) (step: int) (len: uint16) ->
            let n = int len % 3000 + 1
            let a, b = Array.zeroCreate n, Array.zeroCreate n
            fill (uint32 s, uint32 (s >>> 32), uint32 step, 3u, uint32 chain, a)
            VectorNormals.FillVector(uint32 s, uint32 (s >>> 32), uint32 step, 3u, uint32 chain, Span b)
            bits a = bits b
    else
        testCase name
        <| fun () -> skiptest $"this CPU has no {missing}, so that normal path cannot run here"

[<Tests>]
let tests =
    testList
        "Core.Randomness"
        [ testList
              "VectorNormals"
              [ samePath
                    "AVX-512 and portable normal paths are bit-identical for every length"
                    (Avx512F.IsSupported && Avx512DQ.IsSupported)
                    "AVX-512F/DQ"
                    (fun (k0, k1, c1, c2, c3, a) -> VectorNormals.Fill512(k0, k1, c1, c2, c3, Span a))
                // The AVX2 path assembles its uniforms without a 64-bit conversion; it must still agree to the bit.
                samePath
                    "AVX2 and portable normal paths are bit-identical for every length"
                    (Avx2.IsSupported && Vector<float>.Count = 4)
                    "AVX2 with a 256-bit Vector<T>"
                    (fun (k0, k1, c1, c2, c3, a) -> VectorNormals.Fill256(k0, k1, c1, c2, c3, Span a)) ] ]
