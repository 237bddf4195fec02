/// The diffusions' exact position laws: the laws their discretisations converge to as the step shrinks.
module RateLab.Properties.Analysis.Studies.DiffusionLawTests

open System
open Expecto
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Analysis.Studies

let private reduction () =
    GaussianReduction.Diagonal(
        ReadOnlySpan [| 0.5; -1.0 |],
        ReadOnlySpan [| 1.0; 0.25 |],
        StartLaw([| 3.0; 2.0 |], [| 0.5; 0.1 |])
    )

/// W2 at time t = 2 between the base chain's exact position law at step 2/n and the diffusion's law.
let private gap dynamics (law: GaussianReduction -> float -> DiagonalLaw) n =
    let r = reduction ()

    let chain =
        ExactAnalysis.Analyse(
            ExactProblem.Langevin(
                r,
                PoissonMidpointStudy.baseKernel dynamics r.Dimension (2.0 / float n) r.Start,
                int64 n
            )
        )

    sqrt (GaussianDistances.W2Squared(chain.Law.Position(ReadOnlySpan r.Multiplicity), law r 2.0))

[<Tests>]
let tests =
    testList
        "Analysis.Studies.DiffusionLaw"
        [ // Both integrators are first order in the step: a 4× smaller step must cut the distance by well over 2× and
          // leave it small; a wrong closed form leaves a distance that does not shrink.
          test "ULA converges to the overdamped law, first order in the step" {
              let coarse, fine =
                  gap PoissonMidpointStudy.Overdamped DiffusionLaw.overdamped 250,
                  gap PoissonMidpointStudy.Overdamped DiffusionLaw.overdamped 1000

              Expect.isLessThan fine (coarse / 3.0) $"W2 {coarse} at h = 0.008, {fine} at h = 0.002"
              Expect.isLessThan fine 1e-2 "small at h = 0.002"
          }

          test "ULMC converges to the underdamped law (γ = 2, unit mass), first order in the step" {
              let law = DiffusionLaw.underdamped 2.0

              let coarse, fine =
                  gap (PoissonMidpointStudy.Underdamped 2.0) law 250,
                  gap (PoissonMidpointStudy.Underdamped 2.0) law 1000

              Expect.isLessThan fine (coarse / 3.0) $"W2 {coarse} at h = 0.008, {fine} at h = 0.002"
              Expect.isLessThan fine 1e-2 "small at h = 0.002"
          } ]
