/// The mixture gap bounds: the Pythagorean identity and the χ² bound checked by quadrature on a two-component mixture,
/// Talagrand's inequality for Gaussian references, and the bound's arguments.
module RateLab.Properties.Core.Exact.MixtureGapBoundTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Exact
open RateLab.Properties.Core.Exact.Fixtures
open RateLab.Properties.Generators

/// A pair of product Gaussians of dimension 1–5 with moderate parameters (P, Q).
type GaussianPair = GaussianPair of DiagonalLaw * DiagonalLaw

type GapArbs =
    static member GaussianPair() : Arbitrary<GaussianPair> =
        gen {
            let! d = Gen.choose (1, 5)
            let! a, va = diagonalGaussian d (-2.0, 2.0) (0.1, 4.0)
            let! b, vb = diagonalGaussian d (-2.0, 2.0) (0.1, 4.0)
            return GaussianPair(DiagonalLaw(a, va), DiagonalLaw(b, vb))
        }
        |> Arb.fromGen

let private cfg =
    { config with
        arbitrary = typeof<GapArbs> :: config.arbitrary }

let private density (m: float) (v: float) x =
    exp (-(x - m) * (x - m) / (2.0 * v)) / sqrt (2.0 * Math.PI * v)

/// ∫ f over [−30, 30] in unit pieces by double-exponential quadrature (every density here has sd ≤ 1.5, mean ≤ 1).
let private integral (f: float -> float) =
    [ -30 .. 29 ]
    |> List.sumBy (fun k ->
        MathNet.Numerics.Integrate.OnClosedInterval(Func<float, float> f, float k, float (k + 1), 1e-14))

// p = 0.3 N(−0.4, 0.5) + 0.7 N(0.2, 1.6): a two-component mixture with different scales and means; q = N(0.3, 1.3).
let private twoComponent =
    atomMixture [| 0.3; 0.7 |] [| [| -0.4 |], [| 0.5 |]; [| 0.2 |], [| 1.6 |] |] [| 1.0 |]

let private q = DiagonalLaw([| 0.3 |], [| 1.3 |])

let private p x =
    Array.fold2
        (fun s w (a: DiagonalLaw) -> s + w * density a.Mean.[0] a.Variance.[0] x)
        0.0
        twoComponent.Probabilities
        twoComponent.Atoms

// KL(p‖g) for a 1-D Gaussian g, by quadrature.
let private klOfP (g: DiagonalLaw) =
    integral (fun x ->
        let px = p x

        if px > 0.0 then
            px * log (px / density g.Mean.[0] g.Variance.[0] x)
        else
            0.0)

let private exactChi (chi2: float) = ChiSquareEstimate(chi2, 0.0, 3)

[<Tests>]
let tests =
    testList
        "Core.Exact.MixtureGapBound"
        [ test "KL(p‖q) = KL(p‖p_G) + KL(p_G‖q) on a two-component mixture (quadrature)" {
              let g = twoComponent.Matched
              let whole, nonGaussian = klOfP q, klOfP g
              let gaussian = GaussianDistances.Kl(g, q)
              // Quadrature to ~1e-13 per piece; the identity is exact.
              Expect.floatClose { absolute = 1e-11; relative = 1e-9 } whole (nonGaussian + gaussian) "Pythagoras"
              Expect.isGreaterThan nonGaussian 1e-3 "the mixture is far from Gaussian, so the check has teeth"
          }

          test "KL(p‖p_G) ≤ log(1 + χ²) ≤ χ², and KL_up ≥ KL(p‖q) (two-component mixture)" {
              let g = twoComponent.Matched
              let chi2 = twoComponent.ChiSquare
              // χ² from the closed-form pairs against ∫ p²/p_G − 1 by quadrature.
              let chiQuadrature =
                  integral (fun x -> p x * p x / density g.Mean.[0] g.Variance.[0] x) - 1.0

              Expect.floatClose { absolute = 1e-12; relative = 1e-9 } chi2 chiQuadrature "χ² by pairs and by quadrature"
              let nonGaussian = klOfP g
              Expect.isLessThanOrEqual nonGaussian (log (1.0 + chi2)) "KL(p‖p_G) ≤ log(1 + χ²)"
              Expect.isLessThanOrEqual (log (1.0 + chi2)) chi2 "log(1 + χ²) ≤ χ²"
              let bound = MixtureGapBound.Of(GaussianDistances.Kl(g, q), exactChi chi2, q)
              Expect.isGreaterThanOrEqual bound.Kl (klOfP q) "KL_up ≥ KL(p‖q)"
          }

          testPropertyWithConfig cfg "Talagrand: W₂(P, Q)² ≤ 2 λ_max(Q) KL(P‖Q) for Gaussian P, Q"
          <| fun (GaussianPair(pl, ql)) ->
              let bound = MixtureGapBound.Of(GaussianDistances.Kl(pl, ql), exactChi 0.0, ql)
              bound.W2 >= sqrt (GaussianDistances.W2Squared(pl, ql)) * (1.0 - 1e-12)

          test "Talagrand's constant is attained by a mean shift at the largest variance" {
              // P = Q shifted by δ along the coordinate of variance λ_max: W₂² = δ², KL = δ²/(2λ_max).
              let ql = DiagonalLaw([| 0.0; 1.0 |], [| 0.5; 2.0 |])
              let pl = DiagonalLaw([| 0.0; 1.3 |], [| 0.5; 2.0 |])
              let bound = MixtureGapBound.Of(GaussianDistances.Kl(pl, ql), exactChi 0.0, ql)
              Expect.floatClose Accuracy.high bound.W2 0.3 "W2_up = W2"
          }

          test "an infinite χ² gives infinite bounds, not a finite guess" {
              let bound = MixtureGapBound.Of(0.1, ChiSquareEstimate(infinity, 0.0, 10), q)
              Expect.equal bound.Kl infinity "KL_up"
              Expect.equal bound.W2 infinity "W2_up"
          }

          test "KL_up adds max(0, Û) and z standard errors to KL(p_G‖q)" {
              let below = MixtureGapBound.Of(1e-3, ChiSquareEstimate(-2e-5, 1e-5, 100), q)
              Expect.floatClose Accuracy.veryHigh below.Kl (1e-3 + MixtureGapBound.OneSided95 * 1e-5) "Û < 0 counts 0"
              let above = MixtureGapBound.Of(1e-3, ChiSquareEstimate(2e-5, 1e-5, 100), q, 2.0)
              Expect.floatClose Accuracy.veryHigh above.Kl (1e-3 + 2e-5 + 2e-5) "z = 2"
          }

          test "bad arguments are refused with the parameter, value and allowed range" {
              let ok = ChiSquareEstimate(0.0, 0.0, 3)

              let e = Expect.throwsC (fun () -> MixtureGapBound.Of(-1.0, ok, q) |> ignore) id

              Expect.stringContains e.Message "klMatched = -1" "names the value"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> MixtureGapBound.Of(0.0, ok, q, -1.0) |> ignore)
                  "z < 0"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> MixtureGapBound.Of(0.0, ChiSquareEstimate(nan, 0.0, 3), q) |> ignore)
                  "NaN χ²"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> MixtureGapBound.Of(0.0, ok, DiagonalLaw([| 0.0 |], [| 0.0 |])) |> ignore)
                  "a degenerate reference"
          } ]
