/// χ²(p‖p_G) of a Gaussian mixture against its moment-matched law: the closed-form pair integral against quadrature,
/// its accuracy for nearby laws, and the U-statistic's unbiasedness, error and control variate on finite mixtures.
module RateLab.Properties.Core.Exact.MixtureChiSquareTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Exact
open RateLab.Properties.Core.Exact.Fixtures
open RateLab.Properties.Generators
open RateLab.Properties.Stats

/// One coordinate's pair integral: two draw laws (m₁, v₁), (m₂, v₂) and a matched law (m_g, v_g) with
/// A = 1/v₁ + 1/v₂ − 1/v_g ≥ (1/v₁ + 1/v₂)/5, so the integrand decays like a Gaussian of precision A.
type PairCase = PairCase of m1: float * v1: float * m2: float * v2: float * mg: float * vg: float

type PairArbs =
    static member PairCase() : Arbitrary<PairCase> =
        gen {
            let! m1 = uniformOn -1.5 1.5
            let! m2 = uniformOn -1.5 1.5
            let! mg = uniformOn -1.0 1.0
            let! v1 = logUniformOn 0.2 3.0
            let! v2 = logUniformOn 0.2 3.0
            let! vg = logUniformOn 0.2 3.0
            return PairCase(m1, v1, m2, v2, mg, max vg (1.25 / (1.0 / v1 + 1.0 / v2)))
        }
        |> Arb.fromGen

let private cfg =
    { config with
        arbitrary = typeof<PairArbs> :: config.arbitrary }

let private logNormal m v x =
    -0.5 * log (2.0 * Math.PI * v) - (x - m) * (x - m) / (2.0 * v)

/// ∫ N(x; m₁, v₁) N(x; m₂, v₂) / N(x; m_g, v_g) dx by double-exponential quadrature over ±40 standard deviations of
/// the integrand's Gaussian shape, in pieces of one standard deviation.
let private quadrature m1 v1 m2 v2 mg vg =
    let a = 1.0 / v1 + 1.0 / v2 - 1.0 / vg
    let centre = (m1 / v1 + m2 / v2 - mg / vg) / a
    let sd = 1.0 / sqrt a

    let f =
        Func<float, float>(fun x -> exp (logNormal m1 v1 x + logNormal m2 v2 x - logNormal mg vg x))

    [ -40 .. 39 ]
    |> List.sumBy (fun k ->
        MathNet.Numerics.Integrate.OnClosedInterval(f, centre + float k * sd, centre + float (k + 1) * sd, 1e-14))

let private law (m: float) (v: float) w = DiagonalLaw([| m |], [| v |], [| w |])

// The mixture of the unbiasedness tests: 4 atoms on 2 coordinates (multiplicities 1 and 2), offsets of order 0.3.
let private mixture =
    atomMixture
        [| 0.3; 0.2; 0.25; 0.25 |]
        [| [| 0.3; -0.2 |], [| 0.8; 1.1 |]
           [| -0.1; 0.25 |], [| 1.2; 0.9 |]
           [| 0.0; 0.1 |], [| 1.0; 1.3 |]
           [| -0.35; -0.1 |], [| 0.9; 0.8 |] |]
        [| 1.0; 2.0 |]

// R independent estimates from M draws each, seeded.
let private estimates (m: AtomMixture) (matched: DiagonalLaw) replicates draws seed =
    let rng = Random(seed: int)

    Array.init replicates (fun _ -> MixtureChiSquare.Estimate(m.Draw rng draws, matched))

