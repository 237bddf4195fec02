/// TV between Gaussians where it reduces to one dimension (GaussianTotalVariation) and the lower bound it gives
/// LawDistances. Exact arithmetic comparisons and deterministic quadrature: no false-failure probability.
module RateLab.Properties.Core.Exact.TotalVariationTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open MathNet.Numerics.Distributions
open RateLab.Core.Exact
open RateLab.Properties
open RateLab.Properties.Generators

/// Two variances in [0.2, 5] and a dimension k in [2, 40], the variances at least 1 % apart so that TV is not tiny.
type IsotropicCase = IsotropicCase of k: int * a: float * b: float

type TotalVariationArbs =
    static member IsotropicCase() : Arbitrary<IsotropicCase> =
        gen {
            let! k = Gen.choose (2, 40)
            let! a = Gen.choose (200, 5000)
            let! b = Gen.choose (200, 5000) |> Gen.filter (fun b -> abs (b - a) >= a / 100)
            return IsotropicCase(k, float a / 1000.0, float b / 1000.0)
        }
        |> Arb.fromGen

let private cfg =
    { config with
        arbitrary = typeof<TotalVariationArbs> :: config.arbitrary }

/// ½∫|f_A − f_B| over [0, ∞) for the laws of A χ²_k and B χ²_k (MathNet's Gamma densities), by composite
/// Gauss–Legendre on either side of the crossing, which is found by bisection on the densities themselves.
let private halfL1 k a b =
    let density v r =
        Gamma(0.5 * float k, 1.0 / (2.0 * v)).Density r

    let gap r = density a r - density b r
    // The densities cross once; below the crossing the smaller variance's density is the larger.
    let mutable lo, hi = 1e-9, 100.0 * max a b * float k

    for _ in 1..200 do
        let mid = 0.5 * (lo + hi)

        if sign (gap mid) = sign (gap lo) then
            lo <- mid
        else
            hi <- mid

    let integrate f (x0: float) (x1: float) = Quadrature.composite f x0 x1 4000 10

    // r = s² near 0 takes out the r^{k/2 − 1} endpoint singularity of odd k.
    let below = integrate (fun s -> 2.0 * s * gap (s * s)) 0.0 (sqrt lo)
    0.5 * (abs below + abs (integrate gap lo (200.0 * max a b * float k)))

