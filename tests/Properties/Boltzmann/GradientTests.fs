module RateLab.Properties.Boltzmann.GradientTests

open System
open Expecto
open RateLab.Core.Targets
open RateLab.Core.Randomness
open RateLab.Boltzmann
open RateLab.Properties.Generators
open RateLab.Properties.Boltzmann.Fixtures

// Central differences with step e = 1e-6·max(1, |θ|) have truncation error e²|L'''|/6 ≲ 1e-12 and round-off
// ≈ 2u|L|/e ≈ 4e-10·|L| (u = 1.1e-16); with |L| ≲ 10² here, the total is below 1e-7. The tolerance
// 1e-6·(1 + |g|) leaves a factor ≥ 10 of margin over that bound.
let private close (fd: float) (g: float) = abs (fd - g) <= 1e-6 * (1.0 + abs g)

let private step (x: float) = 1e-6 * max 1.0 (abs x)

/// Checks ∂L/∂θᵢ for the listed indices of array p against central differences of `loss`.
let private checkIndices (p: float[]) (g: float[]) (indices: int list) (loss: unit -> float) =
    indices
    |> List.forall (fun i ->
        let e = step p.[i]
        let keep = p.[i]
        p.[i] <- keep + e
        let lp = loss ()
        p.[i] <- keep - e
        let lm = loss ()
        p.[i] <- keep
        let fd = (lp - lm) / (2.0 * e)

        close fd g.[i]
        || (printfn "index %d: fd %g vs %g" i fd g.[i]
            false))

let private someIndices (n: int) (seed: uint64) =
    let rng = Random(int (seed % 100003UL))
    [ yield 0; yield n - 1; for _ in 1..25 -> rng.Next n ] |> List.distinct

let private setup objective (seed: uint64) (gc: GridCase) learnedVariance =
    let d = 2
    let grid = gridOf gc
    let target = DiagonalGaussian([| 0.5; -1.0 |], [| 0.7; 1.5 |]) :> ITarget
    let drift = smallDrift d seed
    let policy = EulerMaruyamaPolicy(drift, 1.2, learnedVariance)
    let flowNet = TimeStateMlp.Flow(d, seed + 5UL, 8, 4)
    let flow = ForwardLookingFlow(flowNet, target, 1.2)
    let batch = forwardBatch policy target grid seed 4
    let work = ObjectiveGradients(4, grid.Steps, d)
    let mutable logZ = 0.3

    let loss () =
        // Off-policy objectives keep the states; KL re-simulates with the same normals (reparameterisation).
        if objective = Objective.KullbackLeibler then
            Trajectories.SampleForward(policy, target, grid, PhiloxNoise(seed), 0L, batch)
        else
            Trajectories.Score(policy, target, batch)

        let mutable gz = 0.0
        let l = work.Evaluate(objective, policy, target, batch, flow, logZ, &gz, 2.0)
        Array.Clear drift.Gradient
        Array.Clear flowNet.Gradient
        l

    drift, flowNet, flow, policy, target, batch, work, loss

let private gradientMatches objective (Seed s) (gc: GridCase) =
    let drift, flowNet, flow, policy, target, batch, work, loss =
        setup objective s gc true

    loss () |> ignore
    let mutable gz = 0.0
    work.Evaluate(objective, policy, target, batch, flow, 0.3, &gz, 2.0) |> ignore
    let g = Array.copy drift.Gradient
    let gf = Array.copy flowNet.Gradient

    let ok =
        checkIndices drift.Parameters g (someIndices drift.Parameters.Length s) loss

    let okFlow =
        objective <> Objective.DetailedBalance
        && objective <> Objective.SubTrajectoryBalance
        || checkIndices flowNet.Parameters gf (someIndices flowNet.Parameters.Length (s + 1UL)) loss
    // Non-vacuous: the analytic gradient must be non-zero somewhere.
    Array.exists ((<>) 0.0) g && ok && okFlow

/// DB / SubTB as trained: the flow head reads the policy's trunk. After FoldGradient the policy's gradient is the
/// gradient in the shared parameters (each perturbation of a trunk entry moves both networks, through Sync), and the
/// flow's own trunk gradient is cleared.
let private sharedTrunkGradientMatches objective (Seed s) (gc: GridCase) =
    let drift, flowNet, flow, policy, target, batch, work, lossOf =
        setup objective s gc true

    let trunk = SharedTrunk(drift, flowNet)

    let loss () =
        trunk.Sync()
        lossOf ()

    loss () |> ignore
    let mutable gz = 0.0
    work.Evaluate(objective, policy, target, batch, flow, 0.3, &gz, 2.0) |> ignore
    trunk.FoldGradient()
    let g = Array.copy drift.Gradient
    let shared = g.[.. trunk.Length - 1]

    Array.forall ((=) 0.0) flowNet.Gradient.[.. trunk.Length - 1]
    && Array.exists ((<>) 0.0) shared
    && checkIndices drift.Parameters g (someIndices trunk.Length s) loss