[<Tests>]
let tests =
    testList
        "Core.Exact.MixtureChiSquare"
        [ testPropertyWithConfig cfg "the closed-form pair integral agrees with quadrature"
          <| fun (PairCase(m1, v1, m2, v2, mg, vg)) ->
              let closed = MixtureChiSquare.LogPairIntegral(m1, v1, m2, v2, mg, vg)
              // The quadrature's relative error is far below 1e-10 on this smooth, Gaussian-tailed integrand.
              abs (closed - log (quadrature m1 v1 m2 v2 mg vg)) < 1e-10

          test "the pair integral is +∞ exactly when 1/v₁ + 1/v₂ ≤ 1/v_g" {
              Expect.equal (MixtureChiSquare.LogPairIntegral(0.1, 2.0, -0.2, 2.0, 0.0, 1.0)) infinity "A = 0"
              Expect.equal (MixtureChiSquare.LogPairIntegral(0.0, 3.0, 0.0, 2.5, 0.0, 1.0)) infinity "A < 0"
              Expect.isTrue (Double.IsFinite(MixtureChiSquare.LogPairIntegral(0.0, 1.99, 0.0, 2.0, 0.0, 1.0))) "A > 0"

              Expect.equal
                  (MixtureChiSquare.PairExcess(law 0.0 3.0 1.0, law 0.0 2.5 1.0, law 0.0 1.0 1.0))
                  infinity
                  "one diverging coordinate makes the pair diverge"
          }

          test "I − 1 keeps full relative accuracy for nearby laws (offsets 1e-7)" {
              // With d = (m − m_g)/√v_g, r = v/v_g − 1 and ρ = r + d², I − 1 = w(d₁d₂ + ½ρ₁ρ₂)(1 + O(δ)): a form
              // exp(log I) − 1 would lose about 1e-16/|I − 1| ≈ 1e-2 relative here, the stable one keeps O(δ) = 1e-7.
              let delta = 1e-7
              let w = 3.0
              let g = law 0.5 2.0 w

              let offset (d: float) (r: float) =
                  law (0.5 + d * sqrt 2.0) (2.0 * (1.0 + r)) w

              let d1, r1, d2, r2 = delta, 2.0 * delta, -0.5 * delta, 1.5 * delta
              let first = w * (d1 * d2 + 0.5 * (r1 + d1 * d1) * (r2 + d2 * d2))
              let excess = MixtureChiSquare.PairExcess(offset d1 r1, offset d2 r2, g)
              Expect.isLessThan (abs (excess / first - 1.0)) (20.0 * delta) "relative to the first-order part"
          }

          test "Û is unbiased for χ² and its standard error is conservative (finite mixture)" {
              let chi2 = mixture.ChiSquare
              let runs = estimates mixture mixture.Matched 400 64 20261123
              let values = runs |> Array.map (fun e -> e.Value)
              let mean, se = meanAndSe values
              // z5: false-failure probability 5.7e-7 per comparison under the CLT over 400 replicates.
              Expect.isTrue (within z5 se mean chi2) $"mean Û = {mean} ± {se}, exact χ² = {chi2}"
              let variance, varianceSe = varianceAndSe values
              let claimed = runs |> Array.averageBy (fun e -> e.StandardError * e.StandardError)

              Expect.isLessThanOrEqual
                  variance
                  (claimed + z5 * varianceSe)
                  $"Var Û = {variance} ± {varianceSe} against the mean SE² {claimed}"
          }

          test "against a law that is not the moment-matched one, the estimate is biased (the test can fail)" {
              // p_G with its first mean shifted by 0.1: the removed first-order part no longer has mean 0.
              let m = mixture.Matched

              let shifted =
                  DiagonalLaw([| m.Mean.[0] + 0.1; m.Mean.[1] |], m.Variance.ToArray(), m.Multiplicity.ToArray())

              let wrong = { mixture with Matched = shifted }
              let values = estimates wrong shifted 400 64 20261123 |> Array.map (fun e -> e.Value)
              let mean, se = meanAndSe values
              Expect.isFalse (within z5 se mean wrong.ChiSquare) $"mean Û = {mean} ± {se}, χ² = {wrong.ChiSquare}"
          }

          test "removing the first-order part leaves an error far below the plain kernel's δ²/M (offsets 0.01)" {
              let small =
                  atomMixture
                      [| 0.5; 0.3; 0.2 |]
                      [| [| 0.01 |], [| 1.0 |]; [| -0.01 |], [| 1.02 |]; [| 0.005 |], [| 0.985 |] |]
                      [| 1.0 |]

              let draws = small.Draw (Random 7) 64
              let e = MixtureChiSquare.Estimate(draws, small.Matched)

              let pairs =
                  [| for i in 0..63 do
                         for j in i + 1 .. 63 do
                             MixtureChiSquare.PairExcess(draws.[i], draws.[j], small.Matched) |]

              let _, pairSe = meanAndSe pairs
              let plain = sqrt 2.0 * (pairSe * sqrt (float pairs.Length)) / 64.0
              // Plain kernel: error ≈ √2 sd(I − 1)/M ~ δ²/M; with the first-order part removed, ~δ⁴/√M: 1e-3 of it.
              Expect.isLessThan e.StandardError (0.01 * plain) $"SE {e.StandardError} against the plain {plain}"
          }

          test "Û is the mean of I − 1 − ℓ over pairs, summed directly, and the same bit for bit on any thread count" {
              // ℓ = Σ w (d d′ + ½ ρ ρ′), ρ = r + d², in the offsets against the matched law (class summary).
              let direct (draws: DiagonalLaw[]) (matched: DiagonalLaw) =
                  let offsets (l: DiagonalLaw) =
                      Array.init l.Count (fun c ->
                          let d = (l.Mean.[c] - matched.Mean.[c]) / sqrt matched.Variance.[c]
                          let r = (l.Variance.[c] - matched.Variance.[c]) / matched.Variance.[c]
                          d, r + d * d)

                  let o = Array.map offsets draws
                  let m = draws.Length

                  let sum =
                      seq {
                          for i in 0 .. m - 1 do
                              for j in i + 1 .. m - 1 do
                                  let l =
                                      Array.fold2
                                          (fun acc ((d1, p1), (d2, p2)) w -> acc + w * (d1 * d2 + 0.5 * p1 * p2))
                                          0.0
                                          (Array.zip o.[i] o.[j])
                                          (matched.Multiplicity.ToArray())

                                  MixtureChiSquare.PairExcess(draws.[i], draws.[j], matched) - l
                      }
                      |> Seq.sum

                  sum / (0.5 * float m * float (m - 1))

              let near =
                  atomMixture
                      [| 0.5; 0.3; 0.2 |]
                      [| [| 1e-3 |], [| 1.0 |]; [| -1e-3 |], [| 1.002 |]; [| 5e-4 |], [| 0.9985 |] |]
                      [| 1.0 |]
              // 300 draws: five row blocks of 64, so the parallel parts and their ordered sum are exercised.
              for name, mix, tolerance in [ "offsets 0.3", mixture, 1e-10; "offsets 1e-3", near, 1e-7 ] do
                  let draws = mix.Draw (Random 11) 300
                  let one = MixtureChiSquare.Estimate(draws, mix.Matched, 1)
                  Expect.floatClose { absolute = 0.0; relative = tolerance } one.Value (direct draws mix.Matched) name

                  for threads in [ 2; 3; -1 ] do
                      let e = MixtureChiSquare.Estimate(draws, mix.Matched, threads)
                      Expect.equal e.Value one.Value $"{name}: value on {threads} threads"
                      Expect.equal e.StandardError one.StandardError $"{name}: SE on {threads} threads"
          }

          test "bad arguments are refused with the parameter, value and allowed range" {
              let g = law 0.0 1.0 1.0

              let e =
                  Expect.throwsC (fun () -> MixtureChiSquare.Estimate([| g; g |], g) |> ignore) id

              Expect.isTrue (e :? ArgumentOutOfRangeException) "out of range"
              Expect.stringContains e.Message "draws.Count = 2" "names the count"
              Expect.stringContains e.Message "≥ 3" "names the range"

              let e =
                  Expect.throwsC (fun () -> MixtureChiSquare.Estimate([| g; g; g |], g, 0) |> ignore) id

              Expect.stringContains e.Message "maxThreads = 0" "names the thread limit"
              Expect.stringContains e.Message "≥ 1" "names its range"

              Expect.throwsT<ArgumentException>
                  (fun () ->
                      MixtureChiSquare.Estimate([| g; g; DiagonalLaw([| 0.0; 0.0 |], [| 1.0; 1.0 |]) |], g)
                      |> ignore)
                  "a draw with other coordinates"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> MixtureChiSquare.Estimate([| g; g; g |], law 0.0 0.0 1.0) |> ignore)
                  "a degenerate matched law"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> MixtureChiSquare.LogPairIntegral(0.0, 1.0, 0.0, 1.0, 0.0, 0.0) |> ignore)
                  "v_g = 0"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> MixtureChiSquare.LogPairIntegral(nan, 1.0, 0.0, 1.0, 0.0, 1.0) |> ignore)
                  "a NaN mean"
          } ]