[<Tests>]
let tests =
    testList
        "Core.Exact.TotalVariation"
        [ testPropertyWithConfig cfg "isotropic TV equals ½∫|p − q| of the squared norms by quadrature"
          <| fun (IsotropicCase(k, a, b)) ->
              let tv = GaussianTotalVariation.Isotropic(k, a, b)
              abs (tv - halfL1 k a b) <= 1e-9

          test "isotropic TV in two dimensions is e^{−x₁} − e^{−x₂} (χ²₂ is exponential), to 1e-13 relative" {
              // The crossing of A χ²₂ and B χ²₂ in the exponential's scale: x₁ = log ρ/(ρ − 1), x₂ = ρ x₁, ρ = max/min.
              for ratio in [ 1.0 + 1e-9; 1.0 + 1e-6; 1.001; 1.1; 2.0; 10.0 ] do
                  let x1 = Math.Log ratio / (ratio - 1.0)
                  // 1 − e^{−y} by its alternating series, to round-off for y ≤ log 10.
                  let y = (ratio - 1.0) * x1

                  let oneMinusExp =
                      Seq.sum (seq { for j in 1..40 -> -(pown -y j) / MathNet.Numerics.SpecialFunctions.Factorial j })

                  let reference = Math.Exp(-x1) * oneMinusExp

                  for a, b in [ ratio, 1.0; 1.0, ratio; 3.0 * ratio, 3.0 ] do
                      Expect.floatClose
                          { absolute = 0.0; relative = 1e-13 }
                          (GaussianTotalVariation.Isotropic(2, a, b))
                          reference
                          $"k = 2, variances {a}, {b}"
          }

          test "variances far apart give TV near 1, not a panel count past the integers" {
              for k in [ 2; 3; 16; 1000 ] do
                  for a, b in [ 1e-12, 1.0; 1.0, 1e-12; 1e-300, 1e300 ] do
                      let tv = GaussianTotalVariation.Isotropic(k, a, b)
                      Expect.isGreaterThan tv 0.999 $"k = {k}, variances {a}, {b}"
                      Expect.isLessThanOrEqual tv 1.0 $"k = {k}, variances {a}, {b}"
          }

          test "a centred block's lower bound is its exact TV and keeps the first order of a small discrepancy" {
              for delta in [ 1e-2; 1e-4; 1e-6 ] do
                  let p = DiagonalLaw([| 0.0 |], [| 1.0 + delta |], [| 16.0 |])
                  let q = DiagonalLaw([| 0.0 |], [| 1.0 |], [| 16.0 |])
                  let d = LawDistances.Between(p, q)
                  let exact = GaussianTotalVariation.Isotropic(16, 1.0 + delta, 1.0)
                  Expect.equal d.TvLower exact $"lower bound at δ = {delta}"
                  Expect.isLessThanOrEqual d.TvLower d.TvUpper $"lower ≤ upper at δ = {delta}"
                  // TV is of first order in δ; H² of second, so the sandwich alone would lose the order.
                  Expect.isGreaterThan (d.TvLower / d.TvUpper) 0.5 $"lower/upper at δ = {delta}"
                  Expect.isLessThan (d.Hellinger2 / d.TvLower) (10.0 * delta) $"H²/TV at δ = {delta}"
          }

          test "on distinct coordinates the block bound is the farthest coordinate's exact TV" {
              let lambda = [| 1.0; 0.5; 0.25; 0.125 |]
              let q = DiagonalLaw(Array.zeroCreate 4, lambda)
              // The second coordinate is 1e-4 off in variance, the others 1e-5.
              let off = [| 1e-5; 1e-4; 1e-5; 1e-5 |]

              let p =
                  DiagonalLaw(Array.zeroCreate 4, Array.map2 (fun l e -> l * (1.0 + e)) lambda off)

              // The sums alone, without the inverted whole-law TV that Between adds (ProductTotalVariationTests).
              let d = LawDistances.From(DistanceSums.Of(p, q))

              let second =
                  GaussianTotalVariation.OneDimensional(0.0, sqrt p.Variance.[1], 0.0, sqrt lambda.[1])

              Expect.equal d.TvLower second "farthest coordinate"
          }

          test "a shifted block's bound takes the better of its mean and its centred remainder" {
              let a, va, b, vb, w = 0.01, 1.0, 0.0, 1.02, 9.0

              let mean = GaussianTotalVariation.OneDimensional(3.0 * a, sqrt va, 3.0 * b, sqrt vb)

              let remainder = GaussianTotalVariation.Isotropic(8, va, vb)
              Expect.equal (GaussianTotalVariation.GroupLowerBound(a, va, b, vb, w)) (max mean remainder) "w = 9"
              Expect.isGreaterThan remainder mean "the variance dominates here"
              // Not a whole number of coordinates: the mean's bound alone.
              Expect.equal
                  (GaussianTotalVariation.GroupLowerBound(a, va, b, vb, 2.5))
                  (GaussianTotalVariation.OneDimensional(sqrt 2.5 * a, sqrt va, sqrt 2.5 * b, sqrt vb))
                  "w = 2.5"
          }

          test "inputs are validated with the parameter named" {
              let ex = Expect.throwsT<ArgumentOutOfRangeException>
              ex (fun () -> GaussianTotalVariation.Isotropic(0, 1.0, 1.0) |> ignore) "k = 0"
              ex (fun () -> GaussianTotalVariation.Isotropic(3, 0.0, 1.0) |> ignore) "zero variance"
              ex (fun () -> GaussianTotalVariation.GroupLowerBound(0.0, 1.0, 0.0, 1.0, 0.0) |> ignore) "w = 0"
          } ]
