/// The built-in kernels described for the property kit, as a user would describe their own: build, cost, order,
/// invariant law where one is known in closed form, and parameters that must be refused.
module RateLab.Properties.Testing.BuiltInSpecs

open System
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Samplers.Langevin
open RateLab.Testing
open RateLab.Properties.Generators

/// N(μ, diag λ) started at the target itself, so that at a fixed horizon the exact error is the discretisation
/// error alone and falls at the scheme's order (a start elsewhere adds a part that does not vanish with h).
let langevinTarget =
    let mean, variance = [| 0.5; -1.0; 0.0 |], [| 1.0; 0.6; 0.3 |]

    { Mean = mean
      Variance = variance
      Start = StartLaw(mean, Array.map sqrt variance) }

/// Gaussian data with a spread spectrum; diffusion kernels start from N(0, I) at the top level of their grid.
let diffusionData =
    let mean, variance = spreadGaussian ()

    { Mean = mean
      Variance = variance
      Start = StartLaw.Isotropic(3, 1.0) }

/// Horizon of the Langevin runs: h = horizon/n (n ≥ 8 keeps h ≤ 0.5 < 2·min λ, ULA's stability limit).
let horizon = 4.0

let private point = StartLaw.Isotropic(1, 1.0)

let private refusesStep (name: string) (make: float -> ISamplerKernel) (spec: KernelSpec) =
    [ 0.0; -0.5; nan ]
    |> List.fold
        (fun (s: KernelSpec) v ->
            let shown = v.ToString("R", Globalization.CultureInfo.InvariantCulture)

            let case =
                { Parameter = name
                  Value = shown
                  Construct = fun () -> make v |> ignore }

            { s with
                Invalid = s.Invalid @ [ case ] })
        spec

/// ULA: 1 evaluation per step, KL ∝ h² at a fixed horizon, and on N(m, λ) the invariant law N(m, λ/(1 − h/(2λ)))
/// (the fixed point of v' = (1 − h/λ)² v + 2h).
let ula =
    let spec =
        { KernelSpec.Create(
              "ULA",
              Langevin,
              langevinTarget,
              (fun r n -> Built.Langevin(r, Ula(r.Dimension, horizon / float n, r.Start), int64 n)),
              [ 8; 16 ]
          ) with
            Cost = Some(PerStep 1)
            Order =
                Some
                    { Order = 2.0
                      Error = MatchedKl
                      StepCounts = [ 128; 256; 512; 1024 ]
                      Replicates = 2 }
            Invariant =
                Some(fun r n ->
                    let h = horizon / float n
                    DiagonalLaw(Array.copy r.Mean, r.Variance |> Array.map (fun l -> l / (1.0 - h / (2.0 * l))))) }

    refusesStep "h" (fun h -> Ula(1, h, point)) spec

/// RLMC: 2 evaluations per step; its midpoint draw is declared, so the moment-matched KL is exact (∝ h⁶).
let rlmc =
    let spec =
        { KernelSpec.Create(
              "RLMC",
              Langevin,
              langevinTarget,
              (fun r n -> Built.Langevin(r, Rlmc(r.Dimension, horizon / float n, r.Start), int64 n)),
              [ 8; 16 ]
          ) with
            Cost = Some(PerStep 2)
            Order =
                Some
                    { Order = 6.0
                      Error = MatchedKl
                      StepCounts = [ 64; 128; 256; 512 ]
                      Replicates = 2 } }

    refusesStep "h" (fun h -> Rlmc(1, h, point)) spec

/// ULMC (exponential integrator, γ = 2, u = 1): 1 evaluation per step, KL ∝ η².
let ulmc =
    let spec =
        { KernelSpec.Create(
              "ULMC",
              Langevin,
              langevinTarget,
              (fun r n -> Built.Langevin(r, Ulmc(r.Dimension, horizon / float n, 2.0, 1.0, r.Start), int64 n)),
              [ 8; 16 ]
          ) with
            Cost = Some(PerStep 1)
            Order =
                Some
                    { Order = 2.0
                      Error = MatchedKl
                      StepCounts = [ 128; 256; 512; 1024 ]
                      Replicates = 2 } }

    spec
    |> refusesStep "eta" (fun h -> Ulmc(1, h, 2.0, 1.0, point))
    |> refusesStep "gamma" (fun g -> Ulmc(1, 0.1, g, 1.0, point))

/// Shen–Lee randomized midpoint for underdamped Langevin (u = 1): 2 evaluations per step; its midpoint draw is
/// declared, so the moment-matched KL is exact (∝ h⁶).
let shenLee =
    let spec =
        { KernelSpec.Create(
              "Shen-Lee",
              Langevin,
              langevinTarget,
              (fun r n -> Built.Langevin(r, ShenLee(r.Dimension, horizon / float n, 1.0, r.Start), int64 n)),
              [ 8; 16 ]
          ) with
            Cost = Some(PerStep 2)
            Order =
                Some
                    { Order = 6.0
                      Error = MatchedKl
                      StepCounts = [ 64; 128; 256; 512 ]
                      Replicates = 2 } }

    refusesStep "h" (fun h -> ShenLee(1, h, 1.0, point)) spec

/// Shen–Lee at friction γ = 3 instead of [SL19]'s 2: the h⁶ order of the moment-matched KL holds only if every
/// γ-dependent coefficient and noise scale is right; a wrong one leaves a KL floor the order fit cannot miss.
let shenLeeGamma =
    let spec =
        { KernelSpec.Create(
              "Shen-Lee(gamma=3)",
              Langevin,
              langevinTarget,
              (fun r n ->
                  let kernel = ShenLee(r.Dimension, horizon / float n, 1.0, r.Start, gamma = 3.0)
                  Built.Langevin(r, kernel, int64 n)),
              [ 8; 16 ]
          ) with
            Cost = Some(PerStep 2)
            Order =
                Some
                    { Order = 6.0
                      Error = MatchedKl
                      StepCounts = [ 64; 128; 256; 512 ]
                      Replicates = 2 } }

    refusesStep "gamma" (fun g -> ShenLee(1, 0.1, 1.0, point, gamma = g)) spec

