module RateLab.Properties.Core.Diffusion.NoisedScoreTests

open System
open Expecto
open MathNet.Numerics.LinearAlgebra
open RateLab.Core.Diffusion
open RateLab.Properties.Generators
open RateLab.Properties.Probes

let private d = 3

let private diagonal s =
    GaussianNoisedScore(normals s 0 d, normals s 1 d |> Array.map exp)

/// A random rotation Q (row-major) from the QR factor of a Gaussian matrix.
let private rotation s =
    Matrix<float>.Build.DenseOfRowMajor(d, d, normals s 2 (d * d)).QR().Q.ToRowMajorArray()

let private full s =
    let a = Matrix<float>.Build.DenseOfRowMajor(d, d, normals s 3 (d * d))
    let cov = a * a.Transpose() + 0.1 * Matrix<float>.Build.DenseIdentity d
    EigenGaussianNoisedScore(normals s 0 d, cov.ToRowMajorArray())

let private mixture s =
    let k = 3

    GaussianMixtureNoisedScore(
        Array.init k (fun j -> 0.2 + uniform s (10 + j)),
        normals s 4 (k * d) |> Array.map ((*) 2.0),
        normals s 5 (k * d) |> Array.map (fun z -> exp (z - 1.0))
    )

let private isotropicMixture s =
    GaussianMixtureNoisedScore.Isotropic([| 1.0; 2.0 |], normals s 4 (2 * d) |> Array.map ((*) 3.0), [| 0.3; 0.1 |])

let private atomic s =
    GaussianMixtureNoisedScore.Atomic(normals s 6 (4 * d), Array.init 4 (fun j -> 0.1 + uniform s (20 + j)), d)

/// Fourth-order central differences of log p_τ against s_τ, coordinate by coordinate. Step h = 1e-4·√τ: p_τ varies on
/// scales ≥ √τ (≥ τ/|Δm| where mixture responsibilities switch), so truncation (h/scale)⁴ and rounding (~1e-11 relative
/// to the score scale 1/√τ) stay far below the 1e-6 tolerance.
let private matchesFiniteDifferences (data: INoisedData) (Seed s) =
    let tau = Math.Pow(10.0, -3.0 * uniform s 30) * 0.99
    let x = normals s 7 d |> Array.map ((*) 2.0)
    let score = Array.zeroCreate d
    data.Score(ReadOnlySpan x, tau, Span score)
    let h = 1e-4 * sqrt tau
    let scale = 1.0 / sqrt tau

    Array.init d (fun i ->
        let f (dx: float) =
            let y = Array.copy x
            y.[i] <- x.[i] + dx
            data.LogDensity(ReadOnlySpan y, tau)

        let fd = (8.0 * (f h - f (-h)) - (f (2.0 * h) - f (-2.0 * h))) / (12.0 * h)
        abs (fd - score.[i]) <= 1e-6 * (abs score.[i] + scale))
    |> Array.forall id

let private scoreOf (data: INoisedData) tau (x: float[]) =
    let s = Array.zeroCreate x.Length
    data.Score(ReadOnlySpan x, tau, Span s)
    s

