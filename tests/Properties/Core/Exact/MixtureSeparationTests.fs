/// The separating-event lower bound on a mixture's TV (MixtureSeparation) and the probability difference behind it
/// (ProductTotalVariation.Separation): against one-dimensional quadrature of the mixture itself, the TV it must not
/// exceed, and a Monte Carlo estimate (fixed seed, 5 SE: false-failure probability 5.7e-7 if the SE were exact).
module RateLab.Properties.Core.Exact.MixtureSeparationTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open MathNet.Numerics
open MathNet.Numerics.Distributions
open RateLab.Core.Exact
open RateLab.Properties
open RateLab.Properties.Generators
open RateLab.Properties.Stats

/// Four product Gaussians of dimension 2–6: the laws X and Y compared, and g, r defining the event {g > r}.
type FourLaws = FourLaws of DiagonalLaw * DiagonalLaw * DiagonalLaw * DiagonalLaw

type SeparationArbs =
    static member FourLaws() : Arbitrary<FourLaws> =
        gen {
            let! d = Gen.choose (2, 6)
            let law = diagonalGaussian d (-1.0, 1.0) (0.2, 3.0)
            let! a, va = law
            let! b, vb = law
            let! c, vc = law
            let! e, ve = law
            return FourLaws(DiagonalLaw(a, va), DiagonalLaw(b, vb), DiagonalLaw(c, vc), DiagonalLaw(e, ve))
        }
        |> Arb.fromGen

let private cfg =
    { config with
        arbitrary = typeof<SeparationArbs> :: config.arbitrary }

let private law1 m v = DiagonalLaw([| m |], [| v |])

/// Eight one-dimensional draw laws, scattered less than they are offset from N(0, 1) (as a converging sampler's draws
/// are), and their equally weighted mixture's moments.
let private draws =
    [| for r in 0..7 -> law1 (0.1 + 0.01 * float (r - 3)) (0.8 + 0.01 * float r) |]

let private mixtureDensity x =
    draws
    |> Array.averageBy (fun l -> Normal(l.Mean[0], sqrt l.Variance[0]).Density x)

let private matched =
    let mean = draws |> Array.averageBy (fun l -> l.Mean[0])

    let variance =
        draws |> Array.averageBy (fun l -> l.Variance[0] + (l.Mean[0] - mean) ** 2.0)

    law1 mean variance

/// The two points where N(m₁, v₁) and N(m₂, v₂) cross (unequal variances), from log p₁ − log p₂ = αx² + βx + γ.
let private crossings m1 v1 m2 v2 =
    let alpha = 1.0 / (2.0 * v2) - 1.0 / (2.0 * v1)
    let beta = m1 / v1 - m2 / v2
    let gamma = m2 * m2 / (2.0 * v2) - m1 * m1 / (2.0 * v1) - 0.5 * log (v1 / v2)
    let root = sqrt (beta * beta - 4.0 * alpha * gamma)
    let x1, x2 = (-beta - root) / (2.0 * alpha), (-beta + root) / (2.0 * alpha)
    min x1 x2, max x1 x2

