module RateLab.Properties.Analysis.Fits.DecayFitTests

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

let private exact v =
    { Value = v
      Lower = v
      Upper = v
      StdError = nan
      Level = 0.95 }

let private grid = [ for k in 0..8 -> 1 <<< k ]

let private curve d (errors: float list) =
    { Sampler = "synthetic"
      Parameters = []
      Target = "none"
      Dimension = d
      Metric = ExactKl
      Seeds = [ 1UL ]
      Points =
        List.map2
            (fun n e ->
                { Steps = n
                  StepSize = nan
                  Nfe = float n
                  Depth = nan
                  Error = exact e })
            grid
            errors
      Method = "synthetic" }

/// 1/N up to N = 8, then 8/N²: a pre-asymptotic order-1 part followed by the asymptotic order 2.
let private kinked =
    grid
    |> List.map (fun n -> if n <= 8 then 1.0 / float n else 8.0 / float n ** 2.0)

let private points =
    kinked |> List.map2 (fun n e -> float n, exact e) grid |> Array.ofList

[<Tests>]
let tests =
    testList
        "Analysis.Fits.Decay"
        [ test "local slopes of a power law equal its exponent" {
              let pts =
                  grid
                  |> List.map (fun n -> float n, exact (3.0 * float n ** -1.5))
                  |> Array.ofList

              for s in LocalSlopes.compute pts do
                  Expect.floatClose Accuracy.high s.Slope -1.5 "slope"
          }

          test "the window drops the curved cheap end and keeps the straight costly run" {
              match FitWindow.select FitWindow.defaultRule FitWindow.Auto None points (Array.zeroCreate 9) with
              | Ok c ->
                  Expect.equal c.Window [ 3..8 ] "N = 8 .. 256"
                  Expect.equal (List.map fst c.Excluded) [ 0..2 ] "N = 1 .. 4 recorded as excluded"

                  for _, why in c.Excluded do
                      Expect.stringContains why "cheap end" "reason"
              | Error e -> failtest e
          }

          // With the floor 0.0015, N = 64 (error 8/4096 ≈ 0.00195) lies above the floor, which the former rule (drop at
          // the floor itself) accepted, but within 2× of it: the floor factor 2 drops it and every costlier point.
          test "points within 2x of the floor and everything costlier are never fitted" {
              Expect.equal FitWindow.defaultRule.FloorFactor 2.0 "the factor this test is written for"
              let floors = Array.create 9 0.0015

              match FitWindow.select FitWindow.defaultRule FitWindow.Auto None points floors with
              | Ok c ->
                  Expect.equal c.Window [ 3..5 ] "N = 8 .. 32"
                  Expect.stringContains (snd c.Excluded.[3]) "within 2× of its floor" "reason of N = 64"
                  Expect.stringContains (snd c.Excluded.[4]) "costlier than point 6" "reason of N = 128"
              | Error e -> failtest e
          }

          test "decay fit recovers the asymptotic order and d-exponent exactly from noise-free curves" {
              let groups =
                  [ for d in [ 1; 10; 100 ] ->
                        [ curve d (kinked |> List.map (fun e -> float d ** 0.5 * e)) ], Array.zeroCreate 9 ]

              match fitDecay defaultSettings Steps groups with
              | Ok f ->
                  Expect.equal f.Fit.Regressors [ "log d"; "log(1/N)" ] "regressors"
                  Expect.floatClose Accuracy.high f.Fit.Slopes.[0].Value 0.5 "a"
                  Expect.floatClose Accuracy.high f.Fit.Slopes.[1].Value 2.0 "p"
                  Expect.equal f.Fit.Window ([ 3..8 ] @ [ 12..17 ] @ [ 21..26 ]) "window per dimension"
                  Expect.stringContains f.Fit.WindowRule "noise floor" "rule text"

                  Expect.equal
                      (f.Sampler, f.Metric, f.Dimensions, f.Grid, f.Seeds)
                      ("synthetic", ExactKl, [ 1; 10; 100 ], grid, [ 1UL ])
                      "provenance"

                  Expect.equal f.Fit.Residuals.Length 18 "one residual per fitted point"

                  Expect.equal
                      (f.LocalSlopes |> List.map (fun (d, s) -> d, s.Length))
                      [ 1, 8; 10, 8; 100, 8 ]
                      "local slopes per dimension"
              | Error e -> failtest e
          }

          test "no window above the floor is an error, not a fit" {
              match fitDecay defaultSettings Steps [ [ curve 1 kinked ], Array.create 9 1.0 ] with
              | Ok _ -> failtest "fitted below the floor"
              | Error e -> Expect.stringContains e "floor" "reason"
          }

          // 100 FsCheck-generated (p, σ) cases with 20 replicate curves each, error = N^(−p)·exp(σz) per replicate; the
          // replicate percentile 95 % interval of p must cover at 0.95 within 5 binomial SEs √(0.95·0.05/100) = 0.022
          // (false failure 5.7e-7 if coverage is nominal; the percentile interval of a 20-replicate mean is expected a
          // little under nominal, ≈ 0.94, well inside the band).
          test "replicate-bootstrap intervals cover the true order at their nominal rate" {
              let cases =
                  Gen.sampleWithSeed
                      (Rnd(7UL, 3UL))
                      10
                      100
                      (Gen.zip (Gen.choose (50, 400)) (Gen.choose (5, 30))
                       |> Gen.map (fun (p, s) -> float p / 100.0, float s / 100.0))

              let settings =
                  { defaultSettings with
                      BootstrapReplicates = 499 }

              let covered =
                  cases
                  |> Array.mapi (fun c (p, sigma) ->
                      let reps =
                          [ for r in 0..19 ->
                                let z = Array.zeroCreate 9
                                CounterRng.Normals(uint64 c, int64 r, 0L, 0, System.Span z)

                                curve
                                    1
                                    (grid
                                     |> List.mapi (fun i n ->
                                         float n ** -p * exp (sigma * z.[i] - sigma * sigma / 2.0))) ]

                      match fitDecay settings Steps [ reps, Array.zeroCreate 9 ] with
                      | Ok f -> f.Fit.Slopes.[0].Lower <= p && p <= f.Fit.Slopes.[0].Upper
                      | Error e -> failwith e)

              let coverage = covered |> Array.averageBy (fun b -> if b then 1.0 else 0.0)
              Expect.isTrue (Stats.within Stats.z5 (sqrt (0.95 * 0.05 / 100.0)) coverage 0.95) $"coverage {coverage}"
          } ]
