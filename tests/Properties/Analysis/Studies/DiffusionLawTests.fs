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
        [ // Both integrators are first order in the step: W2 = C·h·(1 + a·h + …), so the local order between h and h/2
          // is 1 + a·h/(2 ln 2) + O(h²), and its last value is within its last change of 1 (twice that, the rule the
          // reports apply to exact curves, leaves room for the O(h²) terms). A wrong closed form leaves a distance
          // that stops shrinking: the order falls towards 0.
          let firstOrder (w: int -> float) =
              let w1, w2, w3 = w 250, w 500, w 1000
              let p1, p2 = log (w1 / w2) / log 2.0, log (w2 / w3) / log 2.0

              Expect.isLessThanOrEqual
                  (abs (p2 - 1.0))
                  (2.0 * abs (p2 - p1))
                  $"local orders {p1}, {p2} (W2 {w1}, {w2}, {w3})"

          test "ULA converges to the overdamped law, first order in the step" {
              firstOrder (gap PoissonMidpointStudy.Overdamped DiffusionLaw.overdamped)
          }

          test "ULMC converges to the underdamped law (γ = 2, unit mass), first order in the step" {
              firstOrder (gap (PoissonMidpointStudy.Underdamped 2.0) (DiffusionLaw.underdamped 2.0))
          } ]
