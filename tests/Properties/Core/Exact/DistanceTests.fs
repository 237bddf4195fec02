module RateLab.Properties.Core.Exact.DistanceTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open RateLab.Core.Exact
open RateLab.Core.Randomness
open RateLab.Properties.Generators
open RateLab.Properties.Stats

/// A pair of product Gaussians of dimension 1–6 with moderate parameters.
type LawPair = LawPair of DiagonalLaw * DiagonalLaw

type DistanceArbs =
    static member LawPair() : Arbitrary<LawPair> =
        gen {
            let! d = Gen.choose (1, 6)
            let! a, va = diagonalGaussian d (-2.0, 2.0) (0.1, 4.0)
            let! b, vb = diagonalGaussian d (-2.0, 2.0) (0.1, 4.0)
            return LawPair(DiagonalLaw(a, va), DiagonalLaw(b, vb))
        }
        |> Arb.fromGen

let private cfg =
    { config with
        arbitrary = typeof<DistanceArbs> :: config.arbitrary }

let private law1 mu v = DiagonalLaw([| mu |], [| v |])

let private close tol (expected: float) (actual: float) =
    abs (actual - expected) <= tol * max 1e-300 (abs expected)

let private asFull (p: DiagonalLaw) =
    Vector<float>.Build.DenseOfArray(p.Mean.ToArray()),
    Matrix<float>.Build.DiagonalOfDiagonalArray(p.Variance.ToArray())

/// Σ_{j≥2} (−r)^{j−2}/j in 28-digit decimal arithmetic, so r − log1p(r) = r²·g(r) with r² exact for r = ±2^−k.
let private seriesDecimal (r: decimal) =
    let mutable sum = 0m
    let mutable power = 1m

    for j in 2..120 do
        sum <- sum + power / decimal j
        power <- -power * r

    sum

