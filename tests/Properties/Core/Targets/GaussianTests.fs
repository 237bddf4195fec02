/// FullGaussian against the diagonal Gaussian it rotates, and its eigendecomposition and constants.
module RateLab.Properties.Core.Targets.GaussianTests

open System
open Expecto
open RateLab.Core.Targets
open RateLab.Properties.Core.Targets.Fixtures

let private eps = Math.Pow(2.0, -52.0)

/// Q z for Q row-major d × d.
let private rotate (q: float[]) (z: float[]) =
    let d = z.Length
    Array.init d (fun i -> Array.init d (fun k -> q.[i * d + k] * z.[k]) |> Array.sum)

[<Tests>]
let tests =
    testList
        "Core.Targets.Gaussian"
        [ testPropertyWithConfig targetConfig "rotated spectrum: same log-density differences as the diagonal"
          <| fun (c: TargetCase) ->
              let full, mu, lambda = rotatedGaussian c
              let diag = DiagonalGaussian(Array.zeroCreate c.D, lambda)
              let q = RandomRotation.Create(c.D, c.Seed)
              let z1 = normals c.Seed 500L 0 c.D |> Array.map ((*) 2.0)
              let z2 = normals c.Seed 501L 0 c.D |> Array.map ((*) 2.0)
              let at z = Array.map2 (+) mu (rotate q z)
              let lhs = logDensity full (at z1) - logDensity full (at z2)
              let rhs = logDensity diag z1 - logDensity diag z2
              // Rounding: forming Q diag(λ) Qᵀ, its Cholesky factor and the solves, each relative O(d κ ε).
              let kappa = Array.max lambda / Array.min lambda

              let tol =
                  64.0
                  * float c.D
                  * kappa
                  * eps
                  * (1.0 + abs (logDensity diag z1) + abs (logDensity diag z2))

              abs (lhs - rhs) <= tol

          testPropertyWithConfig targetConfig "random rotation is orthogonal"
          <| fun (c: TargetCase) ->
              let q = RandomRotation.Create(c.D, c.Seed)
              let d = c.D

              Array.forall
                  id
                  (Array.init (d * d) (fun ij ->
                      let i, j = ij / d, ij % d
                      let g = Array.init d (fun k -> q.[k * d + i] * q.[k * d + j]) |> Array.sum
                      abs (g - (if i = j then 1.0 else 0.0)) <= 16.0 * float d * eps))

          testPropertyWithConfig targetConfig "eigenpairs: spectrum recovered and Σ⁻¹ q_k = q_k / λ_k"
          <| fun (c: TargetCase) ->
              let full, mu, lambda = rotatedGaussian c
              let d = c.D
              let found = full.Eigenvalues.ToArray()
              let q = nonNull full.Eigenvectors
              let lmax, lmin = Array.max lambda, Array.min lambda

              let spectrumOk =
                  Array.forall2
                      (fun a b -> abs (a - b) <= 64.0 * float d * eps * lmax)
                      (Array.sort found)
                      (Array.sort lambda)
              // s(μ + q_k) = −Σ⁻¹ q_k = −q_k/λ_k. A computed eigenpair has residual ‖Σq − λq‖ = O(d ε λmax) whatever the
              // eigenvalue gap, so Σ⁻¹q − q/λ = −Σ⁻¹(Σq − λq)/λ is O(d ε κ / λmin); the solves add the same order.
              let pairsOk =
                  [ 0 .. d - 1 ]
                  |> List.forall (fun k ->
                      let qk = Array.init d (fun i -> q.[i * d + k])
                      let s = score full (Array.map2 (+) mu qk)

                      Array.forall2
                          (fun si qi -> abs (si + qi / found.[k]) <= 256.0 * float d * eps * (lmax / lmin) / lmin)
                          s
                          qk)
              // The exact analysis rotates into this basis, so Q must be orthogonal to rounding: QᵀQ = I.
              let orthogonal =
                  Array.forall
                      id
                      (Array.init (d * d) (fun ij ->
                          let i, j = ij / d, ij % d
                          let g = Array.init d (fun k -> q.[k * d + i] * q.[k * d + j]) |> Array.sum
                          abs (g - (if i = j then 1.0 else 0.0)) <= 64.0 * float d * eps))

              let constantsOk =
                  abs (full.StrongConvexity.Value - 1.0 / lmax) <= 64.0 * float d * eps / lmin
                  && abs (full.Smoothness.Value - 1.0 / lmin)
                     <= 64.0 * float d * eps * lmax / (lmin * lmin)

              spectrumOk && pairsOk && orthogonal && constantsOk

          test "an axis-aligned covariance is the diagonal Gaussian" {
              let mu = [| 1.0; -2.0; 0.5 |]
              let var = [| 0.5; 2.0; 3.0 |]

              let full =
                  FullGaussian(mu, Array2D.init 3 3 (fun i j -> if i = j then var.[i] else 0.0))

              let diag = DiagonalGaussian(mu, var)

              for x in [ [| 0.0; 0.0; 0.0 |]; [| 3.0; -1.0; 2.0 |] ] do
                  Expect.floatClose Accuracy.veryHigh (logDensity full x) (logDensity diag x) "log-density"
                  let sf, sd = score full x, score diag x

                  for i in 0..2 do
                      Expect.isLessThanOrEqual
                          (abs (sf.[i] - sd.[i]))
                          (16.0 * eps * (abs x.[i] + abs mu.[i]) / var.[i])
                          "score"
          }

          testPropertyWithConfig targetConfig "mixture mean and constants"
          <| fun (c: TargetCase) ->
              let g = diagonalMixture c
              let w = g.Weights.ToArray()

              let expected =
                  Array.init c.D (fun i -> Array.init c.K (fun j -> w.[j] * g.ComponentMean(j).[i]) |> Array.sum)

              let weightsOk = abs (Array.sum w - 1.0) <= 8.0 * eps * float c.K

              let meanOk =
                  Array.forall2 (fun a b -> abs (a - b) <= 1e-12 * (1.0 + abs b)) (nonNull g.Mean) expected

              let constantsOk =
                  (c.K = 1) = g.StrongConvexity.HasValue && (c.K = 1) = g.Smoothness.HasValue

              weightsOk && meanOk && constantsOk

          test "25GMM: 25 equal-weight modes on {−10, −5, 0, 5, 10}², variance 0.3, log Z = 0" {
              let g = GaussianMixture.TwentyFive()
              Expect.equal g.Components 25 "components"
              Expect.isTrue g.IsIsotropic "isotropic"
              let grid = [ -10.0; -5.0; 0.0; 5.0; 10.0 ]

              let means =
                  [ for j in 0..24 -> g.ComponentMean(j).ToArray() |> List.ofArray ] |> Set.ofList

              Expect.equal
                  means
                  (Set.ofList
                      [ for a in grid do
                            for b in grid -> [ a; b ] ])
                  "means"

              for j in 0..24 do
                  Expect.floatClose Accuracy.veryHigh g.Weights.[j] (1.0 / 25.0) "weight"
                  Expect.sequenceEqual (g.ComponentVariances(j).ToArray()) [| 0.3; 0.3 |] "variances"
              // Normalised: the density integrates to 1. Midpoint rule on [−15, 15]² with cell 0.1: the mass outside is
              // beyond 9 sd (0.55) of every mode (< 1e-18), the midpoint rule on a Gaussian with cell/sd ≈ 0.18 errs by
              // about exp(−2π² sd²/cell²) (< 1e-250), so what remains is summation rounding, n·ε ≈ 2e-11 for 9e4 terms.
              let cell = 0.1
              let n = int (30.0 / cell)
              let mutable total = 0.0

              for i in 0 .. n - 1 do
                  for k in 0 .. n - 1 do
                      total <-
                          total
                          + exp (logDensity g [| -15.0 + (float i + 0.5) * cell; -15.0 + (float k + 0.5) * cell |])

              Expect.floatClose { absolute = 1e-9; relative = 0.0 } (total * cell * cell) 1.0 "∫π = 1"
          }

          test "double well: constants" {
              let t = DoubleWell(3, 2.0)
              Expect.isFalse t.StrongConvexity.HasValue "no m"
              Expect.isFalse t.Smoothness.HasValue "no L"
              Expect.sequenceEqual t.Mean [| 0.0; 0.0; 0.0 |] "mean 0 by symmetry"

              Expect.floatClose
                  Accuracy.veryHigh
                  (logDensity t [| 1.0; 0.0; 0.0 |] - logDensity t [| 0.0; 0.0; 0.0 |])
                  2.0
                  "barrier height a"
          } ]
