/// DyadicBrownianPath: one path shared by every step size, with the law of Brownian motion.
module RateLab.Properties.Core.Randomness.DyadicBrownianPathTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Randomness
open RateLab.Properties.Generators
open RateLab.Properties.Stats
open RateLab.Properties.Expectations

/// A coarse step j ≤ fine step j' ≤ depth J, a coarse step index, dimension, chain, seed and random cuts.
type NestingCase =
    { J: int
      Coarse: int
      Fine: int
      Step: int64
      D: int
      Chain: int64
      Seed: uint64
      Cuts: float[] }

type PathArbs =
    static member NestingCase() : Arbitrary<NestingCase> =
        gen {
            let! depth = Gen.choose (0, 14)
            let! coarse = Gen.choose (0, depth)
            let! fine = Gen.choose (coarse, min depth (coarse + 8))
            let! step = Gen.choose (0, (1 <<< coarse) - 1)
            let! d = Gen.choose (1, 4)
            let! chain = Gen.choose (0, 1000)
            let! seed = ArbMap.defaults |> ArbMap.generate<uint64>

            let! cuts =
                Gen.choose (0, 4)
                |> Gen.bind (fun n -> Gen.arrayOfLength n (Gen.choose (1, 999_999)))

            let cuts =
                cuts |> Array.distinct |> Array.sort |> Array.map (fun c -> float c / 1e6)

            return
                { J = depth
                  Coarse = coarse
                  Fine = fine
                  Step = int64 step
                  D = d
                  Chain = int64 chain
                  Seed = seed
                  Cuts = cuts }
        }
        |> Arb.fromGen

let private pathConfig =
    { config with
        arbitrary = typeof<PathArbs> :: config.arbitrary }

let private horizon = 3.0

let private increments (path: DyadicBrownianPath) chain step h (cuts: float[]) d =
    let out = Array.zeroCreate ((cuts.Length + 1) * d)
    path.BrownianIncrements(chain, step, h, ReadOnlySpan cuts, Span out)
    out

/// Sum over the pieces of a split step, per coordinate.
let private total (pieces: float[]) d =
    Array.init d (fun i -> [ i..d .. pieces.Length - 1 ] |> List.sumBy (fun k -> pieces.[k]))

