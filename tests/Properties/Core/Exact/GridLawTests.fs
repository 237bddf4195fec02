/// Grid laws (GridLaw): KL, W2, TV, mass and moments of Gaussians on a grid against their closed forms, down to gaps
/// where a naive sum would cancel. Deterministic quadrature: no false-failure probability.
module RateLab.Properties.Core.Exact.GridLawTests

open System
open Expecto
open RateLab.Core.Exact

let private gaussian lower spacing count (m: float) (s: float) =
    GridLaw.FromLogDensity(lower, spacing, count, fun x -> -0.5 * (x - m) * (x - m) / (s * s))

let private grid = gaussian -12.0 0.01 2401

let private relative a b = abs (a / b - 1.0)

[<Tests>]
let tests =
    testList
        "Core.Exact.GridLaw"
        [ testCase "mass, mean and variance of a Gaussian to round-off"
          <| fun () ->
              let p = grid 0.3 1.2
              Expect.floatClose Accuracy.veryHigh p.Mass 1.0 "mass"
              Expect.floatClose Accuracy.veryHigh p.Mean 0.3 "mean"
              Expect.floatClose Accuracy.veryHigh p.Variance 1.44 "variance"

          testCase "KL between Gaussians matches the closed form, tiny gaps included"
          <| fun () ->
              // s² = 1 + e; e − log(1 + e) by log1p, so the reference keeps its digits at e = 1e-5.
              for dm, e in [ 0.5, 0.3; 1e-3, 0.0; 1e-5, 1e-5 ] do
                  let p, q = grid dm (sqrt (1.0 + e)), grid 0.0 1.0

                  let exact =
                      if e = 0.0 then
                          0.5 * dm * dm
                      else
                          0.5 * (e - RateLab.Core.Numerics.StableMath.Log1p e + dm * dm)

                  let kl = GridLaw.KullbackLeibler(p, q)
                  Expect.isLessThan (relative kl exact) 1e-8 $"KL at Δm = {dm}, s² = 1 + {e}: {kl} vs {exact}"

          testCase "W2 between Gaussians matches the closed form, tiny gaps and far tails included"
          <| fun () ->
              for dm, s in [ 0.7, 1.5; 1e-4, 1.0; 3e-7, 1.0 + 2e-7; 0.0, 1.0 + 1e-6 ] do
                  let p, q = grid dm s, grid 0.0 1.0
                  let exact = sqrt (dm * dm + (s - 1.0) * (s - 1.0))
                  let w2 = GridLaw.Wasserstein2(p, q)
                  Expect.isLessThan (relative w2 exact) 1e-6 $"W2 at Δm = {dm}, s = {s}: {w2} vs {exact}"

          // The trapezoid rule on |p − q| errs by at most Δ²|(p − q)′|/8 at the one crossing, and |(p − q)′| ≤ Δm/√(2π)
          // for unit Gaussians (the derivative of the difference is at most Δm times the largest |φ″|, 1/√(2π)).
          testCase "TV between equal-variance Gaussians matches the closed form within the kink's error"
          <| fun () ->
              for dm in [ 0.8; 1e-4 ] do
                  let p, q = grid dm 1.0, grid 0.0 1.0
                  let exact = GaussianTotalVariation.OneDimensional(dm, 1.0, 0.0, 1.0)
                  let tv = GridLaw.TotalVariation(p, q)
                  let bound = 0.01 * 0.01 * dm / sqrt (2.0 * Math.PI) / 8.0 + 1e-15
                  Expect.isLessThan (abs (tv - exact)) bound $"TV at Δm = {dm}: {tv} vs {exact}"

          testCase "laws on different grids are refused, naming the argument"
          <| fun () ->
              let p, q = grid 0.0 1.0, gaussian -12.0 0.02 1201 0.0 1.0

              match Expect.throwsC (fun () -> GridLaw.KullbackLeibler(p, q) |> ignore) id with
              | :? ArgumentException as e ->
                  Expect.equal e.ParamName "q" "names q"
                  Expect.stringContains e.Message "allowed" "states the allowed grid"
              | other -> failtestf "expected an ArgumentException, got %s" (other.GetType().Name) ]
