module RateLab.Properties.Analysis.Metrics.SlicedAndHistogramTests

open System
open Expecto
open MathNet.Numerics.Distributions
open RateLab.Analysis.Metrics
open RateLab.Properties.Analysis.Metrics.Fixtures

let private check (ok, message) = Expect.isTrue ok message

let private phi x =
    if Double.IsNegativeInfinity x then 0.0
    elif Double.IsPositiveInfinity x then 1.0
    else Normal.CDF(0.0, 1.0, x)

/// Equal-probability N(0,1) bins: 18 bins of mass 0.05 between the 5 % and 95 % quantiles, overflow 0.1.
let private edges =
    Array.init 19 (fun k -> Normal.InvCDF(0.0, 1.0, 0.05 * float (k + 1)))

let private standardNormalBox (lo: float[]) (hi: float[]) =
    Array.fold2 (fun p l h -> p * (phi h - phi l)) 1.0 lo hi

let private dirs = SlicedW2.directions 5UL 2 8
let private delta, sdA, sdB = [| 0.5; -0.3 |], [| 1.0; 1.0 |], [| 1.3; 0.8 |]

/// Replicates of SW₂²(N(δ, diag sdB²), N(0, diag sdA²)) with an independent second reference sample for the floor.
let private sliced replicates n =
    Array.init replicates (fun r ->
        SlicedW2.slicedW2Squared
            dirs
            (gaussian 21UL 0 r n delta sdB)
            (gaussian 21UL 1 r n [| 0.0; 0.0 |] sdA)
            (gaussian 21UL 2 r n [| 0.0; 0.0 |] sdA))

[<Tests>]
let tests =
    // The null-mean formulas are asymptotic: at n = 10⁴ the normal approximation to E|p̂ − q| is off by < 2e-4
    // relative (exact binomial check) and the χ² mean of the plug-in KL by < 1e-3 relative, both far inside 5 SE.
    testList
        "Analysis.Metrics.SlicedAndHistogram"
        [
          // The sample–sample SW₂² is biased upward by about 2e-3 at n = 2000 (the measured null level), 0.5 SE of the
          // replicate mean: the false-failure probability rises from 5.7e-7 to about 3e-6.
          test "sliced W2² matches the Gaussian closed form per direction" {
              let expected =
                  dirs
                  |> Array.averageBy (fun t ->
                      let proj = Array.fold2 (fun s a b -> s + a * b) 0.0 t delta
                      let sa = sqrt (Array.fold2 (fun s a v -> s + a * a * v * v) 0.0 t sdA)
                      let sb = sqrt (Array.fold2 (fun s a v -> s + a * a * v * v) 0.0 t sdB)
                      proj * proj + (sa - sb) ** 2.0)

              let estimates = sliced 30 2000
              estimates |> meanMatches expected |> check

              Expect.isTrue
                  (estimates |> Array.forall (fun e -> e.Floor < expected / 10.0))
                  "floor well below the distance"
          }
          test "sliced W2² block-jackknife SE matches the replicate spread" {
              sliced 120 400 |> stdErrorMatches |> check
          }
          test "histogram TV of a perfect sampler sits at the predicted null mean" {
              let n = 10000
              let q = Array.append (Array.create 18 0.05) [| 0.1 |]

              let nullMean =
                  0.5
                  * (q |> Array.sumBy (fun p -> sqrt (2.0 * p * (1.0 - p) / (Math.PI * float n))))

              let b = Histogram.binning [| edges |]

              Array.init 60 (fun r ->
                  Histogram.totalVariation b standardNormalBox (gaussian 31UL 0 r n [| 0.0 |] [| 1.0 |]))
              |> meanMatches nullMean
              |> check
          }
          test "histogram KL of a perfect sampler sits at the χ² null mean (K−1)/(2n)" {
              let n = 10000
              let b = Histogram.binning [| edges |]

              Array.init 60 (fun r ->
                  Histogram.kullbackLeibler b standardNormalBox (gaussian 32UL 0 r n [| 0.0 |] [| 1.0 |]))
              |> meanMatches (18.0 / (2.0 * float n))
              |> check
          }
          test "histogram TV and KL standard errors match the replicate spread (shifted sampler, 2-D bins)" {
              let coarse = [| for k in 0..2..18 -> edges.[k] |]
              let b = Histogram.binning [| coarse; coarse |]

              let samples =
                  Array.init 150 (fun r -> gaussian 33UL 0 r 4000 [| 0.3; 0.0 |] [| 1.0; 1.0 |])

              samples
              |> Array.map (Histogram.totalVariation b standardNormalBox)
              |> stdErrorMatches
              |> check

              samples
              |> Array.map (Histogram.kullbackLeibler b standardNormalBox)
              |> stdErrorMatches
              |> check
          }
          test "a sample in a bin of reference mass 0 makes KL infinite" {
              let b = Histogram.binning [| [| 0.0; 1.0; 2.0 |] |]
              let onlyFirst (lo: float[]) (_: float[]) = if lo.[0] = 0.0 then 1.0 else 0.0
              let sample = Array.init 40 (fun i -> [| if i = 0 then 1.5 else 0.5 |])
              Expect.equal (Histogram.kullbackLeibler b onlyFirst sample).Value infinity "KL"
          }
          test "bad edges and bad reference masses are named" {
              let ex =
                  Expect.throwsC (fun () -> Histogram.binning [| [| 0.0; 0.0 |] |] |> ignore) id

              Expect.stringContains ex.Message "edges[0][1] = 0" "edges"
              let sample = Array.init 40 (fun _ -> [| 0.5 |])

              let ex =
                  Expect.throwsC
                      (fun () ->
                          Histogram.totalVariation (Histogram.binning [| [| 0.0; 1.0 |] |]) (fun _ _ -> 1.5) sample
                          |> ignore)
                      id

              Expect.stringContains ex.Message "reference probability of bin 0 = 1.5" "mass"
          } ]
