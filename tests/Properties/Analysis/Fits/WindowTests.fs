/// The automatic window on curves with known exponents: noisy power laws, a floor, a pre-asymptotic term; and the
/// overrides --window all and FROM:TO. Coverage tests draw their cases from FsCheck with a fixed seed and compare the
/// share of 95 % intervals that hold the true exponent with the nominal rate.
module RateLab.Properties.Analysis.Fits.WindowTests

open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Randomness
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Fits
open RateLab.Analysis.Fits.RateFit
open RateLab.Analysis.Fits.PowerLawFit
open RateLab.Properties
open RateLab.Properties.Generators
open RateLab.Properties.SyntheticCurves

let private order (f: FitResult) = f.Slopes.[0]

/// Noise from 0.1 % to 10 % (log-uniform), normal or uniform, 5 to 2000 points, linear or log-spaced.
let private cases =
    gen {
        let! p = hundredths 50 300

        let! noise =
            Gen.choose (0, 100) |> Gen.map (fun i -> 10.0 ** (-3.0 + 2.0 * float i / 100.0))

        let! uniform = Gen.elements [ true; false ]
        let! count = Gen.elements [ 5; 8; 20; 60; 300; 2000 ]

        let! spacing =
            Gen.oneof [ Gen.constant Linear; Gen.choose (2, 5) |> Gen.map (float >> LogSpaced) ]

        let! seed = ArbMap.defaults |> ArbMap.generate<uint64>

        return
            { P = p
              Noise = noise
              Uniform = uniform
              Count = count
              Spacing = spacing
              Seed = seed }
    }

/// 100 curves N^(−p)·(1 + b·N^(−q))·(1 + 0.05·z): (p, b, costs, errors).
let private preCases =
    Gen.sampleWithSeed
        (Rnd(20261204UL, 3UL))
        10
        100
        (Gen.zip3 (Gen.choose (50, 200)) (Gen.choose (50, 200)) (Gen.choose (150, 250)))
    |> Array.mapi (fun k (p, b, q) ->
        let p, b, q = float p / 100.0, float b / 100.0, float q / 100.0

        let c =
            { P = p
              Noise = 0.05
              Uniform = false
              Count = 60
              Spacing = LogSpaced 4.0
              Seed = uint64 k }

        let costs = costsOf c
        p, b, costs, Array.map2 (fun n z -> n ** -p * (1.0 + b * n ** -q) * z) costs (noiseOf c))

/// 100 curves (N^(−p) + f)·(1 + 0.1·z) with f = 1000^(−p): (p, f, costs, errors).
let private floorCases =
    Gen.sampleWithSeed (Rnd(20261204UL, 5UL)) 10 100 (Gen.choose (100, 300))
    |> Array.mapi (fun k p ->
        let p = float p / 100.0

        let c =
            { P = p
              Noise = 0.1
              Uniform = false
              Count = 60
              Spacing = LogSpaced 4.0
              Seed = uint64 k }

        let costs = costsOf c
        let floor = 1000.0 ** -p
        p, floor, costs, Array.map2 (fun n z -> (n ** -p + floor) * z) costs (noiseOf c))

/// Coverage over `n` cases must not fall 5 binomial standard errors below 0.95: a false failure has probability
/// below 3e-7 when the coverage is nominal. One-sided: conservative intervals pass (the bias bound of a trimmed
/// window widens them on purpose).
let private coverageHolds (n: int) (covered: bool[]) =
    let coverage = covered |> Array.averageBy (fun b -> if b then 1.0 else 0.0)
    Expect.isGreaterThanOrEqual coverage (0.95 - Stats.z5 * sqrt (0.95 * 0.05 / float n)) $"coverage {coverage}"