[<Tests>]
let tests =
    testList
        "Boltzmann.Gradients"
        [ testPropertyWithConfig
              { config with maxTest = 6 }
              "DB, flow head on the policy's trunk: shared-trunk gradient matches central differences"
          <| sharedTrunkGradientMatches Objective.DetailedBalance
          testPropertyWithConfig
              { config with maxTest = 6 }
              "SubTB, flow head on the policy's trunk: shared-trunk gradient matches central differences"
          <| sharedTrunkGradientMatches Objective.SubTrajectoryBalance
          testPropertyWithConfig
              { config with maxTest = 8 }
              "TB: drift-network gradient (learned variance) matches central differences"
          <| gradientMatches Objective.TrajectoryBalance
          testPropertyWithConfig
              { config with maxTest = 8 }
              "VarGrad: drift-network gradient matches central differences"
          <| gradientMatches Objective.VarGrad
          testPropertyWithConfig
              { config with maxTest = 8 }
              "DB (forward-looking flow): drift and flow gradients match central differences"
          <| gradientMatches Objective.DetailedBalance
          testPropertyWithConfig
              { config with maxTest = 8 }
              "SubTB (forward-looking flow): drift and flow gradients match central differences"
          <| gradientMatches Objective.SubTrajectoryBalance
          testPropertyWithConfig
              { config with maxTest = 8 }
              "KL / PIS: reparameterised gradient through the EM steps and ∇log R matches central differences"
          <| gradientMatches Objective.KullbackLeibler

          testPropertyWithConfig { config with maxTest = 10 } "TB: log Z gradient matches central differences"
          <| fun (Seed s) (gc: GridCase) ->
              let _, _, flow, policy, target, batch, work, _ =
                  setup Objective.TrajectoryBalance s gc false

              let lossAt z =
                  let mutable gz = 0.0
                  work.Evaluate(Objective.TrajectoryBalance, policy, target, batch, flow, z, &gz, 2.0)

              let mutable gz = 0.0

              work.Evaluate(Objective.TrajectoryBalance, policy, target, batch, flow, 0.3, &gz, 2.0)
              |> ignore

              close ((lossAt (0.3 + 1e-6) - lossAt (0.3 - 1e-6)) / 2e-6) gz

          testPropertyWithConfig
              { config with maxTest = 10 }
              "network input gradient (∂/∂x, used by PIS) matches central differences"
          <| fun (Seed s) ->
              let net = TimeStateMlp.FixedRandomDrift(3, s, 1.0, 8, 4)
              let rng = Random(int (s % 7919UL))
              let x = Array.init 3 (fun _ -> rng.NextDouble() * 2.0 - 1.0)
              let up = Array.init 6 (fun _ -> rng.NextDouble() * 2.0 - 1.0)
              let t = rng.NextDouble()
              let y = Array.zeroCreate 6

              let f (z: float[]) =
                  net.Forward(ReadOnlySpan z, t, Span y)
                  Array.fold2 (fun acc a b -> acc + a * b) 0.0 y up

              let gx = Array.zeroCreate 3
              net.Backward(ReadOnlySpan x, t, ReadOnlySpan up, Span gx)

              [ 0..2 ]
              |> List.forall (fun i ->
                  let xp = Array.copy x
                  let xm = Array.copy x
                  xp.[i] <- xp.[i] + 1e-6
                  xm.[i] <- xm.[i] - 1e-6
                  close ((f xp - f xm) / 2e-6) gx.[i])

          testPropertyWithConfig
              { config with maxTest = 10 }
              "VarGrad gradient equals TB gradient with log Z at its batch optimum −δ̄"
          <| fun (Seed s) (gc: GridCase) ->
              let drift, _, flow, policy, target, batch, work, _ =
                  setup Objective.VarGrad s gc true

              let mutable gz = 0.0

              work.Evaluate(Objective.VarGrad, policy, target, batch, flow, 0.0, &gz, 2.0)
              |> ignore

              let gv = Array.copy drift.Gradient
              Array.Clear drift.Gradient
              let meanDelta = Array.average (Array.init batch.Size (fun b -> batch.Delta b))

              work.Evaluate(Objective.TrajectoryBalance, policy, target, batch, flow, -meanDelta, &gz, 2.0)
              |> ignore

              let scale = 1.0 + (gv |> Array.map abs |> Array.max)

              abs gz <= 1e-12 * (1.0 + abs meanDelta) * float batch.Size
              && Array.forall2 (fun (a: float) b -> abs (a - b) <= 1e-12 * scale) gv drift.Gradient ]
