/// Grid transitions (GridTransition, PoissonMidpointQuadrature.Lmc): a Gaussian kernel propagates a Gaussian law
/// exactly, mass beyond the window is counted, and the banded application equals the dense sum. Deterministic: no
/// false-failure probability.
module RateLab.Properties.Core.Exact.GridTransitionTests

open System
open Expecto
open RateLab.Core.Exact
open RateLab.Core.Targets

[<Tests>]
let tests =
    testList
        "Core.Exact.GridTransition"
        [ testCase "ULA on N(0, 1) from N(2, 0.5²) follows the exact Gaussian recursion"
          <| fun () ->
              let h, steps = 0.05, 40
              let lo, dx, count = -10.0, 0.02, 1001

              let lmc =
                  PoissonMidpointQuadrature.Lmc(DiagonalGaussian([| 0.0 |], [| 1.0 |]), h, lo, dx, count)

              let mutable law =
                  GridLaw.FromLogDensity(lo, dx, count, fun x -> -2.0 * (x - 2.0) * (x - 2.0))

              let mutable m, v = 2.0, 0.25

              for _ in 1..steps do
                  let mutable e, u = 0.0, 0.0
                  law <- lmc.Apply(law, &e, &u)
                  Expect.isLessThan e 1e-20 "nothing escapes"
                  Expect.equal u 0.0 "every kernel resolved"
                  m <- (1.0 - h) * m
                  v <- (1.0 - h) * (1.0 - h) * v + 2.0 * h

              Expect.floatClose Accuracy.veryHigh law.Mean m "mean"
              Expect.floatClose Accuracy.veryHigh law.Variance v "variance"
              Expect.floatClose Accuracy.veryHigh law.Mass 1.0 "mass"

          testCase "mass a kernel sends beyond the window is counted as escaped, not placed"
          <| fun () ->
              let lo, dx, count = -6.0, 0.05, 241
              // From every node: 0.7 N(x, 1.2²), mostly inside, and 0.3 N(x + 40, 1), all of it beyond the window.
              let t =
                  GridTransition(
                      lo,
                      dx,
                      count,
                      (fun _ x sink ->
                          sink.Add(0.7, x, 1.2)
                          sink.Add(0.3, x + 40.0, 1.0))
                  )

              let start = GridLaw.FromLogDensity(lo, dx, count, fun x -> -2.0 * x * x)
              let mutable e, u = 0.0, 0.0
              let next = t.Apply(start, &e, &u)
              // From N(0, 0.5²) (12 standard deviations inside the window) the inner part's law is N(0, 0.25 + 1.44): its
              // tails beyond ±6 escape too.
              let beyond = 2.0 * MathNet.Numerics.Distributions.Normal.CDF(0.0, 1.3, -6.0)
              Expect.floatClose Accuracy.veryHigh e (0.3 + 0.7 * beyond) "escaped"
              // The trapezoid sum also counts half a cell beyond each end of the window.
              let halfCells = 0.5 * dx * (next.Density.[0] + next.Density.[count - 1])
              Expect.isLessThan (abs (next.Mass - 0.7 * (1.0 - beyond))) (halfCells + 1e-12) "placed"
              Expect.equal u 0.0 "nothing unresolved"

          testCase "a kernel's weight marked unresolved is reported, not placed"
          <| fun () ->
              let lo, dx, count = -6.0, 0.05, 241

              let t =
                  GridTransition(
                      lo,
                      dx,
                      count,
                      (fun _ x sink ->
                          sink.Add(0.75, x, 1.2)
                          sink.MarkUnresolved 0.25)
                  )

              let start = GridLaw.FromLogDensity(lo, dx, count, fun x -> -2.0 * x * x)
              let mutable e, u = 0.0, 0.0
              let next = t.Apply(start, &e, &u)
              // The placed part's law is N(0, 0.25 + 1.44): its tails beyond ±6 escape.
              let beyond = 2.0 * MathNet.Numerics.Distributions.Normal.CDF(0.0, 1.3, -6.0)
              Expect.floatClose Accuracy.veryHigh u 0.25 "unresolved mass"
              let halfCells = 0.5 * dx * (next.Density.[0] + next.Density.[count - 1])
              Expect.isLessThan (abs (next.Mass - 0.75 * (1.0 - beyond))) (halfCells + 1e-12) "the rest placed"
              Expect.floatClose Accuracy.veryHigh e (0.75 * beyond) "its tails escaped" ]
