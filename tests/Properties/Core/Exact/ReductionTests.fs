module RateLab.Properties.Core.Exact.ReductionTests

open System
open Expecto
open MathNet.Numerics.LinearAlgebra
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Core.Targets
open RateLab.Properties.TestKernels

let private ula (r: GaussianReduction) h steps =
    ExactAnalysis.Analyse(ExactProblem.Langevin(r, Ula(r.Dimension, h, r.Start), steps))

let private rel = { absolute = 0.0; relative = 1e-12 }

/// ULA on N(μ, Σ) propagated with full matrices: m' = m + hP(μ − m), C' = (I − hP) C (I − hP)ᵀ + 2hI, P = Σ⁻¹.
let private fullUla (target: FullGaussian) (mu: Vector<float>) (x0: Vector<float>) (s0: float) (h: float) steps =
    let d = mu.Count
    let i = Matrix<float>.Build.DenseIdentity d
    let a: Matrix<float> = i - h * target.Precision
    let mutable m = x0
    let mutable c = s0 * s0 * i

    for _ in 1..steps do
        m <- a * m + h * (target.Precision * mu)
        c <- a * c * a.Transpose() + 2.0 * h * i

    m, c

[<Tests>]
let tests =
    testList
        "Core.Exact.Reduction"
        [ test "identical coordinates are stored once with their multiplicity" {
              let r =
                  GaussianReduction.Diagonal(
                      ReadOnlySpan [| 0.0; 1.0; 0.0; 0.0 |],
                      ReadOnlySpan [| 2.0; 2.0; 2.0; 3.0 |],
                      StartLaw([| 1.0; 1.0; 1.0; 1.0 |], [| 0.5; 0.5; 0.5; 0.5 |])
                  )

              Expect.equal r.Dimension 3 "three distinct (μ, λ, m₀, s₀)"
              Expect.equal r.Multiplicity [| 2.0; 1.0; 1.0 |] "multiplicities"
              Expect.equal r.CoordinateMap [| 0; 1; 0; 2 |] "map"
              let tail = r.Slice(1, 2)

              Expect.equal
                  (tail.Mean, tail.Variance, tail.Multiplicity)
                  ([| 1.0; 0.0 |], [| 2.0; 3.0 |], [| 1.0; 1.0 |])
                  "a slice keeps its coordinates"

              Expect.equal
                  (r.Slice(0, 1).CoordinateMap, tail.CoordinateMap)
                  ([| 0; 0 |], [| 0; 1 |])
                  "a slice maps the originals it stands for"
          }

          test "isotropic d = 10⁶ reduces to one coordinate and d times its KL" {
              let d = 1_000_000

              let iso =
                  GaussianReduction.FromTarget(DiagonalGaussian.Isotropic(d, 2.0), StartLaw.Isotropic(d, 0.5))

              let one =
                  GaussianReduction.FromTarget(DiagonalGaussian.Isotropic(1, 2.0), StartLaw.Isotropic(1, 0.5))

              Expect.equal iso.Dimension 1 "one distinct coordinate"
              let big, small = ula iso 0.1 100L, ula one 0.1 100L
              Expect.floatClose rel big.MomentMatched.Kl (float d * small.MomentMatched.Kl) "KL adds over coordinates"

              Expect.floatClose
                  rel
                  big.MomentMatched.W2
                  (sqrt (float d) * small.MomentMatched.W2)
                  "W2² adds over coordinates"
          }

          test "rotated diagonal Gaussian: same metrics as the unrotated one and as full-matrix propagation" {
              let d, h, steps = 5, 0.05, 15
              let q = orthogonal 11UL d
              let lambda = [| 0.5; 1.0; 1.7; 2.5; 4.0 |]
              let muEigen = Vector<float>.Build.DenseOfArray [| 0.3; -1.0; 0.0; 2.0; 0.7 |]
              let mu = q * muEigen
              let target = FullGaussian(mu, lambda, q)
              let x0 = Vector<float>.Build.DenseOfArray [| 1.0; -2.0; 0.5; 0.0; 3.0 |]

              for s0 in [ 0.0; 0.8 ] do
                  let start = StartLaw(x0.ToArray(), Array.create d s0)
                  let rotated = ula (GaussianReduction.FromTarget(target, start)) h (int64 steps)
                  let x0Eigen = q.TransposeThisAndMultiply x0

                  let plain =
                      ula
                          (GaussianReduction.Diagonal(
                              ReadOnlySpan(muEigen.ToArray()),
                              ReadOnlySpan lambda,
                              StartLaw(x0Eigen.ToArray(), Array.create d s0)
                          ))
                          h
                          (int64 steps)

                  Expect.floatClose rel rotated.MomentMatched.Kl plain.MomentMatched.Kl $"KL, s₀ = {s0}"
                  Expect.floatClose rel rotated.MomentMatched.W2 plain.MomentMatched.W2 $"W2, s₀ = {s0}"
                  Expect.floatClose rel rotated.MomentMatched.Hellinger2 plain.MomentMatched.Hellinger2 $"H², s₀ = {s0}"

                  if s0 > 0.0 then
                      // Independent check in the standard basis (KL needs a non-degenerate law).
                      let m, c = fullUla target mu x0 s0 h steps
                      let sigma = target.Covariance

                      Expect.floatClose
                          { absolute = 0.0; relative = 1e-9 }
                          (FullGaussianDistances.Kl(m, c, mu, sigma))
                          rotated.MomentMatched.Kl
                          "KL by full matrices"

                      Expect.floatClose
                          { absolute = 0.0; relative = 1e-9 }
                          (sqrt (FullGaussianDistances.W2Squared(m, c, mu, sigma)))
                          rotated.MomentMatched.W2
                          "W2 by full matrices"
          }

          test "a full covariance with an anisotropic start is refused with a clear error" {
              let q = orthogonal 3UL 2
              let target = FullGaussian(Vector<float>.Build.Dense 2, [| 1.0; 2.0 |], q)

              let e =
                  Expect.throwsC (fun () ->
                      GaussianReduction.FromTarget(target, StartLaw([| 0.0; 0.0 |], [| 1.0; 2.0 |]))
                      |> ignore)

              e (fun ex -> Expect.stringContains ex.Message "isotropic" "says why")
          }

          testList
              "large dimension (slow)"
              [ test "d = 10⁶ distinct eigenvalues: ULA for 20 steps runs and returns finite values" {
                    let d = 1_000_000
                    let target = DiagonalGaussian.IllConditioned(d, 100.0)
                    let r = GaussianReduction.FromTarget(target, StartLaw.Point(Array.create d 1.0))
                    Expect.equal r.Dimension d "nothing to merge"
                    let result = ula r 0.005 20L
                    let m = result.MomentMatched

                    Expect.isTrue
                        (Double.IsFinite m.Kl && Double.IsFinite m.W2 && m.Kl > 0.0 && m.W2 > 0.0)
                        $"finite metrics {m}"
                } ] ]
