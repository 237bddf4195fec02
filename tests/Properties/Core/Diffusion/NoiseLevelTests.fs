module RateLab.Properties.Core.Diffusion.NoiseLevelTests

open System
open Expecto
open RateLab.Core.Diffusion
open RateLab.Properties.Generators
open RateLab.Properties.Probes

/// τ spread over [1e-12, 1 − 1e-12] with both ends dense: 10^(−12u) or 1 − 10^(−12u).
let private tauOf (Seed s) =
    let e = Math.Pow(10.0, -12.0 * uniform s 0)
    if uniform s 1 < 0.5 then e else 1.0 - e

let private sameLevel (a: NoiseLevel) (b: NoiseLevel) =
    relClose 1e-14 a.Tau b.Tau && relClose 1e-14 a.AlphaBar b.AlphaBar

let private extremes = [ 1e-12; 1.0 - 1e-12; 0.5 ]

[<Tests>]
let tests =
    testList
        "Core.Diffusion.NoiseLevels"
        [ testList
              "round trips to 1e-14 relative in both τ and ᾱ"
              [ for name, back in
                    [ "log-SNR", (fun (l: NoiseLevel) -> NoiseLevel.FromLogSnr l.LogSnr)
                      "VE sigma", (fun l -> NoiseLevel.FromSigma l.Sigma)
                      "OU time", (fun l -> NoiseLevel.FromOuTime l.OuTime)
                      "log alpha-bar", (fun l -> NoiseLevel.FromLogAlphaBar l.LogAlphaBar) ] do
                    testPropertyWithConfig config $"{name} (random τ)"
                    <| fun seed ->
                        let l = NoiseLevel.FromTau(tauOf seed)
                        sameLevel l (back l)

                    test $"{name} at 1e-12, 1 − 1e-12, ½" {
                        for t in extremes do
                            let l = NoiseLevel.FromTau t
                            Expect.isTrue (sameLevel l (back l)) $"τ = {t:R}"
                    }
                // ᾱ itself cannot carry τ ≪ eps (1 − τ rounds), so the ᾱ ↔ τ trip is exact where ᾱ determines τ: τ ≥ ½.
                testPropertyWithConfig config "alpha-bar (τ ≥ ½)"
                <| fun (Seed s) ->
                    let t = 1.0 - 0.5 * Math.Pow(10.0, -12.0 * uniform s 0)
                    let l = NoiseLevel.FromTau t
                    sameLevel l (NoiseLevel.FromAlphaBar l.AlphaBar) ]
          test "conversions agree with the closed forms λ = log((1 − τ)/τ), σ = √(τ/(1 − τ)), e^{−2t} = 1 − τ" {
              for t in [ 1e-9; 0.01; 0.3; 0.5; 0.9; 1.0 - 1e-9 ] do
                  let l = NoiseLevel.FromTau t
                  Expect.isTrue (relClose 1e-12 l.LogSnr (Math.Log((1.0 - t) / t))) $"λ at τ = {t}"
                  Expect.isTrue (relClose 1e-12 l.Sigma (sqrt (t / (1.0 - t)))) $"σ at τ = {t}"
                  Expect.isTrue (relClose 1e-12 (Math.Exp(-2.0 * l.OuTime)) (1.0 - t)) $"t at τ = {t}"
                  Expect.isTrue (relClose 1e-15 l.SignalScale (sqrt (1.0 - t))) $"signal at τ = {t}"
          }
          test "small τ keeps full relative accuracy in log ᾱ and t" {
              let logAlphaBar = (NoiseLevel.FromTau 1e-14).LogAlphaBar
              // log1p(−τ) = −τ − τ²/2 − … = −(1e-14 + 5e-29); log(1 − τ) would be off by 8e-4 relative.
              Expect.isTrue (relClose 1e-15 logAlphaBar (-(1e-14 + 5e-29))) $"log ᾱ = log1p(−τ), got {logAlphaBar:R}"
              // −expm1(−2e-15) = 2e-15·(1 − 1e-15 + …): a naive 1 − e^{−2t} would be off by ~10%.
              Expect.isTrue (relClose 2e-15 (NoiseLevel.FromOuTime 1e-15).Tau 2e-15) "τ = −expm1(−2t)"
          }
          test "forward transition and posterior match their closed forms" {
              let a, b = NoiseLevel.FromTau 0.2, NoiseLevel.FromTau 0.7
              let f = NoiseTransitions.Forward(a, b)
              Expect.isTrue (relClose 1e-15 f.Scale (sqrt (0.3 / 0.8))) "scale"
              Expect.isTrue (relClose 1e-15 f.Variance ((0.7 - 0.2) / 0.8)) "variance"
              let p = NoiseTransitions.Posterior(a, b)
              let alpha = 0.3 / 0.8
              let beta = 1.0 - alpha
              Expect.isTrue (relClose 1e-14 p.CoefX0 (sqrt 0.8 * beta / 0.7)) "coef x0"
              Expect.isTrue (relClose 1e-14 p.CoefXb (sqrt alpha * 0.2 / 0.7)) "coef xb"
              Expect.isTrue (relClose 1e-14 p.Variance (0.2 / 0.7 * beta)) "β̃"
          }
          test "gap between close small levels has no cancellation" {
              let a, b = NoiseLevel.FromTau 1e-10, NoiseLevel.FromTau 2e-10
              Expect.isTrue (relClose 1e-15 (NoiseLevel.Gap(a, b)) 1e-10) "ᾱ_a − ᾱ_b = τ_b − τ_a"
          }
          test "bad levels raise errors naming the parameter" {
              Expect.isTrue (throwsNaming "tau" (fun () -> NoiseLevel.FromTau 1.0 |> ignore)) "τ = 1"
              Expect.isTrue (throwsNaming "tau" (fun () -> NoiseLevel.FromTau -1e-3 |> ignore)) "τ < 0"
              Expect.isTrue (throwsNaming "tau" (fun () -> NoiseLevel.FromTau nan |> ignore)) "τ NaN"
              Expect.isTrue (throwsNaming "alphaBar" (fun () -> NoiseLevel.FromAlphaBar 0.0 |> ignore)) "ᾱ = 0"
              Expect.isTrue (throwsNaming "sigma" (fun () -> NoiseLevel.FromSigma -1.0 |> ignore)) "σ < 0"
              Expect.isTrue (throwsNaming "lambda" (fun () -> NoiseLevel.FromLogSnr infinity |> ignore)) "λ = ∞"

              Expect.isTrue
                  (throwsNaming "b" (fun () ->
                      NoiseTransitions.Beta(NoiseLevel.FromTau 0.5, NoiseLevel.FromTau 0.4) |> ignore))
                  "order"
          } ]
