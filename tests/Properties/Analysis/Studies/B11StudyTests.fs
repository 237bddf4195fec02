/// The B11 study's exact pieces: the pairwise Bernoulli rule against full enumeration for PLMC-DDPM, the equal-NFE
/// arms' counted cost, and the one-dimensional mixture KL quadrature against closed forms.
module RateLab.Properties.Analysis.Studies.B11StudyTests

open RateLab.Core.Contracts
open System
open Expecto
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Analysis.Studies

let private data =
    GaussianReduction.Diagonal(ReadOnlySpan [| 0.3; 0.0 |], ReadOnlySpan [| 0.25; 0.05 |], StartLaw.Isotropic(2, 1.0))

let private momentsWith (rule: IStepDraws -> DrawQuadrature) (kernel: PoissonMidpointDdpm) =
    let propagator =
        AffinePropagator(kernel, data.NoisedScore(), data.CentredNoisedScore(), ProbeNoise())

    let law = GaussianState(kernel.Blocks, kernel.Dimension)
    ExactAnalysis.PropagateMoments(propagator, rule kernel, int64 kernel.Steps, law)
    law

[<Tests>]
let tests =
    testList
        "Analysis.Studies.B11Study"
        [ test
              "pairwise Bernoulli rule: PLMC-DDPM's exact moments equal full enumeration of the 2^(K-1) patterns (K = 8)" {
              let kernel =
                  PoissonMidpointDdpm(2, DdpmSchedule.LatentDiffusionVqF4(), 8, DdpmVariance.Posterior)

              let pairwise = momentsWith DrawQuadrature.PairwiseBernoulli kernel
              let full = momentsWith (fun d -> DrawQuadrature(d, 1)) kernel
              Expect.equal (DrawQuadrature(kernel, 1)).Count 128 "enumeration: 2^7 patterns"
              Expect.equal (DrawQuadrature.PairwiseBernoulli kernel).Count (1 + 7 + 21) "pairwise: 1 + 7 + 21 patterns"

              for a, b in
                  Seq.zip (Array.append pairwise.Mean pairwise.Covariance) (Array.append full.Mean full.Covariance) do
                  Expect.floatClose Accuracy.veryHigh a b "same exact moments"
          }

          test "pairwise Bernoulli rule: weights sum to 1, and a product of three switches is not integrated exactly" {
              // E[H₁H₂H₃] = p³ needs the triple pattern, which the rule leaves out: the rule is exact for degree 2 only,
              // so the agreement above is a property of PLMC, not of any kernel.
              let draws =
                  { new IStepDraws with
                      member _.UniformsPerStep = 3
                      member _.Draw(_: int) = StepDraw(DrawKind.Bernoulli, 0.3) }

              let rule = DrawQuadrature.PairwiseBernoulli draws
              Expect.floatClose Accuracy.veryHigh (Array.sum rule.Weights) 1.0 "weights sum to 1"
              let on c u = rule.Points[c * 3 + u] < 0.3

              let expect f =
                  Seq.sum (seq { for c in 0 .. rule.Count - 1 -> rule.Weights[c] * f (on c) })

              let h (on: int -> bool) i = if on i then 1.0 else 0.0

              Expect.floatClose
                  Accuracy.veryHigh
                  (expect (fun on -> h on 0 * h on 2 + 2.0 * h on 1))
                  (0.09 + 0.6)
                  "degree 2 exact"

              Expect.isGreaterThan (abs (expect (fun on -> h on 0 * h on 1 * h on 2) - 0.027)) 1e-3 "degree 3 is not"
          }

          test "equal NFE: every competitor's counted NFE is within 1 of the target" {
              let one =
                  GaussianReduction.Diagonal(
                      ReadOnlySpan [| 0.0 |],
                      ReadOnlySpan [| 0.25 |],
                      StartLaw.Isotropic(1, 1.0)
                  )

              for nfe in [ 49; 78 ] do
                  for c in B11Study.competitors do
                      let arm = B11Study.competitorArm one c nfe
                      Expect.isLessThanOrEqual (abs (arm.Nfe - float nfe)) 1.0 $"{arm.Name}: {arm.Nfe} NFE for {nfe}"
          }

          test "mixture KL quadrature: a single component and two equal components give the closed-form Gaussian KL" {
              let closed m v mu l =
                  0.5 * (v / l + (m - mu) ** 2.0 / l - 1.0 - log (v / l))

              Expect.floatClose
                  Accuracy.veryHigh
                  (B11Study.mixtureKl1D [| 0.1 |] [| 0.3 |] 0.0 0.25)
                  (closed 0.1 0.3 0.0 0.25)
                  "one"

              Expect.floatClose
                  Accuracy.veryHigh
                  (B11Study.mixtureKl1D [| -0.2; -0.2 |] [| 0.1; 0.1 |] 0.5 2.0)
                  (closed -0.2 0.1 0.5 2.0)
                  "two equal"
              // A genuine mixture lies strictly between its moment-matched Gaussian's KL (lower, Pythagorean identity)
              // and the mean of its components' KLs (upper, convexity).
              let m, v = [| -0.5; 0.5 |], [| 0.2; 0.2 |]
              let kl = B11Study.mixtureKl1D m v 0.0 0.25
              Expect.isGreaterThan kl (closed 0.0 0.45 0.0 0.25) "above the moment-matched KL"
              Expect.isLessThan kl (closed 0.5 0.2 0.0 0.25) "below the mean component KL"
          } ]