/// Poisson midpoint on overdamped and underdamped Langevin (K = 4 fine steps, γ = 2): their cost is random (one
/// evaluation per selected fine step), so none is declared; the moment-matched KL ∝ α².
let private poisson name (make: int -> float -> StartLaw -> ISamplerKernel) =
    let spec =
        { KernelSpec.Create(
              name,
              Langevin,
              langevinTarget,
              (fun r n -> Built.Langevin(r, make r.Dimension (horizon / float n) r.Start, int64 n)),
              [ 8; 16 ]
          ) with
            Order =
                Some
                    { Order = 2.0
                      Error = MatchedKl
                      StepCounts = [ 128; 256; 512; 1024 ]
                      Replicates = 2 } }

    refusesStep "alpha" (fun a -> make 1 a point) spec

let plmc =
    poisson "PLMC" (fun d alpha start -> PoissonMidpoint.Overdamped(d, alpha, 4, start))

let plmcUlmc =
    poisson "PLMC-ULMC" (fun d alpha start -> PoissonMidpoint.Underdamped(d, alpha, 4, 2.0, start))

/// MALA: not affine on Gaussian targets (the accept step), so the kit runs only the properties that need no exact
/// engine; one evaluation per step plus the one Init makes for the cached score.
let mala =
    let spec =
        { KernelSpec.Create(
              "MALA",
              Langevin,
              langevinTarget,
              (fun r n -> Built.Langevin(r, Mala(r.TargetScore(), horizon / float n, r.Start), int64 n)),
              [ 8; 16 ]
          ) with
            Cost = Some(PerRun(fun n -> int64 n + 1L)) }

    refusesStep "h" (fun h -> Mala(RateLab.Core.Targets.DiagonalGaussian.Isotropic(1, 1.0), h, point)) spec

/// Top of the diffusion grids: 1 − 10⁻¹⁰, so that the N(0, I) start's mismatch with q_{τ_max} stays far below every
/// error measured; the grids end at δ = 10⁻³.
let private tauMax, tauMin = 1.0 - 1e-10, 1e-3

let private onGrid (name: string) (make: int -> NoiseGrid -> ISamplerKernel) counts =
    KernelSpec.Create(
        name,
        Diffusion,
        diffusionData,
        (fun r n ->
            let grid = NoiseGrid.LogSnrUniform(tauMax, tauMin, n)
            Built.Diffusion(r, make r.Dimension grid, int64 grid.Steps, grid.End.Tau)),
        counts
    )

/// DDIM with η = 0.5 (so it draws noise): 1 evaluation per step, KL ∝ n⁻²; η outside [0, 1] refused.
let ddim =
    { onGrid "DDIM" (fun d grid -> Ddim(d, grid, 0.5)) [ 4; 8 ] with
        Cost = Some(PerStep 1)
        Order =
            Some
                { Order = 2.0
                  Error = MatchedKl
                  StepCounts = [ 256; 512; 1024; 2048 ]
                  Replicates = 2 }
        Invalid =
            [ for v in [ 1.5; -0.25 ] ->
                  { Parameter = "eta"
                    Value = v.ToString("R", Globalization.CultureInfo.InvariantCulture)
                    Construct = fun () -> Ddim(1, NoiseGrid.LogSnrUniform(tauMax, tauMin, 4), v) |> ignore } ] }

/// Heun: 2 evaluations per step on a grid ending above 0, KL ∝ n⁻⁴.
let heun =
    { onGrid "Heun" (fun d grid -> Heun(d, grid)) [ 4; 8 ] with
        Cost = Some(PerRun(fun n -> 2L * int64 n))
        Order =
            Some
                { Order = 4.0
                  Error = MatchedKl
                  StepCounts = [ 64; 128; 256; 512 ]
                  Replicates = 2 } }

/// Li–Jiao on T = n cells in K = 4 rounds (c₀ = 1.5, c₁ = 3.5 keep the schedule valid down to T = 8): exactly 2T
/// evaluations, each draw compared with the data noised to its own drawn end level. Its E_draws KL carries log
/// factors at practical T, so no single order is declared.
let liJiao =
    let schedule n = LiJiaoSchedule(n, 4, 1.5, 3.5)

    let noised (r: GaussianReduction) tau =
        if tau = 0.0 then r.Target else r.NoisedData tau

    { KernelSpec.Create(
          "Li-Jiao",
          Diffusion,
          diffusionData,
          (fun r n ->
              let s = schedule n

              { Kernel = LiJiao(r.Dimension, s)
                Steps = int64 s.K
                Reference = noised r (s.RoundSkeleton(s.K, -1).Tau)
                DrawReference = Some(fun u -> noised r (s.Level(ReadOnlySpan u, 1).Tau)) }),
          [ 8; 16 ]
      ) with
        Cost = Some(PerRun(fun n -> 2L * int64 n))
        Invalid =
            [ { Parameter = "K"
                Value = "3"
                Construct = fun () -> LiJiaoSchedule(8, 3, 1.5, 3.5) |> ignore } ] }

/// Every built-in spec the kit runs on.
let all =
    [ ula
      rlmc
      ulmc
      shenLee
      shenLeeGamma
      plmc
      plmcUlmc
      mala
      ddim
      heun
      liJiao ]
