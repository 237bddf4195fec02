module RateLab.Properties.Boltzmann.IdentityTests

open System
open Expecto
open RateLab.Core.Targets
open RateLab.Core.Randomness
open RateLab.Boltzmann
open RateLab.Properties.Generators
open RateLab.Properties.Boltzmann.Fixtures

let private logNormal (x: ReadOnlySpan<float>) v =
    let mutable s = 0.0

    for i in 0 .. x.Length - 1 do
        s <- s + x.[i] * x.[i]

    -0.5 * float x.Length * log (2.0 * Math.PI * v) - 0.5 * s / v

/// φₙ = log N(x; 0, σ²tₙ) for n ≥ 1 and log F₀ = 0 (the point mass at 0): the reference's own marginals.
type private ReferenceFlow(sigma: float) =
    interface IStateLogFlow with
        member _.Parameters = [||]
        member _.Gradient = [||]

        member _.LogFlow(x, n, grid) =
            if n = 0 then
                0.0
            else
                logNormal x (sigma * sigma * grid.[n])

        member _.Backward(_, _, _, _) = ()

[<Tests>]
let tests =
    testList
        "Boltzmann.Identities"
        [ testPropertyWithConfig
              config
              "time grids start at 0, end at 1, increase, and random grids keep max Δ / min Δ ≤ ρ"
          <| fun (Seed s) (gc: GridCase) ->
              let grid = gridOf gc
              let t = Array.zeroCreate (grid.Steps + 1)
              grid.Fill(PhiloxNoise(s), 3L, Span t)
              let deltas = Array.init grid.Steps (fun n -> t.[n + 1] - t.[n])

              t.[0] = 0.0
              && t.[grid.Steps] = 1.0
              && Array.forall (fun x -> x > 0.0) deltas
              && (grid.Kind <> GridKind.Random
                  || Array.max deltas / Array.min deltas <= grid.Ratio * (1.0 + 1e-12))

          testPropertyWithConfig
              config
              "zero drift + exact bridge + reference-marginal flow: every DB residual is exactly 0"
          <| fun (Seed s) (gc: GridCase) ->
              let grid = gridOf gc
              let sigma = 0.5 + float (s % 7UL) / 3.0

              let target =
                  NormalisedGaussian([| 0.0; 0.0; 0.0 |], Array.create 3 (sigma * sigma)) :> ITarget

              let policy = EulerMaruyamaPolicy(ZeroDrift(3), sigma)
              let batch = forwardBatch policy target grid s 8

              let loss, _ =
                  ObjectiveGradients(8, grid.Steps, 3)
                      .Evaluate(Objective.DetailedBalance, policy, target, batch, ReferenceFlow(sigma), 0.0)
              // Round-off only: residuals are sums of O(10) terms of size O(10), each exact to ~1e-15.
              loss < 1e-24

          testPropertyWithConfig config "TB log-ratio equals the Itô-sum form on any grid, for random drifts (C4)"
          <| fun (Seed s) (gc: GridCase) ->
              let grid = gridOf gc
              let d = 2
              let sigma = 0.7 + float (s % 5UL) / 2.0
              let drift = smallDrift d s
              let policy = EulerMaruyamaPolicy(drift, sigma)
              let target = DiagonalGaussian([| 1.0; -0.5 |], [| 0.5; 2.0 |]) :> ITarget
              let batch = forwardBatch policy target grid (s + 1UL) 6
              let y = Array.zeroCreate (2 * d)

              [ for b in 0 .. batch.Size - 1 ->
                    let t = batch.Grid(b).ToArray()
                    let mutable ito = 0.0
                    let mutable scale = 0.0

                    for n in 0 .. grid.Steps - 1 do
                        let x = batch.State(b, n).ToArray()
                        let next = batch.State(b, n + 1).ToArray()
                        drift.Forward(ReadOnlySpan x, t.[n], Span y)
                        let h = t.[n + 1] - t.[n]

                        for i in 0 .. d - 1 do
                            let term =
                                y.[i] * (next.[i] - x.[i]) / (sigma * sigma)
                                - h * y.[i] * y.[i] / (2.0 * sigma * sigma)

                            ito <- ito + term
                            scale <- scale + abs term

                    let xN = batch.State(b, grid.Steps)

                    let rhs =
                        ito + logNormal (Span.op_Implicit xN) (sigma * sigma) - batch.LogReward.[b]

                    let lhs = batch.Delta(b)
                    abs (lhs - rhs) <= 1e-12 * (1.0 + scale + abs lhs) ]
              |> List.forall id

          testPropertyWithConfig config "zero drift on R = Z·N(0, σ²I): δ ≡ −log Z on any grid"
          <| fun (Seed s) (gc: GridCase) ->
              let grid = gridOf gc
              let sigma = 1.3
              // DiagonalGaussian omits the constant, so Z = (2πσ²)^{d/2}.
              let target = DiagonalGaussian.Isotropic(2, sigma * sigma) :> ITarget
              let logZ = log (2.0 * Math.PI * sigma * sigma)
              let batch = forwardBatch (EulerMaruyamaPolicy(ZeroDrift(2), sigma)) target grid s 5

              [ for b in 0..4 -> abs (batch.Delta(b) + logZ) <= 1e-12 * (1.0 + abs logZ) ]
              |> List.forall id

          testPropertyWithConfig config "exact assignment W2 equals brute force over all permutations (n ≤ 7)"
          <| fun (Seed s) ->
              let rng = Random(int (s % 1000003UL))
              let n = 1 + rng.Next(7)
              let d = 1 + rng.Next(3)
              let a = Array.init (n * d) (fun _ -> rng.NextDouble() * 4.0 - 2.0)
              let b = Array.init (n * d) (fun _ -> rng.NextDouble() * 4.0 - 2.0)

              let cost i j =
                  Seq.sum (seq { for k in 0 .. d - 1 -> (a.[i * d + k] - b.[j * d + k]) ** 2.0 })

              let rec perms =
                  function
                  | [] -> [ [] ]
                  | xs ->
                      [ for x in xs do
                            for rest in perms (List.filter ((<>) x) xs) -> x :: rest ]

              let best =
                  perms [ 0 .. n - 1 ]
                  |> List.map (fun p -> p |> List.mapi cost |> List.sum)
                  |> List.min

              let w2 = OptimalAssignment.Wasserstein2(ReadOnlySpan a, ReadOnlySpan b, d)
              abs (w2 * w2 * float n - best) <= 1e-10 * (1.0 + best)

          test "invalid grid settings are rejected" {
              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> TimeGrid(GridKind.Random, 10, 0.5) |> ignore)
                  "ρ < 1"

              Expect.throwsT<ArgumentOutOfRangeException> (fun () -> TimeGrid(GridKind.Uniform, 0) |> ignore) "N < 1"

              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> TimeGrid(enum<GridKind> 9, 4) |> ignore)
                  "unknown kind"
          } ]