[<Tests>]
let tests =
    testList
        "Core.Randomness.DyadicBrownianPath"
        [ testPropertyWithConfig pathConfig "coarse increments are sums of fine increments, with or without cuts"
          <| fun (c: NestingCase) ->
              let path = DyadicBrownianPath(c.Seed, horizon, c.J)
              let h = Math.ScaleB(horizon, -c.Coarse)
              let coarse = increments path c.Chain c.Step h [||] c.D
              let ratio = 1L <<< (c.Fine - c.Coarse)

              let fine =
                  [ for k in c.Step * ratio .. (c.Step + 1L) * ratio - 1L ->
                        increments path c.Chain k (Math.ScaleB(horizon, -c.Fine)) [||] c.D ]

              let split = total (increments path c.Chain c.Step h c.Cuts c.D) c.D
              // Both are differences of the same node values; the only discrepancy is rounding of the telescoping sum.
              Array.forall
                  id
                  (Array.init c.D (fun i ->
                      let pieces = fine |> List.map (fun f -> f.[i])
                      let scale = abs coarse.[i] + (pieces |> List.sumBy abs) + 1e-300

                      abs (coarse.[i] - List.sum pieces) <= 1e-12 * scale
                      && abs (coarse.[i] - split.[i]) <= 1e-12 * (scale + abs split.[i])))

          testPropertyWithConfig pathConfig "a deeper path refines the same path"
          <| fun (c: NestingCase) ->
              let shallow = DyadicBrownianPath(c.Seed, horizon, c.Coarse)
              let deep = DyadicBrownianPath(c.Seed, horizon, c.J)
              let node = c.Step
              let a, b = Array.zeroCreate c.D, Array.zeroCreate c.D
              shallow.Value(c.Chain, node, Span a)
              deep.Value(c.Chain, node <<< (c.J - c.Coarse), Span b)
              a = b

          testPropertyWithConfig config "same seed gives identical numbers; delegated draws are PhiloxNoise's"
          <| fun (Seed s) (chain: uint16) ->
              let p1, p2 = DyadicBrownianPath(s, 1.0, 10), DyadicBrownianPath(s, 1.0, 10)
              let cuts = [| 0.1; 0.55; 0.5501 |]
              let a = increments p1 (int64 chain) 5L (1.0 / 64.0) cuts 3
              let b = increments p2 (int64 chain) 5L (1.0 / 64.0) cuts 3
              let again = increments p1 (int64 chain) 5L (1.0 / 64.0) cuts 3
              let n1, n2 = Array.zeroCreate 5, Array.zeroCreate 5
              p1.Normals(int64 chain, 7L, 2, Span n1)
              PhiloxNoise(s).Normals(int64 chain, 7L, 2, Span n2)

              a = b
              && a = again
              && n1 = n2
              && p1.Uniform(int64 chain, 7L, 3) = PhiloxNoise(s).Uniform(int64 chain, 7L, 3)

          // Monte Carlo over 20 000 chains (the samples are independent across chains). Nine comparisons at 5 SE, each
          // with false-failure probability 5.7e-7: at most 5.1e-6 in all (union bound); the seed is fixed.
          test "increments and bridge points have the covariances of Brownian motion" {
              let n = 20_000
              let path = DyadicBrownianPath(20261123UL, 1.0, 6)
              let h = 1.0 / 8.0
              // Cuts 0.37 and 0.371 of step 2 land in the same finest cell (fractions 0.96 and 0.968 of it), so the second
              // is bridged from the first.
              let u1, u2 = 0.37, 0.371

              let rows =
                  Array.init n (fun c ->
                      let split = increments path (int64 c) 2L h [| u1; u2 |] 1
                      let next = increments path (int64 c) 3L h [||] 1
                      let whole = increments path (int64 c) 0L 1.0 [||] 1
                      split.[0], split.[1], split.[0] + split.[1] + split.[2], next.[0], whole.[0])

              let check name (values: float[]) expected =
                  let m, se = meanAndSe values
                  Expect.isTrue (within z5 se m expected) $"{name}: {m} vs {expected} (SE {se})"

              let w1 = rows |> Array.map (fun (a, _, _, _, _) -> a)
              let mid = rows |> Array.map (fun (_, b, _, _, _) -> b)
              let step2 = rows |> Array.map (fun (_, _, t, _, _) -> t)
              let step3 = rows |> Array.map (fun (_, _, _, x, _) -> x)
              let whole = rows |> Array.map (fun (_, _, _, _, w) -> w)
              let prod (a: float[]) (b: float[]) = Array.map2 (*) a b
              check "E ΔW" step2 0.0
              check "Var ΔW (step 2)" (prod step2 step2) h
              check "Var ΔW (step 3)" (prod step3 step3) h
              check "Cov of disjoint steps" (prod step2 step3) 0.0
              check "Var W(T)" (prod whole whole) 1.0
              check "Var W(u h)" (prod w1 w1) (u1 * h)
              check "Cov(W(u h), W(h))" (prod w1 step2) (u1 * h)
              check "Var of the within-cell bridge increment" (prod mid mid) ((u2 - u1) * h)
              check "Cov of the two bridge pieces" (prod w1 mid) 0.0
          }

          testList
              "validation"
              [ test "h not a dyadic fraction" {
                    rejects [ "h"; "0.3"; "horizon/2^j"; "[0, 4]" ] (fun () ->
                        increments (DyadicBrownianPath(1UL, 1.0, 4)) 0L 0L 0.3 [||] 2)
                }
                test "h finer than the depth" {
                    rejects [ "h"; "0.03125" ] (fun () ->
                        increments (DyadicBrownianPath(1UL, 1.0, 4)) 0L 0L (1.0 / 32.0) [||] 2)
                }
                test "step beyond the horizon" {
                    rejects [ "step"; "4"; "[0, 3]"; "horizon" ] (fun () ->
                        increments (DyadicBrownianPath(1UL, 1.0, 4)) 0L 4L 0.25 [||] 2)
                }
                test "negative step" {
                    rejects [ "step"; "-1" ] (fun () -> increments (DyadicBrownianPath(1UL, 1.0, 4)) 0L -1L 0.25 [||] 2)
                }
                test "cuts not increasing" {
                    rejects [ "cuts[1]"; "0.2"; "(0.5, 1)" ] (fun () ->
                        increments (DyadicBrownianPath(1UL, 1.0, 4)) 0L 0L 0.25 [| 0.5; 0.2 |] 2)
                }
                test "cut at 1" {
                    rejects [ "cuts[0]"; "1"; "(0, 1)" ] (fun () ->
                        increments (DyadicBrownianPath(1UL, 1.0, 4)) 0L 0L 0.25 [| 1.0 |] 2)
                }
                test "horizon not positive" {
                    rejects [ "horizon"; "0"; "(0, ∞)" ] (fun () -> DyadicBrownianPath(1UL, 0.0, 4))
                }
                test "depth out of range" {
                    rejects [ "depth"; "47"; "[0, 46]" ] (fun () -> DyadicBrownianPath(1UL, 1.0, 47))
                }
                test "reserved role" {
                    rejects [ "role"; "32769" ] (fun () ->
                        DyadicBrownianPath(1UL, 1.0, 4)
                            .Normals(0L, 0L, DyadicBrownianPath.NodeRole, Span(Array.zeroCreate<float> 2)))
                }
                test "node outside the path" {
                    rejects [ "node"; "17"; "[0, 16]" ] (fun () ->
                        DyadicBrownianPath(1UL, 1.0, 4).Value(0L, 17L, Span(Array.zeroCreate<float> 2)))
                } ] ]
