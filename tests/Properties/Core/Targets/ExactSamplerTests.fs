/// Exact samplers: sample means and variances against the law's, within 5 standard errors.
module RateLab.Properties.Core.Targets.ExactSamplerTests

open System
open Expecto
open RateLab.Core.Randomness
open RateLab.Core.Targets
open RateLab.Properties.Stats
open RateLab.Properties.Core.Targets.Fixtures

let private draws = 40_000

/// n exact draws (rows) from chains 0..n−1 at step 0 of one Philox seed.
let private sample (t: IExactSampler) d (seed: uint64) =
    let noise = PhiloxNoise(seed)

    Array.init draws (fun c ->
        let x = Array.zeroCreate d
        t.SampleExact(noise, int64 c, 0L, Span x)
        x)

/// z-tests of the mean and the variance of the projection of every draw on u. Each comparison fails falsely with
/// probability 5.7e-7 (5 SE, asymptotically normal estimators).
let private checkProjection name (xs: float[][]) (u: float[]) expectedMean expectedVariance =
    let p = xs |> Array.map (dot u)
    let m, mse = meanAndSe p
    let v, vse = varianceAndSe p
    Expect.isTrue (within z5 mse m expectedMean) $"{name}: mean {m} vs {expectedMean} (SE {mse})"
    Expect.isTrue (within z5 vse v expectedVariance) $"{name}: variance {v} vs {expectedVariance} (SE {vse})"

let private unit d i =
    Array.init d (fun k -> if k = i then 1.0 else 0.0)

/// Mean and variance of u·X for a mixture: E = Σ w_j u·μ_j, Var = Σ w_j (uᵀΣ_j u + (u·μ_j)²) − E².
let private mixtureMoments (g: GaussianMixture) (u: float[]) =
    let w = g.Weights.ToArray()

    let comps =
        Array.init g.Components (fun j ->
            let mu, var = g.ComponentMean(j).ToArray(), g.ComponentVariances(j).ToArray()
            dot u mu, Array.fold2 (fun s ui vi -> s + ui * ui * vi) 0.0 u var)

    let e = Array.fold2 (fun s wj (mj, _) -> s + wj * mj) 0.0 w comps
    let second = Array.fold2 (fun s wj (mj, vj) -> s + wj * (vj + mj * mj)) 0.0 w comps
    e, second - e * e

// Comparisons in this list: 2·(4 + 2) + 2·(2 + 1) + 2·(3 + 1) + 3 = 29, so the probability that any fails falsely is
// at most 29 × 5.7e-7 ≈ 1.7e-5 (union bound); seeds are fixed, so the outcome is reproducible.
[<Tests>]
let tests =
    testList
        "Core.Targets.ExactSampler"
        [ test "full Gaussian: coordinates and random projections" {
              let c = { D = 4; K = 1; Seed = 11UL }
              let full, mu, _ = rotatedGaussian c
              let xs = sample full 4 21UL
              let chol = full.CholeskyFactor.ToArray()
              // Σ = C Cᵀ, so uᵀΣu = ‖Cᵀu‖².
              let quad (u: float[]) =
                  Array.init 4 (fun j -> Array.init 4 (fun i -> chol.[i * 4 + j] * u.[i]) |> Array.sum)
                  |> Array.sumBy (fun z -> z * z)

              let dirs =
                  [ for i in 0..3 -> unit 4 i ] @ [ direction 31UL 0L 0 4; direction 31UL 1L 0 4 ]

              for u in dirs do
                  checkProjection full.Name xs u (dot u mu) (quad u)
          }

          test "25GMM: coordinates and the diagonal" {
              let g = GaussianMixture.TwentyFive()
              let xs = sample g 2 22UL

              for u in [ unit 2 0; unit 2 1; direction 32UL 0L 0 2 ] do
                  let e, v = mixtureMoments g u
                  checkProjection g.Name xs u e v
          }

          test "diagonal mixture with unequal weights: coordinates and a projection" {
              let g = diagonalMixture { D = 3; K = 3; Seed = 13UL }
              let xs = sample g 3 23UL

              for u in [ unit 3 0; unit 3 1; unit 3 2; direction 33UL 0L 0 3 ] do
                  let e, v = mixtureMoments g u
                  checkProjection g.Name xs u e v
          }

          test "mixture component frequencies match the weights" {
              // Each draw is attributed to the component with the highest responsibility; with modes at least 20 sd apart
              // attribution errs with probability < 1e-80, so the counts are multinomial(w).
              let g =
                  GaussianMixture([| 1.0; 2.0; 5.0 |], [| [| -20.0 |]; [| 0.0 |]; [| 20.0 |] |], [| 1.0; 1.0; 1.0 |])

              let xs = sample g 1 24UL

              for j in 0..2 do
                  let hits =
                      xs
                      |> Array.map (fun x ->
                          if abs (x.[0] - g.ComponentMean(j).[0]) < 10.0 then
                              1.0
                          else
                              0.0)

                  let m, se = meanAndSe hits

                  Expect.isTrue
                      (within z5 se m g.Weights.[j])
                      $"component {j}: frequency {m} vs weight {g.Weights.[j]} (SE {se})"
          } ]