[<Tests>]
let tests =
    testList
        "Core.Exact.MixtureSeparation"
        [ test "with exact moments the estimate is P_p(A) − P_q(A) of the mixture itself, by quadrature to 1e-10" {
              let q = law1 0.0 1.0

              let s =
                  nonNull (MixtureSeparation.Of(draws, Array.create draws.Length q, q, matched))

              Expect.isFalse s.SplitDraws "A from the exact moments"
              Expect.equal s.Draws draws.Length "every draw"
              // A = {p_G > q}: p_G's variance is below 1, so A is the interval between the crossings.
              let lo, hi = crossings matched.Mean[0] matched.Variance[0] 0.0 1.0

              let gap x =
                  mixtureDensity x - Normal.PDF(0.0, 1.0, x)

              let reference = Quadrature.composite gap lo hi 200 16
              Expect.isLessThanOrEqual (abs (s.Value - reference)) (1e-10 + s.NumericalError) "P_p(A) − P_q(A)"
              // A separating event never separates more than TV; here ½∫|p − q| by quadrature around its crossings.
              let tv = 0.5 * Quadrature.composite (fun x -> abs (gap x)) -12.0 12.0 24000 16
              Expect.isLessThanOrEqual s.Lower.Value (tv + 1e-6) "below the mixture's TV"
              Expect.isGreaterThan s.Lower.Value (0.5 * tv) "and of its order"
          }

          test "DiagonalLaw.MomentMatched is the law of total variance, and refuses no laws" {
              let m = DiagonalLaw.MomentMatched draws
              Expect.floatClose Accuracy.veryHigh m.Mean[0] matched.Mean[0] "mean of the means"
              Expect.floatClose Accuracy.veryHigh m.Variance[0] matched.Variance[0] "E variance + variance of the means"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> DiagonalLaw.MomentMatched([||]) |> ignore)
                  "an empty mixture"
          }

          test "with moments from the draws, A comes from the even-numbered draws and the mean from the odd-numbered" {
              let q = law1 0.0 1.0
              let s = nonNull (MixtureSeparation.Of(draws, Array.create draws.Length q, q, null))
              Expect.isTrue s.SplitDraws "split"
              Expect.equal s.Draws 4 "the odd-numbered half"
          }

          test "references must pair with the draws, and threads are −1 or ≥ 1" {
              let q = law1 0.0 1.0

              Expect.throwsT<ArgumentException>
                  (fun () -> MixtureSeparation.Of(draws, [| q |], q, matched) |> ignore)
                  "one reference for eight draws"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () ->
                      MixtureSeparation.Of(draws, Array.create draws.Length q, q, matched, 0)
                      |> ignore)
                  "zero threads"
          }

          testPropertyWithConfig cfg "a separating event never separates two laws by more than their TV"
          <| fun (FourLaws(x, y, g, r)) ->
              match
                  ProductTotalVariation.Separation(x, y, g, r) |> Option.ofNullable,
                  ProductTotalVariation.Of(x, y) |> Option.ofNullable
              with
              | Some s, Some tv -> abs s.Value <= tv.Value + s.Error + tv.Error
              | _ -> false

          test "P_X(A) − P_Y(A) agrees with a Monte Carlo estimate within 5 SE" {
              let x = DiagonalLaw([| 0.1; -0.2; 0.0; 0.3 |], [| 1.0; 0.7; 1.5; 0.4 |])
              let y = DiagonalLaw([| 0.0; 0.0; 0.1; 0.2 |], [| 1.1; 0.6; 1.3; 0.5 |])
              let g = DiagonalLaw([| 0.05; -0.1; 0.0; 0.25 |], [| 0.9; 0.8; 1.4; 0.45 |])
              let r = DiagonalLaw([| 0.0; 0.0; 0.0; 0.2 |], [| 1.0; 0.6; 1.6; 0.5 |])
              let s = (ProductTotalVariation.Separation(x, y, g, r)).Value
              let rng = Random.Xoshiro256StarStar(20261207)

              let inA (law: DiagonalLaw) =
                  let mutable logRatio = 0.0

                  for i in 0..3 do
                      let v = law.Mean[i] + sqrt law.Variance[i] * Normal.Sample(rng, 0.0, 1.0)

                      logRatio <-
                          logRatio + Normal(g.Mean[i], sqrt g.Variance[i]).DensityLn v
                          - Normal(r.Mean[i], sqrt r.Variance[i]).DensityLn v

                  if logRatio > 0.0 then 1.0 else 0.0

              // Independent samples from X and Y: the difference of the two indicator means.
              let n = 200_000
              let px, sx = meanAndSe (Array.init n (fun _ -> inA x))
              let py, sy = meanAndSe (Array.init n (fun _ -> inA y))
              let se = sqrt (sx * sx + sy * sy)
              Expect.isLessThanOrEqual (abs (s.Value - (px - py))) (z5 * se + s.Error) $"{s.Value} vs {px - py} ± {se}"
          } ]
