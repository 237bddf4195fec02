/// The order rules of SectionKit: an estimated curve's asymptotic order widens by its slopes' Monte Carlo noise.
module RateLab.Properties.Analysis.Sections.SectionKitTests

open Expecto
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Sections.SectionKit

// e(n) = n^−2 (1 + 1/n) on n = 8 … 256, with relative standard error `relative` (NaN: exact).
let private curve relative : ErrorCurve =
    { Sampler = "synthetic"
      Parameters = []
      Target = "none"
      Dimension = 1
      Metric = KlUpper
      Seeds = [ 1UL ]
      Points =
        [ for n in [ 8; 16; 32; 64; 128; 256 ] ->
              let e = float n ** -2.0 * (1.0 + 1.0 / float n)

              { Steps = n
                StepSize = 1.0 / float n
                Nfe = float n
                Depth = nan
                Error =
                  { Value = e
                    Lower = e
                    Upper = e
                    StdError = relative * e
                    Level = 0.95 } } ]
      Method = "synthetic" }

let private floors = Array.zeroCreate 6

[<Tests>]
let tests =
    testList
        "Analysis.Sections.SectionKit"
        [ test "without standard errors the noisy rule is the exact one" {
              let exact = (asymptoticOrder RateFit.Steps (curve nan) floors).Value
              let noisy = (asymptoticOrderWithNoise RateFit.Steps (curve nan) floors).Value

              Expect.equal
                  (noisy.Value, noisy.Lower, noisy.Upper)
                  (exact.Value, exact.Lower, exact.Upper)
                  "same interval"
          }

          test "a relative standard error ρ on every point widens the interval by 1.96 (σ + 2√2 σ), σ = √2 ρ / log 2" {
              let rho = 1e-3
              let e = (asymptoticOrder RateFit.Steps (curve rho) floors).Value
              let noisy = (asymptoticOrderWithNoise RateFit.Steps (curve rho) floors).Value
              let sigma = sqrt 2.0 * rho / log 2.0
              let widen = 1.959963984540054 * (sigma + 2.0 * sqrt 2.0 * sigma)
              Expect.equal noisy.Value e.Value "same centre"
              Expect.floatClose Accuracy.high (e.Lower - noisy.Lower) widen "lower end"
              Expect.floatClose Accuracy.high (noisy.Upper - e.Upper) widen "upper end"
          } ]