[<Tests>]
let tests =
    testList
        "Core.Exact.Distances"
        [ testPropertyWithConfig cfg "KL, W2, H² and MMD vanish between a law and itself"
          <| fun (LawPair(p, _)) ->
              GaussianDistances.Kl(p, p) = 0.0
              && GaussianDistances.W2Squared(p, p) = 0.0
              && GaussianDistances.Hellinger2(p, p) = 0.0
              && abs (GaussianDistances.MmdSquared(p, p, 1.3)) < 1e-15

          testPropertyWithConfig cfg "1-D KL equals log(σ₂/σ₁) + (σ₁² + Δμ²)/(2σ₂²) − ½"
          <| fun (LawPair(p, q)) ->
              let (a, va, b, vb) = p.Mean.[0], p.Variance.[0], q.Mean.[0], q.Variance.[0]
              let expected = 0.5 * log (vb / va) + (va + (a - b) ** 2.0) / (2.0 * vb) - 0.5
              close 1e-10 expected (GaussianDistances.Kl(law1 a va, law1 b vb))

          testPropertyWithConfig cfg "1-D W2² = Δμ² + (σ₁ − σ₂)²; |Δσ| for equal means, |Δμ| for equal variances"
          <| fun (LawPair(p, q)) ->
              let (a, va, b, vb) = p.Mean.[0], p.Variance.[0], q.Mean.[0], q.Variance.[0]

              let w2 (x: DiagonalLaw) (y: DiagonalLaw) =
                  sqrt (GaussianDistances.W2Squared(x, y))

              close
                  1e-12
                  ((a - b) ** 2.0 + (sqrt va - sqrt vb) ** 2.0)
                  (GaussianDistances.W2Squared(law1 a va, law1 b vb))
              && close 1e-12 (abs (sqrt va - sqrt vb)) (w2 (law1 a va) (law1 a vb))
              && close 1e-12 (abs (a - b)) (w2 (law1 a va) (law1 b va))

          testPropertyWithConfig cfg "full-covariance forms agree with the diagonal ones"
          <| fun (LawPair(p, q)) ->
              let (a, ca), (b, cb) = asFull p, asFull q

              close 1e-10 (GaussianDistances.Kl(p, q)) (FullGaussianDistances.Kl(a, ca, b, cb))
              && close 1e-10 (GaussianDistances.W2Squared(p, q)) (FullGaussianDistances.W2Squared(a, ca, b, cb))
              && close
                  1e-10
                  (GaussianDistances.LogBhattacharyya(p, q))
                  (FullGaussianDistances.LogBhattacharyya(a, ca, b, cb))
              && close
                  1e-9
                  (GaussianDistances.MmdSquared(p, q, 0.7))
                  (FullGaussianDistances.MmdSquared(a, ca, b, cb, 0.7))

          testPropertyWithConfig cfg "TV bounds are ordered: H² ≤ TV ≤ H√(2−H²), Pinsker, Bretagnolle–Huber"
          <| fun (LawPair(p, q)) ->
              let one = law1 p.Mean.[0] p.Variance.[0]
              let other = law1 q.Mean.[0] q.Variance.[0]

              let tv =
                  GaussianTotalVariation.OneDimensional(
                      one.Mean.[0],
                      sqrt one.Variance.[0],
                      other.Mean.[0],
                      sqrt other.Variance.[0]
                  )

              let kl = GaussianDistances.Kl(one, other)

              let struct (lo, hi) =
                  GaussianDistances.HellingerSandwich(GaussianDistances.Hellinger2(one, other))

              let slack = 1e-12

              lo <= tv + slack
              && tv <= hi + slack
              && tv <= GaussianDistances.PinskerBound kl + slack
              && tv <= GaussianDistances.BretagnolleHuberBound kl + slack
              && (let d = LawDistances.Between(p, q) in d.TvLower <= d.TvUpper + slack)

          testPropertyWithConfig cfg "exact 1-D TV equals ½∫|p − q| by quadrature"
          <| fun (LawPair(p, q)) ->
              let (a, sa, b, sb) =
                  p.Mean.[0], sqrt p.Variance.[0], q.Mean.[0], sqrt q.Variance.[0]

              let pdf m s x =
                  exp (-0.5 * ((x - m) / s) ** 2.0) / (s * sqrt (2.0 * Math.PI))

              let lo, hi =
                  min (a - 12.0 * sa) (b - 12.0 * sb), max (a + 12.0 * sa) (b + 12.0 * sb)
              // |p − q| has kinks where the densities cross; split there (naive quadratic formula) so that every piece
              // is smooth and the double-exponential rule converges.
              let alpha = 1.0 / (2.0 * sb * sb) - 1.0 / (2.0 * sa * sa)
              let beta = a / (sa * sa) - b / (sb * sb)
              let gamma = b * b / (2.0 * sb * sb) - a * a / (2.0 * sa * sa) - log (sa / sb)

              let cuts =
                  if alpha = 0.0 then
                      [ -gamma / beta ]
                  else
                      let root = sqrt (beta * beta - 4.0 * alpha * gamma)
                      [ (-beta - root) / (2.0 * alpha); (-beta + root) / (2.0 * alpha) ]

              let points =
                  lo :: (cuts |> List.filter (fun c -> c > lo && c < hi) |> List.sort) @ [ hi ]

              let f x = abs (pdf a sa x - pdf b sb x)

              let numeric =
                  0.5
                  * (List.pairwise points
                     |> List.sumBy (fun (u, v) -> MathNet.Numerics.Integrate.OnClosedInterval(f, u, v, 1e-13)))

              let exact = GaussianTotalVariation.OneDimensional(a, sa, b, sb)
              abs (numeric - exact) <= 1e-9

          testPropertyWithConfig
              cfg
              "equal covariances: TV = 2Φ(Δ/2) − 1 matches the 1-D law along the Mahalanobis direction"
          <| fun (LawPair(p, q)) ->
              let shifted = DiagonalLaw(q.Mean.ToArray(), p.Variance.ToArray())

              let delta =
                  sqrt (
                      Array.fold2
                          (fun s (x, y) v -> s + (x - y) ** 2.0 / v)
                          0.0
                          (Array.zip (p.Mean.ToArray()) (q.Mean.ToArray()))
                          (p.Variance.ToArray())
                  )

              close
                  1e-12
                  (GaussianTotalVariation.OneDimensional(0.0, 1.0, delta, 1.0))
                  (GaussianDistances.TvEqualCovariance(p, shifted))
              || delta = 0.0

          test "stable KL near equality matches a 28-digit series for r = ±2^−k" {
              for k in 1..26 do
                  for sign in [ 1.0; -1.0 ] do
                      let r = sign * (2.0 ** float -k)
                      let rDecimal = decimal sign / decimal (pown 2L k)
                      let expected = 0.5 * r * r * float (seriesDecimal rDecimal)
                      let actual = GaussianDistances.Kl(law1 0.0 (1.0 + r), law1 0.0 1.0)
                      Expect.floatClose { absolute = 0.0; relative = 2e-15 } actual expected $"KL at r = {r}"
          }

          testPropertyWithConfig cfg "sums of two blocks give the distances of the whole law"
          <| fun (LawPair(p, q)) ->
              let slice (l: DiagonalLaw) lo hi =
                  DiagonalLaw(l.Mean.Slice(lo, hi - lo).ToArray(), l.Variance.Slice(lo, hi - lo).ToArray())

              let d = p.Count

              d < 2
              || (let k = d / 2
                  // Without the inversion, which needs the whole law (ProductTotalVariationTests).
                  let whole = LawDistances.From(DistanceSums.Of(p, q))

                  let parts =
                      LawDistances.From(
                          DistanceSums.Of(slice p 0 k, slice q 0 k)
                          + DistanceSums.Of(slice p k d, slice q k d)
                      )

                  close 1e-12 whole.Kl parts.Kl
                  && close 1e-12 whole.W2 parts.W2
                  && close 1e-12 whole.Hellinger2 parts.Hellinger2
                  && close 1e-12 whole.TvLower parts.TvLower
                  && close 1e-12 whole.TvUpper parts.TvUpper
                  && whole.TvExact.HasValue = parts.TvExact.HasValue)

          test "H² of a small mean shift matches a 28-digit series for 1 − e^{−Δ²/8}" {
              // Equal variances and Δ = 2^−k make log BC = −Δ²/8 exact, so only 1 − e^{−x} is tested.
              for k in 1..20 do
                  let delta = 2.0 ** float -k
                  let x = 1m / decimal (pown 2L (2 * k + 3))
                  let mutable term, series = x, 0m

                  for j in 1..30 do
                      series <- series + term
                      term <- -term * x / decimal (j + 1)

                  let actual = GaussianDistances.Hellinger2(law1 0.0 1.0, law1 delta 1.0)
                  Expect.floatClose { absolute = 0.0; relative = 4e-16 } actual (float series) $"H² at Δ = 2^-{k}"
          }

          test "equal variances in every block keep the exact TV" {
              let p, q =
                  DiagonalLaw([| 0.3; -0.1 |], [| 1.0; 2.0 |]), DiagonalLaw([| 0.0; 0.2 |], [| 1.0; 2.0 |])

              let one (l: DiagonalLaw) i =
                  DiagonalLaw([| l.Mean.[i] |], [| l.Variance.[i] |])

              let parts =
                  LawDistances.From(DistanceSums.Of(one p 0, one q 0) + DistanceSums.Of(one p 1, one q 1))

              Expect.equal parts.TvExact (Nullable(GaussianDistances.TvEqualCovariance(p, q))) "equal-covariance TV"
          }

          test "multiplicities weight every coordinate sum" {
              let p = DiagonalLaw([| 0.3; -1.0 |], [| 1.2; 0.5 |], [| 3.0; 1.0 |])
              let q = DiagonalLaw([| 0.0; 0.0 |], [| 1.0; 0.7 |], [| 3.0; 1.0 |])
              let pe = DiagonalLaw([| 0.3; 0.3; 0.3; -1.0 |], [| 1.2; 1.2; 1.2; 0.5 |])
              let qe = DiagonalLaw([| 0.0; 0.0; 0.0; 0.0 |], [| 1.0; 1.0; 1.0; 0.7 |])
              Expect.floatClose Accuracy.veryHigh (GaussianDistances.Kl(p, q)) (GaussianDistances.Kl(pe, qe)) "KL"

              Expect.floatClose
                  Accuracy.veryHigh
                  (GaussianDistances.W2Squared(p, q))
                  (GaussianDistances.W2Squared(pe, qe))
                  "W2²"

              Expect.floatClose
                  Accuracy.veryHigh
                  (GaussianDistances.Hellinger2(p, q))
                  (GaussianDistances.Hellinger2(pe, qe))
                  "H²"

              Expect.floatClose
                  Accuracy.veryHigh
                  (GaussianDistances.MmdSquared(p, q, 2.0))
                  (GaussianDistances.MmdSquared(pe, qe, 2.0))
                  "MMD²"
          }

          test "MMD² closed form agrees with Monte Carlo within 5 SE" {
              // One comparison: false-failure probability 5.7e-7 under the null.
              let p = DiagonalLaw([| 0.5; -0.2; 0.0 |], [| 1.0; 0.4; 2.0 |])
              let q = DiagonalLaw([| 0.0; 0.3; 0.1 |], [| 0.7; 0.9; 1.5 |])
              let ell = 1.2
              let n = 50000
              let d = 3

              let draw (law: DiagonalLaw) (role: int) (i: int) =
                  let z = Array.zeroCreate d
                  CounterRng.Normals(77UL, int64 i, 0L, role, Span z)
                  Array.init d (fun j -> law.Mean.[j] + sqrt law.Variance.[j] * z.[j])

              let k (x: float[]) (y: float[]) =
                  exp (-(Array.fold2 (fun s a b -> s + (a - b) ** 2.0) 0.0 x y) / (2.0 * ell * ell))
              // Independent pairs per index make the summands i.i.d., so the sample SE is valid.
              let z =
                  Array.init n (fun i ->
                      k (draw p 0 i) (draw p 1 i) + k (draw q 2 i) (draw q 3 i)
                      - 2.0 * k (draw p 4 i) (draw q 5 i))

              let mean, se = meanAndSe z
              let exact = GaussianDistances.MmdSquared(p, q, ell)
              Expect.isTrue (within z5 se mean exact) $"MC {mean} ± {se} vs closed form {exact}"
          }

          test "inputs are validated with the parameter named" {
              let ex = Expect.throwsT<ArgumentOutOfRangeException>
              ex (fun () -> DiagonalLaw([| 0.0 |], [| -1.0 |]) |> ignore) "negative variance"
              ex (fun () -> GaussianDistances.MmdSquared(law1 0.0 1.0, law1 0.0 1.0, 0.0) |> ignore) "zero length scale"
              ex (fun () -> GaussianTotalVariation.OneDimensional(0.0, 0.0, 0.0, 1.0) |> ignore) "zero sd"

              Expect.throwsT<ArgumentException>
                  (fun () ->
                      GaussianDistances.Kl(law1 0.0 1.0, DiagonalLaw([| 0.0; 0.0 |], [| 1.0; 1.0 |]))
                      |> ignore)
                  "dimension mismatch"
          } ]
