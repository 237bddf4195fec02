module RateLab.Properties.Analysis.Metrics.TwoSampleMetricTests

open System
open Expecto
open MathNet.Numerics.Distributions
open RateLab.Analysis.Metrics
open RateLab.Properties.Analysis.Metrics.Fixtures

let private replicates = 200
let private n = 60

/// MMD² closed form for diagonal Gaussians (docs/background.md): E k(X,Y) = det(I + (A+B)/ℓ²)^(−½)·
/// exp(−½ Δᵀ(ℓ²I + A + B)⁻¹Δ), with E_PP using 2A and Δ = 0.
let private expectedKernel ell (delta: float[]) (varSum: float[]) =
    Array.fold2
        (fun acc dl v -> acc * exp (-0.5 * dl * dl / (ell * ell + v)) / sqrt (1.0 + v / (ell * ell)))
        1.0
        delta
        varSum

/// E|Z| for Z ~ N(μ, s²) (docs/background.md).
let private meanAbs mu s =
    s * sqrt (2.0 / Math.PI) * exp (-mu * mu / (2.0 * s * s))
    + mu * (1.0 - 2.0 * Normal.CDF(0.0, 1.0, -mu / s))

let private run metric (meanY: float[]) (sdY: float[]) =
    Array.init replicates (fun r ->
        let x =
            gaussian 11UL 0 r n (Array.zeroCreate meanY.Length) (Array.create meanY.Length 1.0)

        let y = gaussian 11UL 1 r n meanY sdY
        metric x y)

let private check (ok, message) = Expect.isTrue ok message

[<Tests>]
let tests =
    testList
        "Analysis.Metrics.TwoSample"
        [ test "MMD² is zero in expectation on identical laws" {
              run (Mmd.mmdSquared 1.0) [| 0.0; 0.0 |] [| 1.0; 1.0 |]
              |> meanMatches 0.0
              |> check
          }
          // The floor is 2 SE above the null mean 0, so a perfect sampler exceeds it with probability ≤ 2.3 % (less, as
          // the jackknife is conservative on identical laws); allow 5 binomial SEs √(0.023·0.977/200) = 0.011 above.
          test "a perfect sampler rarely exceeds the MMD² and energy-distance floors" {
              for metric in [ Mmd.mmdSquared 1.0; EnergyDistance.energyDistance ] do
                  let above =
                      run metric [| 0.0; 0.0 |] [| 1.0; 1.0 |]
                      |> Array.averageBy (fun e -> if e.Value > e.Floor then 1.0 else 0.0)

                  Expect.isLessThanOrEqual above (0.023 + 5.0 * sqrt (0.023 * 0.977 / 200.0)) "fraction above the floor"
          }
          test "MMD² matches the Gaussian closed form, and its SE the replicate spread" {
              let a, b = [| 0.0; 0.0 |], [| 0.8; 0.0 |]
              let sdB = [| 1.5; 1.0 |]
              let ell = 1.0
              let varB = sdB |> Array.map (fun s -> s * s)
              let exy = expectedKernel ell (Array.map2 (-) a b) (Array.map ((+) 1.0) varB)
              let exx = expectedKernel ell [| 0.0; 0.0 |] [| 2.0; 2.0 |]
              let eyy = expectedKernel ell [| 0.0; 0.0 |] (varB |> Array.map ((*) 2.0))
              let estimates = run (Mmd.mmdSquared ell) b sdB
              estimates |> meanMatches (exx + eyy - 2.0 * exy) |> check
              estimates |> stdErrorMatches |> check
          }
          test "energy distance is zero in expectation on identical laws" {
              run EnergyDistance.energyDistance [| 0.0 |] [| 1.0 |]
              |> meanMatches 0.0
              |> check
          }
          test "energy distance matches the 1-D Gaussian closed form, and its SE the replicate spread" {
              // X ~ N(0,1), Y ~ N(1, 2²): 2E|X−Y| − E|X−X'| − E|Y−Y'| with X−Y ~ N(−1, 5), X−X' ~ N(0, 2), Y−Y' ~ N(0, 8).
              let expected =
                  2.0 * meanAbs -1.0 (sqrt 5.0) - meanAbs 0.0 (sqrt 2.0) - meanAbs 0.0 (sqrt 8.0)

              let estimates = run EnergyDistance.energyDistance [| 1.0 |] [| 2.0 |]
              estimates |> meanMatches expected |> check
              estimates |> stdErrorMatches |> check
          }
          test "median bandwidth of points 0, 1, 3 is 2" {
              Expect.equal (Mmd.medianBandwidth [| [| 0.0 |]; [| 1.0 |]; [| 3.0 |] |]) 2.0 "distances 1, 2, 3"
          }
          test "invalid inputs name the argument, value and range" {
              let x = gaussian 1UL 0 0 10 [| 0.0 |] [| 1.0 |]
              let ex = Expect.throwsC (fun () -> Mmd.mmdSquared -1.0 x x |> ignore) id
              Expect.stringContains ex.Message "ell = -1" "bandwidth"

              let ex =
                  Expect.throwsC
                      (fun () ->
                          EnergyDistance.energyDistance x (gaussian 1UL 0 0 10 [| 0.0; 0.0 |] [| 1.0; 1.0 |])
                          |> ignore)
                      id

              Expect.stringContains ex.Message "y has dimension 2" "dimension"
          } ]