[<Tests>]
let tests =
    testList
        "Core.Diffusion.NoisedScores"
        [ testList
              "score = ∇ log p_τ by central differences"
              [ for name, make in
                    [ "diagonal Gaussian", (fun s -> diagonal s :> INoisedData)
                      "full-covariance Gaussian", (fun s -> full s :> INoisedData)
                      "diagonal Gaussian mixture", (fun s -> mixture s :> INoisedData)
                      "isotropic Gaussian mixture", (fun s -> isotropicMixture s :> INoisedData)
                      "atomic target", (fun s -> atomic s :> INoisedData) ] do
                    testPropertyWithConfig config name
                    <| fun (Seed s) -> matchesFiniteDifferences (make s) (Seed s) ]
          testPropertyWithConfig config "a one-component mixture is the Gaussian"
          <| fun (Seed s) ->
              let g = diagonal s

              let m =
                  GaussianMixtureNoisedScore([| 0.7 |], g.DataMean.ToArray(), g.DataVariances.ToArray())

              let tau = 0.01 + 0.98 * uniform s 0
              let x = normals s 7 d

              Array.forall2 (relClose 1e-13) (scoreOf g tau x) (scoreOf m tau x)
              && relClose 1e-13 (g.LogDensity(ReadOnlySpan x, tau)) (m.LogDensity(ReadOnlySpan x, tau))
          testPropertyWithConfig config "full covariance is rotation-equivariant: s(Qx) = Q s_diag(x)"
          <| fun (Seed s) ->
              let g = diagonal s
              let q = Matrix<float>.Build.DenseOfRowMajor(d, d, rotation s)
              let lambda = Matrix<float>.Build.DenseOfDiagonalArray(g.DataVariances.ToArray())
              let cov = q * lambda * q.Transpose()
              let mu = q * Vector<float>.Build.DenseOfArray(g.DataMean.ToArray())
              let f = EigenGaussianNoisedScore(mu.ToArray(), cov.ToRowMajorArray())
              let tau = 0.01 + 0.98 * uniform s 0
              let x = normals s 7 d
              let qx = (q * Vector<float>.Build.DenseOfArray x).ToArray()
              let expected = (q * Vector<float>.Build.DenseOfArray(scoreOf g tau x)).ToArray()
              Array.forall2 (fun a b -> abs (a - b) <= 1e-12 * (1.0 + abs b)) (scoreOf f tau qx) expected
          test "early-stopped laws" {
              let g = GaussianNoisedScore([| 1.0; -2.0 |], [| 0.05; 4.0 |])
              let q = g.EarlyStoppedGaussian 0.1
              Expect.isTrue (relClose 1e-15 q.Eigenvalues.[0] (0.9 * 0.05 + 0.1)) "C_δ"
              Expect.isTrue (relClose 1e-15 q.MeanVector.[1] (-2.0 * sqrt 0.9)) "m_δ"
              Expect.isTrue (relClose 1e-15 (g.EarlyStoppedGaussian 0.0).Eigenvalues.[1] 4.0) "q₀ = p₀"
              let m = mixture 5UL
              let x = [| 0.3; -0.2; 1.1 |]

              Expect.isTrue
                  (relClose 1e-15 ((m.EarlyStopped 0.2).LogDensity(ReadOnlySpan x)) (m.LogDensity(ReadOnlySpan x, 0.2)))
                  "noised mixture"

              Expect.isTrue
                  (throwsNaming "delta" (fun () -> (atomic 5UL).EarlyStopped 0.0 |> ignore))
                  "atoms have no q₀ density"
          }
          test "bad inputs raise errors naming the parameter" {
              let x, s = [| 0.0; 0.0; 0.0 |], Array.zeroCreate 3

              for data in [ diagonal 1UL :> INoisedData; full 1UL; mixture 1UL; atomic 1UL ] do
                  for tau in [ 0.0; 1.0; -0.5; nan ] do
                      Expect.isTrue
                          (throwsNaming "tau" (fun () -> data.Score(ReadOnlySpan x, tau, Span s)))
                          $"{data.Name} τ = {tau}"

              Expect.isTrue
                  (throwsNaming "covariance" (fun () ->
                      EigenGaussianNoisedScore([| 0.0; 0.0 |], [| 1.0; 0.5; 0.0; 1.0 |]) |> ignore))
                  "asymmetric Σ"

              Expect.isTrue
                  (throwsNaming "covariance" (fun () ->
                      EigenGaussianNoisedScore([| 0.0; 0.0 |], [| 1.0; 2.0; 2.0; 1.0 |]) |> ignore))
                  "indefinite Σ"

              Expect.isTrue
                  (throwsNaming "variances[1]" (fun () ->
                      GaussianMixtureNoisedScore([| 1.0 |], [| 0.0; 0.0 |], [| 1.0; -1.0 |]) |> ignore))
                  "negative variance"

              Expect.isTrue
                  (throwsNaming "weights[0]" (fun () ->
                      GaussianMixtureNoisedScore([| 0.0 |], [| 0.0 |], [| 1.0 |]) |> ignore))
                  "zero weight"
          } ]
