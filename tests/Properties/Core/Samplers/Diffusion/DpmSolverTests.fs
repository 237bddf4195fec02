/// DPM-Solver-1 and -2 (Lu et al. 2022): exact law against Monte Carlo, counted cost and order through the property
/// kit; DPM-Solver-1 against DDIM (η = 0) on the same grid; DPM-Solver-2's midpoint and its last step to τ = 0.
module RateLab.Properties.Core.Samplers.Diffusion.DpmSolverTests

open RateLab.Core.Contracts
open System
open Expecto
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Testing
open RateLab.Properties.Generators
open RateLab.Properties.Probes

/// Gaussian data with a spread spectrum started at the exact q_{τ₀}, so the start adds no floor and the KL is the
/// discretisation error alone; log-SNR grid from τ₀ = 1 − 10⁻⁴ to δ = 10⁻³.
let private data =
    let mean, variance = spreadGaussian ()

    { Mean = mean
      Variance = variance
      Start = StartLaw.Isotropic(3, 1.0) }

let private tauMax, tauMin = 1.0 - 1e-4, 1e-3

let private exactStart (r: GaussianReduction) =
    let top = NoiseLevel.FromTau tauMax

    StartLaw(
        Array.map (fun m -> sqrt top.AlphaBar * m) (Array.init r.Dimension (fun i -> r.Target.Mean.[i])),
        Array.init r.Dimension (fun i -> sqrt (top.AlphaBar * r.Target.Variance.[i] + top.Tau))
    )

let private spec name (make: int -> NoiseGrid -> StartLaw -> ISamplerKernel) cost order counts =
    { KernelSpec.Create(
          name,
          Diffusion,
          data,
          (fun r n ->
              let grid = NoiseGrid.LogSnrUniform(tauMax, tauMin, n)
              Built.Diffusion(r, make r.Dimension grid (exactStart r), int64 grid.Steps, grid.End.Tau)),
          [ 4; 8 ]
      ) with
        Cost = Some(PerStep cost)
        Order =
            Some
                { Order = order
                  Error = MatchedKl
                  StepCounts = counts
                  Replicates = 2 } }

/// First order in the law: KL ∝ n⁻².
let private dpm1 =
    spec "DPM-Solver-1" (fun d g s -> DpmSolver1(d, g, s)) 1 2.0 [ 64; 128; 256; 512 ]

/// Second order in the law: KL ∝ n⁻⁴.
let private dpm2 =
    spec "DPM-Solver-2" (fun d g s -> DpmSolver2(d, g, s)) 2 4.0 [ 64; 128; 256; 512 ]

let private field = GaussianNoisedScore([| 0.4; -1.0 |], [| 0.2; 1.5 |])

[<Tests>]
let tests =
    testList
        "Core.Samplers.Diffusion.DpmSolver"
        [ Kit.tests dpm1
          Kit.tests dpm2

          test "DPM-Solver-1 equals DDIM (eta = 0) on the same grid to rounding, on log-SNR and respaced DDPM grids" {
              for grid in
                  [ NoiseGrid.LogSnrUniform(tauMax, tauMin, 24)
                    DdpmSchedule.LatentDiffusionVqF4().Uniform 24 ] do
                  let a, _ = run (DpmSolver1(2, grid)) field 3UL 8 grid.Steps
                  let b, _ = run (Ddim(2, grid, 0.0)) field 3UL 8 grid.Steps
                  Array.iter2 (fun x y -> Expect.isTrue (relClose 1e-12 x y) $"{x} vs {y} on {grid.Name}") a b
          }

          test "DPM-Solver-2 step: DPM-Solver-1 to the log-SNR midpoint, then the full step with the score there" {
              let grid = NoiseGrid.LogSnrUniform(0.9, 0.05, 1)
              let l0, l1 = grid.[0], grid.[1]
              let mid = NoiseLevel.FromLogSnr(0.5 * (l0.LogSnr + l1.LogSnr))
              let x = [| 0.7; -0.2 |]

              let score (y: float[]) (l: NoiseLevel) =
                  let s = Array.zeroCreate 2
                  (field :> IScoreField).Score(ReadOnlySpan y, l.Tau, Span s)
                  s
              // DDIM's (ε-frozen) form of each sub-step, written out independently of the kernels' expm1 form.
              let ddim (y: float[]) (s: float[]) (f: NoiseLevel) (t: NoiseLevel) (sAt: NoiseLevel) =
                  let a = sqrt (t.AlphaBar / f.AlphaBar)
                  // x_t = a y − σ_t(e^h − 1) ε̂, σ_t e^h = a σ_f, ε̂ = −σ_sAt s.
                  Array.map2 (fun yi si -> a * yi + (a * sqrt f.Tau - sqrt t.Tau) * sqrt sAt.Tau * si) y s

              let u = ddim x (score x l0) l0 mid l0
              let expected = ddim x (score u mid) l0 l1 mid
              let got = stepOnce (DpmSolver2(2, grid)) field (constantNoise 0.0 0.5) 0L x
              Array.iter2 (fun g e -> Expect.isTrue (relClose 1e-12 g e) $"{g} vs {e}") got expected
          }

          test "DPM-Solver-2 to tau = 0 ends with one DPM-Solver-1 step: 2n - 1 calls, and that step equals DDIM's" {
              let grid = DdpmSchedule.LatentDiffusionVqF4().Uniform 10
              let k = DpmSolver2(2, grid)
              let _, oracle = run k field 5UL 3 grid.Steps
              Expect.equal (oracle.Evaluations 1L, int64 k.EvaluationsPerRun) (19L, 19L) "2·10 − 1 counted"
              let x = [| 0.3; 0.9 |]
              let last = int64 (grid.Steps - 1)
              let a = stepOnce k field (constantNoise 0.0 0.5) last x
              let b = stepOnce (Ddim(2, grid, 0.0)) field (constantNoise 0.0 0.5) last x
              Array.iter2 (fun p q -> Expect.isTrue (relClose 1e-12 p q) $"{p} vs {q}") a b
          } ]
