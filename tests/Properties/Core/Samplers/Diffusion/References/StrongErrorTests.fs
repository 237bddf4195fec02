/// Strong-error orders against the coupled reference (docs/background.md): the randomized midpoint along smooth
/// PF-ODE trajectories has strong error ∝ √d n^{−3/2}.
module RateLab.Properties.Core.Samplers.Diffusion.References.StrongErrorTests

open System
open Expecto
open RateLab.Core.Diffusion
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Samplers.Diffusion.References
open RateLab.Properties
open RateLab.Properties.Core.Samplers.Diffusion.Fixtures

// Data with L = 1/min λ = 2: at L = 20 (λ = 0.05) the O(n^{−2}) bias part still steepens the local slope to ≈ −1.6 at
// n = 512, i.e. the fit would not yet be on the asymptotic part.
let private data =
    GaussianNoisedScore([| 0.3; -0.2; 0.1; 0.0 |], [| 0.5; 1.0; 2.0; 0.7 |])

let private flow = GaussianReferenceFlow.For data

/// Fits log RMS on log x and checks |slope − expected| ≤ 5·SE, the SE bound propagated from the per-chain spread of
/// each point (delta method for log RMS); false-failure probability ≤ 5.7e-7 if the asymptotic order holds on the grid.
let private checkSlope expected (xs: float[]) (errors: StrongError[]) =
    let ys = errors |> Array.map (fun e -> log e.Rms)
    let ses = errors |> Array.map (fun e -> e.RmsStandardError / e.Rms)
    let slope, se = slopeWithBound (Array.map log xs) ys ses

    Expect.isLessThanOrEqual
        (abs (slope - expected))
        (Stats.z5 * se)
        $"slope {slope} (SE bound {se}), expected {expected}"

[<Tests>]
let tests =
    testList
        "Core.Samplers.Diffusion.References.StrongError (slow)"
        [ test "Gupta predictor: RMS strong error ~ n^-3/2 on a doubling grid" {
              let ns = [| 64; 128; 256; 512; 1024 |]

              let errors =
                  ns
                  |> Array.map (fun n ->
                      CoupledReference.Measure(GuptaCaiChenPredictor(4, ouGrid 5.0 0.01 n), data, flow, 7UL, 2000, 1))

              checkSlope -1.5 (Array.map float ns) errors
          }

          test "Li-Jiao: RMS strong error ~ (T / log T)^-3/2 between the same injections (K = 4)" {
              // The cell width in log-SNR is c₁ log T / T, so n = T / log T cells per unit log-SNR is the step count
              // whose −3/2 power the midpoint argument predicts.
              let ts = [| 64; 128; 256; 512 |]

              let errors =
                  ts
                  |> Array.map (fun t ->
                      CoupledReference.Measure(LiJiao(4, LiJiaoSchedule(t, 4, 2.0, 6.0)), data, flow, 7UL, 1000, 1))

              checkSlope -1.5 (ts |> Array.map (fun t -> float t / log (float t))) errors
          }

          test "upper-endpoint Li-Jiao is first order: its slope is far from -3/2" {
              let ts = [| 64; 128; 256; 512 |]

              let errors =
                  ts
                  |> Array.map (fun t ->
                      CoupledReference.Measure(
                          LiJiao(4, LiJiaoSchedule(t, 4, 2.0, 6.0, LiJiaoLevels.UpperEndpoint)),
                          data,
                          flow,
                          7UL,
                          1000,
                          1
                      ))

              let ys = errors |> Array.map (fun e -> log e.Rms)
              let ses = errors |> Array.map (fun e -> e.RmsStandardError / e.Rms)

              let slope, se =
                  slopeWithBound (ts |> Array.map (fun t -> log (float t / log (float t)))) ys ses

              Expect.isGreaterThan slope (-1.5 + Stats.z5 * se) $"slope {slope} (SE bound {se})"
          } ]
