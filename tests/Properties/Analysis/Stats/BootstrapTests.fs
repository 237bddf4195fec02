module RateLab.Properties.Analysis.Stats.BootstrapTests

open Expecto
open RateLab.Analysis.Stats

[<Tests>]
let tests =
    testList
        "Analysis.Stats.Bootstrap"
        [ test "a three-point fit's intervals stay finite: resamples whose refit is exact are skipped" {
              // log(1/N) for N = 16, 32, 64, far from 0, so the intercept is an extrapolation; of the 27 equally likely
              // resamples of three residuals, three are constant and refit exactly up to round-off.
              let x = [| 16.0; 32.0; 64.0 |] |> Array.map (fun n -> [| log (1.0 / n) |])
              let y = x |> Array.mapi (fun i r -> 1.8 + 2.5 * r.[0] + [| 0.01; -0.02; 0.01 |].[i])
              let design = Ols.design x
              let fit = Ols.fitDesign design y
              let intervals = Bootstrap.residualBootstrapT design fit 7UL 1999 0.95

              for j, (lo, hi) in Array.indexed intervals do
                  let b, se = fit.Coefficients.[j], fit.StdErrors.[j]
                  Expect.isTrue (lo <= b && b <= hi) $"coefficient {j} inside [{lo}, {hi}]"
                  // Round-off t* reached 1e12 standard errors; a real bootstrap-t quantile with 24 distinct
                  // resamples is bounded by the largest studentized deviation they can produce (here below 100).
                  Expect.isLessThan ((hi - lo) / se) 100.0 $"coefficient {j}: [{lo}, {hi}] with SE {se}"
          } ]