[<Tests>]
let tests =
    testList
        "Analysis.Fits.Window"
        [
          // 100 power laws N^(−p) with 0.1 %–10 % relative noise and 5–2000 points; the defect this replaces kept
          // 3–4 costly points and missed p = 1.5 by 0.05–0.3 on cost = 1..1000.
          test "noisy power laws: 95 % intervals hold the true exponent at least at the nominal rate" {
              let drawn = Gen.sampleWithSeed (Rnd(20261204UL, 1UL)) 10 100 cases

              drawn
              |> Array.map (fun c ->
                  let costs = costsOf c

                  let e =
                      order (
                          fitOf
                              settings
                              costs
                              (Array.map2 (fun n z -> n ** -c.P * z) costs (noiseOf c))
                              (Array.zeroCreate c.Count)
                      )

                  e.Lower <= c.P && c.P <= e.Upper)
              |> coverageHolds drawn.Length
          }

          // error = N^(−p)·(1 + b·N^(−q)) with p ∈ [0.5, 2], b ∈ [0.5, 2], q ∈ [1.5, 2.5], 60 log-spaced costs over 4
          // decades and 5 % normal noise: the term is large at the cheap end and far below the noise at the costly end.
          // Curvature near the noise level that no test resolves biases the slope by 1–2 standard errors (coverage 0.82
          // without it); the bias bound of a trimmed window restores coverage (1.00 on these cases).
          test "pre-asymptotic term p in [0.5, 2], b in [0.5, 2], q in [1.5, 2.5]: the exponent is covered" {
              preCases
              |> Array.map (fun (p, _, costs, errors) ->
                  let f = fitOf settings costs errors (Array.zeroCreate 60)
                  order(f).Lower <= p && p <= order(f).Upper)
              |> coverageHolds preCases.Length
          }

          // At cost 1 the term lifts the error by 1 + b ≥ 1.5, a shift of log 1.5 = 8 noise standard deviations (5 %):
          // the cheap-end test misses it with probability far below 1e-6 per case.
          test "pre-asymptotic term: the cheap end is dropped, with its reason recorded" {
              for _, _, costs, errors in preCases do
                  let f = fitOf settings costs errors (Array.zeroCreate 60)
                  Expect.isFalse (List.contains 0 f.Window) "cost 1 not fitted"
                  Expect.stringContains (f.Excluded |> List.find (fst >> (=) 0) |> snd) "cheap end" "reason"
          }

          // error = N^(−p) + f with the floor f passed per point, reached at 10^3 of 10^4; 10 % noise. Points within the
          // floor factor (2×) of their floor are never fitted, and none beyond the first such point.
          test "floor: no point within 2x of its floor, nor any costlier point, is fitted" {
              for p, floor, costs, errors in floorCases do
                  let f = fitOf settings costs errors (Array.create 60 floor)
                  let factor = FitWindow.defaultRule.FloorFactor
                  let firstAtFloor = errors |> Array.findIndex (fun e -> e <= factor * floor)
                  Expect.isTrue (f.Window |> List.forall (fun i -> i < firstAtFloor)) $"p = {p}: stops before the floor"
          }

          // Exact values: a bent curve is trimmed at its cheap end and its interval names the bias bound; a straight one
          // is not trimmed, so its interval is not widened.
          test "exact curves: a trimmed window's interval is widened; a straight one is not" {
              let grid =
                  { P = 1.0
                    Noise = 0.0
                    Uniform = false
                    Count = 60
                    Spacing = LogSpaced 4.0
                    Seed = 0UL }

              let costs = costsOf grid

              for p in [ 0.5; 1.0; 2.0 ] do
                  let errors = costs |> Array.map (fun n -> n ** -p * (1.0 + n ** -2.0))
                  let bent = fitOf settings costs errors (Array.zeroCreate 60)
                  Expect.stringContains bent.IntervalMethod "widened" $"p = {p}: the bias bound is named"

                  let straight =
                      fitOf settings costs (costs |> Array.map (fun n -> n ** -p)) (Array.zeroCreate 60)

                  Expect.isFalse
                      (straight.IntervalMethod.Contains "widened")
                      $"p = {p}: a straight window is not widened"

                  Expect.isEmpty straight.Excluded $"p = {p}: a straight window is not trimmed"
          }

          // error = N^(−p) + f with p ∈ [1, 3], f = 1000^(−p), 60 log-spaced costs over 4 decades, 10 % normal noise.
          // Between 2× and about 10× its floor a point still carries a bias the edge and curvature tests cannot resolve
          // (coverage 0.74 without the bias bound, with the cheap end often dropped for the floor's tilt); dropping the
          // end that lies further off the line alone gives 0.80; with the bias bound, 1.00.
          test "floor f = 1000^-p, p in [1, 3]: the exponent is covered at least at the nominal rate" {
              floorCases
              |> Array.map (fun (p, floor, costs, errors) ->
                  let f = fitOf settings costs errors (Array.create 60 floor)
                  order(f).Lower <= p && p <= order(f).Upper)
              |> coverageHolds floorCases.Length
          }

          testPropertyWithConfig config "every point is either in the window or excluded with a reason"
          <| fun (Seed s) ->
              let c =
                  { P = 1.0
                    Noise = 0.05
                    Uniform = false
                    Count = 40
                    Spacing = LogSpaced 4.0
                    Seed = s }

              let costs = costsOf c

              let errors =
                  Array.map2 (fun n z -> n ** -1.0 * (1.0 + 3.0 / n) * z + 1e-4) costs (noiseOf c)

              let f = fitOf settings costs errors (Array.create 40 1e-4)

              List.sort (f.Window @ List.map fst f.Excluded) = [ 0..39 ]
              && f.Excluded |> List.forall (fun (_, why) -> why <> "")

          testPropertyWithConfig config "--window all uses every point, floors or not"
          <| fun (Seed s) ->
              let c =
                  { P = 2.0
                    Noise = 0.05
                    Uniform = true
                    Count = 30
                    Spacing = LogSpaced 3.0
                    Seed = s }

              let costs = costsOf c
              let errors = Array.map2 (fun n z -> n ** -2.0 * z + 1e-5) costs (noiseOf c)

              let f =
                  fitOf { settings with Window = FitWindow.All } costs errors (Array.create 30 1e-5)

              f.Window = [ 0..29 ]
              && f.Excluded.IsEmpty
              && f.WindowRule.StartsWith "--window all"

          testPropertyWithConfig config "--window FROM:TO uses exactly the points with cost in [FROM, TO]"
          <| fun (Seed s) ->
              let c =
                  { P = 1.5
                    Noise = 0.05
                    Uniform = true
                    Count = 100
                    Spacing = Linear
                    Seed = s }

              let costs = costsOf c
              let lo = 1.0 + float (s % 40UL)
              let hi = lo + 10.0 + float (s % 37UL)

              let f =
                  fitOf
                      { settings with
                          Window = FitWindow.CostRange(lo, hi) }
                      costs
                      (Array.map2 (fun n z -> n ** -1.5 * z) costs (noiseOf c))
                      (Array.zeroCreate 100)

              f.Window =
                  [ for i in 0..99 do
                        if lo <= costs.[i] && costs.[i] <= hi then
                            i ]
              && f.Excluded
                 |> List.forall (fun (i, why) -> (costs.[i] < lo || costs.[i] > hi) && why.Contains "outside") ]
