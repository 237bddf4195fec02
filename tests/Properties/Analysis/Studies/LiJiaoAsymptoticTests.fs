/// The B1 asymptotic study: the radial quadrature against closed forms, the per-draw laws against the generic exact
/// engine, the mixture bound's convexity, and the N* rules of each bound.
module RateLab.Properties.Analysis.Studies.LiJiaoAsymptoticTests

open Expecto
open MathNet.Numerics
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Studies.LiJiaoRadial
open RateLab.Analysis.Studies.LiJiaoAsymptotic

let private law v w = { Variance = v; Reference = w }

/// TV(N(0, vI_d), N(0, wI_d)) in closed form: the densities cross once at r*, so TV = |F_v(r*) − F_w(r*)| with F_s
/// the CDF of s·χ²_d (regularized lower incomplete gamma, accurate for the small d used here).
let private closedTv (d: int) v w =
    let r = float d * log (w / v) / (1.0 / v - 1.0 / w)

    let cdf s =
        SpecialFunctions.GammaLowerRegularized(float d / 2.0, r / (2.0 * s))

    abs (cdf v - cdf w)

let private estimate v =
    { Value = v
      Lower = v
      Upper = v
      StdError = 0.0
      Level = 0.95 }

[<Tests>]
let tests =
    testList
        "Analysis.Studies.LiJiaoAsymptotic"
        [ test "one component: quadrature KL equals the closed form from d = 4 to 10^6" {
              for d in [ 4; 100; 10000; 1000000 ] do
                  for ratio in [ 1.02; 1.0001; 0.97 ] do
                      let _, kl = mixtureDistances d [| law (0.3 * ratio) 0.3 |]
                      let exact = perDrawKl d (0.3 * ratio) 0.3
                      Expect.floatClose { absolute = 1e-300; relative = 1e-7 } kl exact $"d = {d}, v/w = {ratio}"
          }

          test "one component: quadrature TV equals the closed form (trapezoid error at the crossing below 1e-3)" {
              for d in [ 4; 40; 400 ] do
                  for ratio in [ 1.05; 1.001; 0.9 ] do
                      let tv, _ = mixtureDistances d [| law (0.3 * ratio) 0.3 |]
                      let exact = closedTv d (0.3 * ratio) 0.3
                      Expect.floatClose { absolute = 1e-12; relative = 1e-3 } tv exact $"d = {d}, v/w = {ratio}"
          }

          test "identical laws are at distance 0; a mixture is never farther than its per-draw mean (convexity)" {
              let same = [| law 0.2 0.2; law 0.5 0.5 |]
              let tv0, kl0 = mixtureDistances 64 same
              Expect.isLessThan tv0 1e-12 "TV of identical mixtures"
              Expect.isLessThan kl0 1e-12 "KL of identical mixtures"
              let rng = System.Random 7

              for d in [ 4; 256; 65536 ] do
                  let scatter (width: float) (shift: float) =
                      0.1 * (1.0 + width * (rng.NextDouble() - shift))

                  let laws = Array.init 16 (fun _ -> law (scatter 0.02 0.4) (scatter 0.01 0.0))
                  let tv, kl = mixtureDistances d laws
                  let perTv = laws |> Array.averageBy (fun l -> fst (mixtureDistances d [| l |]))
                  let perKl = laws |> Array.averageBy (fun l -> perDrawKl d l.Variance l.Reference)
                  Expect.isLessThanOrEqual tv (perTv * (1.0 + 1e-3)) $"TV convexity at d = {d}"
                  Expect.isLessThanOrEqual kl (perKl * (1.0 + 1e-6)) $"KL convexity at d = {d}"
          }

          test "the CDF difference at a threshold equals the incomplete-gamma difference (corrected trapezoid)" {
              for d in [ 4; 100 ] do
                  let l = law 0.31 0.3

                  for y in [ log 0.2; log 0.3; log 0.45 ] do
                      let r = float d * exp y

                      let exact =
                          SpecialFunctions.GammaLowerRegularized(float d / 2.0, r / (2.0 * l.Variance))
                          - SpecialFunctions.GammaLowerRegularized(float d / 2.0, r / (2.0 * l.Reference))

                      let quadrature = cdfDifference d y l
                      Expect.floatClose { absolute = 1e-12; relative = 1e-6 } quadrature exact $"d = {d}, y = {y}"
          }

          test "per-draw laws agree with the generic exact engine's per-draw KL on the same draws" {
              let t, draws' = 64, 16

              let spec =
                  { Name = "x"
                    Sampler =
                      { Name = "li-jiao"
                        Parameters = Map.empty }
                    Target =
                      { Name = "gaussian-data"
                        Parameters = Map.ofList [ "variance_max", Number 0.1; "variance_min", Number 0.1 ] }
                    Dimensions = [ 8 ]
                    Metric = KlUpper
                    Steps = [ t ]
                    Chains = draws'
                    Seeds = [ 5UL ]
                    Profile = Quick
                    Claims = [] }

              let engine = (Runner.analyse spec 8 t).Result.Upper.Kl.Value

              let mine =
                  draws defaultScheme t [| 0.1 |] 5UL draws'
                  |> Array.averageBy (fun r -> perDrawKl 8 r.[0].Variance r.[0].Reference)

              Expect.floatClose { absolute = 0.0; relative = 1e-8 } mine engine "E_draws KL"
          }

          test "the T grid is increasing, admissible for K = 4 and spans the range" {
              let g = cellGrid 16 65536
              Expect.equal (List.head g) 16 "first"
              Expect.equal (List.last g) 65536 "last"
              Expect.isTrue (g |> List.forall (fun t -> t % 4 = 0)) "multiples of 4"
              let fine (a, b) = b > a && float b <= 1.2 * float a + 4.0
              Expect.isTrue (g |> List.pairwise |> List.forall fine) "resolution"
          }

          test "N*: an upper bound needs every later T below ε; a lower bound takes its first crossing" {
              let rows =
                  [ for t, upper, lower in [ 16, 0.5, 0.3; 32, 0.05, 0.2; 64, 0.2, 0.05; 128, 0.04, 0.1 ] ->
                        t,
                        [ 4, Mixture, { estimate upper with Upper = upper }
                          4, Separating, { estimate lower with Lower = lower } ] ]

              Expect.equal (nStar rows Mixture 4 0.1) (Some 128) "the dip at T = 32 does not count"
              Expect.equal (nStar rows Separating 4 0.1) (Some 64) "first crossing"
              Expect.equal (nStar rows Mixture 4 0.01) None "not reached"
          }

          test "the full profile's report goes to its own folder, the quick one to the output directory" {
              let full = System.IO.Path.Combine("reports", "full")
              Expect.equal (RateLab.Analysis.Report.Writer.reportDir "reports" "full") full "full"
              Expect.equal (RateLab.Analysis.Report.Writer.reportDir "reports" "quick") "reports" "quick"
          }

          test "a real run is timed: positive, finite seconds per chain" {
              let target =
                  { Name = "gaussian-data"
                    Parameters = Map.empty }

              let s =
                  WorkPrecision.secondsPerChain
                      { Name = "ddim"
                        Parameters = Map.empty }
                      target
                      4
                      8
                      4
                      1UL

              Expect.isTrue (s > 0.0 && System.Double.IsFinite s) $"seconds per chain = {s}"
          }

          test "K ∝ L log T: a power of two, at least 4, K = 4 at L = 1 and T = 64, growing with L and with T" {
              Expect.equal (LiJiaoLipschitz.rounds 1.0 64) 4 "L = 1, T = 64"

              for l in [ 1.0; 4.0; 16.0; 64.0 ] do
                  for t in [ 64; 1024; 65536 ] do
                      let k = LiJiaoLipschitz.rounds l t
                      Expect.isTrue (k >= 4 && (k &&& (k - 1)) = 0) $"power of two ≥ 4: {k}"
                      Expect.isGreaterThanOrEqual (float k) (4.0 / log 64.0 * l * log (float t)) "at least c·L·ln T"
                      let twice = max 8.0 (2.0 * 4.0 / log 64.0 * l * log (float t))
                      Expect.isLessThan (float k) twice "below twice c·L·ln T"
          } ]
