module RateLab.Properties.Core.Diffusion.ScheduleTests

open System
open Expecto
open RateLab.Core.Diffusion
open RateLab.Properties.Probes

/// ᾱ_T by the direct product Π(1 − β_n) (independent of the log1p/expm1 path; agrees to accumulated rounding).
let private alphaBarProduct (s: DdpmSchedule) =
    Seq.fold (fun acc n -> acc * (1.0 - s.Beta n)) 1.0 (seq { 1 .. s.Steps })

[<Tests>]
let tests =
    testList
        "Core.Diffusion.Schedules"
        [ test "Ho linear: β₁ = 1e-4, β_T = 0.02, β₂ on the ramp, ᾱ_T = Π(1 − β)" {
              let s = DdpmSchedule.HoLinear()
              Expect.isTrue (relClose 1e-15 (s.Beta 1) 1e-4) "β₁"
              Expect.isTrue (relClose 1e-15 (s.Beta 1000) 0.02) "β_T"
              Expect.isTrue (relClose 1e-14 (s.Beta 2) (1e-4 + (0.02 - 1e-4) / 999.0)) "β₂"
              Expect.isTrue (relClose 1e-11 (s.Level 1000).AlphaBar (alphaBarProduct s)) "ᾱ_T"
              Expect.isTrue (relClose 1e-15 (s.Level 1).Tau 1e-4) "τ₁ = β₁"
          }
          test "latent-diffusion √β-linear: published ranges, midpoint value" {
              for s, hi in
                  [ DdpmSchedule.LatentDiffusionVqF4(), 0.0195
                    DdpmSchedule.LatentDiffusionKlF8(), 0.0155 ] do
                  Expect.isTrue (relClose 1e-15 (s.Beta 1) 0.0015) "β₁"
                  Expect.isTrue (relClose 1e-14 (s.Beta 1000) hi) "β_T"
                  let u = 499.0 / 999.0
                  let mid = (sqrt 0.0015 + u * (sqrt hi - sqrt 0.0015)) ** 2.0
                  Expect.isTrue (relClose 1e-14 (s.Beta 500) mid) "β₅₀₀"
                  Expect.isTrue (relClose 1e-11 (s.Level 1000).AlphaBar (alphaBarProduct s)) "ᾱ_T"
          }
          test "cosine: β₁ from g, last β clipped to 0.999, ᾱ_T tiny but positive" {
              let s = DdpmSchedule.Cosine()

              let g u =
                  Math.Cos((u + 0.008) / 1.008 * Math.PI / 2.0) ** 2.0

              Expect.isTrue (relClose 1e-12 (s.Beta 1) (1.0 - g 0.001 / g 0.0)) "β₁"
              Expect.equal (s.Beta 1000) 0.999 "β_T clipped"
              let aT = (s.Level 1000).AlphaBar
              Expect.isTrue (aT > 0.0 && aT < 1e-6) $"ᾱ_T = {aT}"
              Expect.isTrue (relClose 1e-11 aT (alphaBarProduct s)) "ᾱ_T"
              Expect.isTrue (relClose 1e-15 (s.Level 1000).Tau (1.0 - aT)) "τ_T = 1 − ᾱ_T (exact there)"
          }
          test "respacing uses the effective β_{n→m} = 1 − ᾱ_n/ᾱ_m" {
              let s = DdpmSchedule.HoLinear()
              let g = s.Respace [| 1000; 600; 250; 0 |]
              Expect.equal g.Steps 3 "steps"
              let beta = NoiseTransitions.Beta(g.[2], g.[1])
              Expect.isTrue (relClose 1e-13 beta (1.0 - (s.Level 600).AlphaBar / (s.Level 250).AlphaBar)) "β_{600→250}"
              Expect.equal (s.Uniform 50).Steps 50 "uniform respacing"
              Expect.equal (s.Uniform 50).[1] (s.Level 980) "second level of 50 uniform steps"
              Expect.equal (s.Full()).Steps 1000 "full grid"
          }
          test "grids: log-SNR and OU-time uniform, EDM ρ-grid" {
              let g = NoiseGrid.LogSnrUniform(1.0 - 1e-4, 1e-3, 16)
              let dl = [| for i in 0..15 -> g.[i + 1].LogSnr - g.[i].LogSnr |]
              Expect.isTrue (dl |> Array.forall (relClose 1e-10 dl.[0])) "equal λ steps"
              Expect.equal g.End.Tau 1e-3 "ends exactly at δ"
              let o = NoiseGrid.OuTimeUniform(0.99, 0.0, 8)
              let dt = [| for i in 0..7 -> o.[i].OuTime - o.[i + 1].OuTime |]
              Expect.isTrue (dt |> Array.forall (relClose 1e-12 dt.[0])) "equal t steps"
              let e = NoiseGrid.Edm(18)
              Expect.equal e.Steps 18 "17 σ-levels then 0: 18 steps"
              Expect.isTrue (relClose 1e-14 e.[0].Sigma 80.0) "σ_max"
              Expect.isTrue (relClose 1e-14 e.[17].Sigma 0.002) "σ_min"
              Expect.equal e.End.Tau 0.0 "σ_N = 0"

              let r =
                  (80.0 ** (1.0 / 7.0) + 5.0 / 17.0 * (0.002 ** (1.0 / 7.0) - 80.0 ** (1.0 / 7.0)))
                  ** 7.0

              Expect.isTrue (relClose 1e-13 e.[5].Sigma r) "σ₅ of the ρ-grid"
          }
          test "bad schedules and grids raise errors naming the parameter" {
              let s = DdpmSchedule.HoLinear()

              Expect.isTrue
                  (throwsNaming "indices" (fun () -> s.Respace [| 1000; 1000; 0 |] |> ignore))
                  "not decreasing"

              Expect.isTrue (throwsNaming "indices" (fun () -> s.Respace [| 500; 700; 0 |] |> ignore)) "unsorted"
              Expect.isTrue (throwsNaming "indices" (fun () -> s.Respace [| 1001; 0 |] |> ignore)) "index past T"
              Expect.isTrue (throwsNaming "indices.Count" (fun () -> s.Respace [||] |> ignore)) "empty"
              Expect.isTrue (throwsNaming "levels.Count" (fun () -> NoiseGrid([||], "empty") |> ignore)) "empty grid"

              Expect.isTrue
                  (throwsNaming "levels" (fun () ->
                      NoiseGrid([| NoiseLevel.FromTau 0.5; NoiseLevel.FromTau 0.7 |], "increasing")
                      |> ignore))
                  "unsorted grid"

              Expect.isTrue
                  (throwsNaming "tauMin" (fun () -> NoiseGrid.LogSnrUniform(0.5, 0.6, 4) |> ignore))
                  "τ_min > τ_max"

              Expect.isTrue (throwsNaming "steps" (fun () -> NoiseGrid.LogSnrUniform(0.9, 0.1, 0) |> ignore)) "0 steps"
              Expect.isTrue (throwsNaming "betas[0]" (fun () -> DdpmSchedule([| 1.0 |], "bad") |> ignore)) "β = 1"
              Expect.isTrue (throwsNaming "n" (fun () -> s.Beta 0 |> ignore)) "β₀"
          } ]
