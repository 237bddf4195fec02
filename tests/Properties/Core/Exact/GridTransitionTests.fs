/// Grid transitions (GridTransition, PoissonMidpointQuadrature.Lmc): a Gaussian kernel propagates a Gaussian law
/// exactly, mass beyond the window is counted, and the banded application equals the dense sum. Deterministic: no
/// false-failure probability.
module RateLab.Properties.Core.Exact.GridTransitionTests

open System
open Expecto
open RateLab.Core.Exact
open RateLab.Core.Targets

// One step on [−6, 6] (Δ = 0.05) from N(0, 0.5²), twelve standard deviations inside, of a kernel whose placed part
// is N(x, 1.2²): the placed law is N(0, 0.25 + 1.44), whose tails beyond ±6 escape (`beyond` of its weight).
let private lo, dx, count = -6.0, 0.05, 241
let private beyond = 2.0 * MathNet.Numerics.Distributions.Normal.CDF(0.0, 1.3, -6.0)

let private stepFromNarrowStart (kernel: float -> GridTransition.KernelSink -> unit) =
    let t = GridTransition(lo, dx, count, (fun _ x sink -> kernel x sink))
    let start = GridLaw.FromLogDensity(lo, dx, count, fun x -> -2.0 * x * x)
    let mutable e, u = 0.0, 0.0
    let next = t.Apply(start, &e, &u)
    next, e, u

// The trapezoid sum also counts half a cell beyond each end of the window.
let private halfCells (law: GridLaw) =
    0.5 * dx * (law.Density.[0] + law.Density.[count - 1])

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
              // From every node: 0.7 N(x, 1.2²), mostly inside, and 0.3 N(x + 40, 1), all of it beyond the window.
              let next, e, u =
                  stepFromNarrowStart (fun x sink ->
                      sink.Add(0.7, x, 1.2)
                      sink.Add(0.3, x + 40.0, 1.0))

              Expect.floatClose Accuracy.veryHigh e (0.3 + 0.7 * beyond) "escaped"
              Expect.isLessThan (abs (next.Mass - 0.7 * (1.0 - beyond))) (halfCells next + 1e-12) "placed"
              Expect.equal u 0.0 "nothing unresolved"

          testCase "a kernel's weight marked unresolved is reported, not placed"
          <| fun () ->
              let next, e, u =
                  stepFromNarrowStart (fun x sink ->
                      sink.Add(0.75, x, 1.2)
                      sink.MarkUnresolved 0.25)

              Expect.floatClose Accuracy.veryHigh u 0.25 "unresolved mass"
              Expect.isLessThan (abs (next.Mass - 0.75 * (1.0 - beyond))) (halfCells next + 1e-12) "the rest placed"
              Expect.floatClose Accuracy.veryHigh e (0.75 * beyond) "its tails escaped"

          testCase "a kernel component with a bad weight, mean or width is refused, naming the parameter"
          <| fun () ->
              for name, add in
                  [ "sd", (fun (sink: GridTransition.KernelSink) -> sink.Add(1.0, 0.0, 0.0))
                    "weight", (fun sink -> sink.Add(-0.1, 0.0, 1.0))
                    "mean", (fun sink -> sink.Add(1.0, nan, 1.0)) ] do
                  // The kernel runs inside the transition's parallel loop, which wraps what it throws.
                  let thrown =
                      match Expect.throwsC (fun () -> stepFromNarrowStart (fun _ sink -> add sink) |> ignore) id with
                      | :? AggregateException as a -> a.InnerException
                      | e -> e

                  match thrown with
                  | :? ArgumentException as e ->
                      Expect.equal e.ParamName name $"names {name}"
                      Expect.stringContains e.Message "allowed" "states the allowed range"
                  | other -> failtestf "expected an ArgumentException, got %A" other ]
