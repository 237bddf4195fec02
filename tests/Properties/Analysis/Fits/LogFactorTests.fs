/// Log-aware fits: error ∝ (ln N)^a·N^(−p) is a power law only after the factor is divided out; the predicted drift of
/// local slopes is the exact secant slope of that model.
module RateLab.Properties.Analysis.Fits.LogFactorTests

open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Fits
open RateLab.Analysis.Fits.PowerLawFit
open RateLab.Properties
open RateLab.Properties.SyntheticCurves

/// 100 cases: p ∈ [0.5, 2.5], a ∈ [1, 3], 1 % or 5 % noise, 60 log-spaced costs from 2 to 2·10^5.
let private drawn =
    Gen.sampleWithSeed
        (Rnd(20261204UL, 7UL))
        10
        100
        (Gen.zip3 (Gen.choose (50, 250)) (Gen.choose (100, 300)) (Gen.elements [ 0.01; 0.05 ]))
    |> Array.mapi (fun k (p, a, noise) -> float p / 100.0, float a / 100.0, noise, uint64 k)

let private curve (p, a, noise, seed) =
    let c =
        { P = p
          Noise = noise
          Uniform = false
          Count = 60
          Spacing = LogSpaced 5.0
          Seed = seed }

    let costs = costsOf c |> Array.map ((*) 2.0)
    costs, Array.map2 (fun n z -> log n ** a * n ** -p * z) costs (noiseOf c)

let private aware a =
    { settings with
        LogFactor = Some { Power = a; Argument = LogCost } }

[<Tests>]
let tests =
    testList
        "Analysis.Fits.LogFactor"
        [
          // Coverage must not fall 5 binomial standard errors below 0.95 (false failure < 3e-7 at nominal coverage).
          test "the log-aware fit covers the true exponent at least at the nominal rate" {
              let covered =
                  drawn
                  |> Array.map (fun ((p, a, _, _) as case) ->
                      let costs, errors = curve case
                      let e = (fitOf (aware a) costs errors (Array.zeroCreate 60)).Slopes.[0]
                      e.Lower <= p && p <= e.Upper)

              let coverage = covered |> Array.averageBy (fun b -> if b then 1.0 else 0.0)
              Expect.isGreaterThanOrEqual coverage (0.95 - Stats.z5 * sqrt (0.95 * 0.05 / 100.0)) $"coverage {coverage}"
          }

          // The pure fit reads the factor as an exponent shifted by about a/ln N ≥ 1/12 over these costs, tens of its
          // interval half-widths (≤ 0.01 at these noise levels): it misses p and its interval is disjoint from the
          // log-aware one in every case; a chance failure needs a ≥ 8-standard-error excursion (probability < 1e-14).
          test "a pure power-law fit of a log-factor curve misses p and disagrees with the log-aware fit" {
              for (p, a, _, _) as case in drawn do
                  let costs, errors = curve case
                  let plain = (fitOf settings costs errors (Array.zeroCreate 60)).Slopes.[0]
                  let logAware = (fitOf (aware a) costs errors (Array.zeroCreate 60)).Slopes.[0]

                  Expect.isFalse
                      (plain.Lower <= p && p <= plain.Upper)
                      $"pure fit [{plain.Lower}, {plain.Upper}] misses p = {p}"

                  Expect.isTrue (plain.Upper < logAware.Lower || logAware.Upper < plain.Lower) "intervals disjoint"
          }

          test "the fit names the log factor in its rule text" {
              let costs, errors = curve drawn.[0]
              let (_, a, _, _) = drawn.[0]
              let f = fitOf (aware a) costs errors (Array.zeroCreate 60)
              Expect.stringContains f.WindowRule $"(ln N)^{a}" "model text"
          }

          test "a decay fit rejects a log factor of ε, which it does not have" {
              let costs, errors = curve drawn.[0]

              let s =
                  { settings with
                      LogFactor = Some { Power = 1.0; Argument = LogInvEps } }

              Expect.throwsT<System.ArgumentException>
                  (fun () -> fitOf s costs errors (Array.zeroCreate 60) |> ignore)
                  "LogInvEps"
          }

          testPropertyWithConfig
              RateLab.Properties.Generators.config
              "predicted drift equals the exact secant slopes of (ln N)^a·N^(−p)"
          <| fun (p: NormalFloat) (a: NormalFloat) ->
              let p, a = float p % 5.0, float a % 5.0
              let costs = [| 2.0; 3.0; 10.0; 1e3; 1e3 + 1.0; 1e8 |]
              let model n = a * log (log n) - p * log n

              let exact =
                  costs
                  |> Array.pairwise
                  |> Array.map (fun (n0, n1) -> (model n1 - model n0) / (log n1 - log n0))

              Array.forall2
                  (fun d e -> abs (d - e) <= 1e-9 * (1.0 + abs e))
                  (LocalSlopes.predictedDrift p a costs)
                  exact

          test "measured local slopes of an exact log-factor curve are the predicted drift" {
              let costs = [| for k in 1..12 -> 2.0 ** float k |]

              let points =
                  costs
                  |> Array.map (fun n ->
                      n,
                      { Value = log n ** 1.5 * n ** -2.0
                        Lower = nan
                        Upper = nan
                        StdError = nan
                        Level = 0.95 })

              let measured = LocalSlopes.compute points |> Array.map (fun s -> s.Slope)
              let predicted = LocalSlopes.predictedDrift 2.0 1.5 costs
              Array.iter2 (fun m d -> Expect.floatClose Accuracy.high m d "slope") measured predicted
          } ]
