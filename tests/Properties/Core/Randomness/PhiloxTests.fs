module RateLab.Properties.Core.Randomness.PhiloxTests

open Expecto
open RateLab.Core.Randomness
open RateLab.Properties.Generators

let private block (c: uint32[]) (k: uint32[]) =
    let mutable r0, r1, r2, r3 = 0u, 0u, 0u, 0u
    Philox4x32.Block(c.[0], c.[1], c.[2], c.[3], k.[0], k.[1], &r0, &r1, &r2, &r3)
    [| r0; r1; r2; r3 |]

[<Tests>]
let tests =
    testList
        "Core.Randomness.Philox"
        [
          // Known-answer vectors of Random123's kat_vectors for philox4x32_10.
          test "known answer: zero counter and key" {
              Expect.equal
                  (block [| 0u; 0u; 0u; 0u |] [| 0u; 0u |])
                  [| 0x6627e8d5u; 0xe169c58du; 0xbc57ac4cu; 0x9b00dbd8u |]
                  "KAT 0"
          }
          test "known answer: all ones" {
              Expect.equal
                  (block [| 0xffffffffu; 0xffffffffu; 0xffffffffu; 0xffffffffu |] [| 0xffffffffu; 0xffffffffu |])
                  [| 0x408f276du; 0x41c83b0eu; 0xa20bc7c6u; 0x6d5451fdu |]
                  "KAT 1"
          }
          test "known answer: pi digits" {
              Expect.equal
                  (block [| 0x243f6a88u; 0x85a308d3u; 0x13198a2eu; 0x03707344u |] [| 0xa4093822u; 0x299f31d0u |])
                  [| 0xd16cfe09u; 0x94fdccebu; 0x5001e420u; 0x24126ea1u |]
                  "KAT 2"
          }
          testPropertyWithConfig config "same key gives the same normals"
          <| fun (Seed s) (chain: uint16) (step: uint16) ->
              let a = Array.zeroCreate 7
              let b = Array.zeroCreate 7
              CounterRng.Normals(s, int64 chain, int64 step, 3, System.Span a)
              CounterRng.Normals(s, int64 chain, int64 step, 3, System.Span b)
              a = b ]
