/// Names of samplers and targets as specs and the command line use them, and how each becomes a real kernel or a
/// Gaussian problem. One table per kind, so `ratelab list`, `run`, `exact` and the report share the same names.
module RateLab.Analysis.Studies.Catalog

open System
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Samplers.Langevin
open RateLab.Analysis.Experiments.Spec

/// Reading a component's parameters, with errors that name the field.
module Params =
    let private usage (c: Component) (name: string) (problem: string) =
        raise (ArgumentException($"{c.Name}.{name}: {problem}", name))

    /// A numeric parameter, or the default when absent.
    let number (c: Component) name (fallback: float option) =
        match Map.tryFind name c.Parameters, fallback with
        | Some(Number x), _ -> x
        | Some v, _ -> usage c name $"expected a number, got {showParam v}"
        | None, Some x -> x
        | None, None -> usage c name "required parameter is missing"

    /// An integer parameter ≥ lo, or the default when absent.
    let integer (c: Component) name lo (fallback: int option) =
        let x = number c name (fallback |> Option.map float)
        if x <> Math.Round x || x < float lo || x > float Int32.MaxValue then
            usage c name $"expected an integer ≥ {lo}, got {x}"
        int x

    /// A text parameter among `allowed`, or the default when absent.
    let choice (c: Component) name (allowed: string list) (fallback: string) =
        match Map.tryFind name c.Parameters with
        | Some(Text s) when List.contains s allowed -> s
        | Some v ->
            let options = String.Join(", ", allowed)
            usage c name $"expected one of {options}, got {showParam v}"
        | None -> fallback

    /// Rejects parameters the component does not know, so a typo is an error rather than a silent default.
    let only (c: Component) (known: string list) =
        for k in c.Parameters.Keys do
            if not (List.contains k known) then
                let allowed = String.Join(", ", known)
                usage c k $"unknown parameter; allowed: {allowed}"

/// A Gaussian problem N(μ, diag λ) in the eigenbasis of its covariance.
type GaussianProblem = { Mean: float[]; Variance: float[] }

/// A target family: how a spec's target component and a dimension become a Gaussian problem.
type TargetEntry =
    { Name: string
      Description: string
      Build: Component -> int -> GaussianProblem }

/// What a sampler builds on a reduced Gaussian problem for a step count n: the kernel, how many kernel steps to run,
/// and the reference law its output is compared with.
type BuiltRun =
    { Kernel: ISamplerKernel
      Steps: int64
      Reference: GaussianReduction -> DiagonalLaw
      /// For samplers whose end level is drawn (Li–Jiao): the reference of one draw from the kernel's aux state.
      DrawReference: (GaussianReduction -> double[] -> DiagonalLaw) option }

/// A sampler family entry. Langevin samplers start at the target unless their parameter start = "origin"; diffusion
/// samplers start from N(0, I) at the top noise level.
type SamplerEntry =
    { Name: string
      Description: string
      Diffusion: bool
      Build: Component -> GaussianReduction -> int -> BuiltRun }

let targets : TargetEntry list =
    [ { Name = "isotropic-gaussian"; Description = "N(0, σ² I_d); parameter variance (default 1)"
        Build = fun c d ->
            Params.only c [ "variance" ]
            let v = Params.number c "variance" (Some 1.0)
            { Mean = Array.zeroCreate d; Variance = Array.create d v } }
      { Name = "ill-conditioned-gaussian"
        Description = "N(0, diag λ) with λ log-spaced from 1 down to 1/κ; parameter kappa (default 100)"
        Build = fun c d ->
            Params.only c [ "kappa" ]
            let kappa = Params.number c "kappa" (Some 100.0)
            { Mean = Array.zeroCreate d
              Variance = Array.init d (fun i -> if d = 1 then 1.0 else kappa ** (-(float i) / float (d - 1))) } }
      { Name = "gaussian-data"
        Description = "diffusion data N(0, diag λ) with λ log-spaced from variance_max down to variance_min"
        Build = fun c d ->
            Params.only c [ "variance_max"; "variance_min" ]
            let hi = Params.number c "variance_max" (Some 1.0)
            let lo = Params.number c "variance_min" (Some 0.05)
            { Mean = Array.zeroCreate d
              Variance = Array.init d (fun i -> if d = 1 then lo else hi * (lo / hi) ** (float i / float (d - 1))) } } ]

/// Langevin step semantics: either a fixed step (h, eta or alpha) for n steps, or a horizon split into n steps.
let private langevinStep (c: Component) (symbol: string) (n: int) =
    match Map.tryFind "horizon" c.Parameters, Map.tryFind symbol c.Parameters with
    | Some _, Some _ -> raise (ArgumentException($"{c.Name}: give either {symbol} or horizon, not both", symbol))
    | Some _, None -> Params.number c "horizon" None / float n
    | None, _ -> Params.number c symbol None

let private langevin name description symbol (known: string list) (make: Component -> int -> float -> StartLaw -> ISamplerKernel) =
    { Name = name
      Description = description
      Diffusion = false
      Build = fun c reduction n ->
        Params.only c (symbol :: "horizon" :: "start" :: known)
        let step = langevinStep c symbol n
        { Kernel = make c reduction.Dimension step reduction.Start; Steps = int64 n
          Reference = (fun r -> r.Target); DrawReference = None } }

/// The diffusion samplers' common grid: log-SNR uniform from tau_max down to tau_min (the early-stopping level δ).
let private diffusionGrid (c: Component) (n: int) =
    NoiseGrid.LogSnrUniform(Params.number c "tau_max" (Some(1.0 - 1e-4)), Params.number c "tau_min" (Some 1e-3), n)

let private endReference (grid: NoiseGrid) (r: GaussianReduction) =
    if grid.End.Tau = 0.0 then r.Target else r.NoisedData grid.End.Tau

let private onGrid name description (known: string list) (make: Component -> int -> NoiseGrid -> ISamplerKernel) =
    { Name = name
      Description = description
      Diffusion = true
      Build = fun c reduction n ->
        Params.only c ("tau_max" :: "tau_min" :: known)
        let grid = diffusionGrid c n
        { Kernel = make c reduction.Dimension grid; Steps = int64 grid.Steps
          Reference = endReference grid; DrawReference = None } }

let private noised (r: GaussianReduction) (tau: float) = if tau = 0.0 then r.Target else r.NoisedData tau

/// Li–Jiao on T = n cells in K rounds (K | 2T, N = 2T/K even); it stops at the drawn level τ_{K,0} = 1 − ᾱ₁, so each
/// draw is compared with its own q_{τ_{K,0}}, and the moment-matched bound with q at the skeleton's level β̂₀.
let private liJiao name description levels (picard: bool) =
    { Name = name
      Description = description
      Diffusion = true
      Build = fun c reduction n ->
        Params.only c ([ "K"; "c0"; "c1" ] @ (if picard then [ "sweeps" ] else []))
        let schedule =
            LiJiaoSchedule(n, Params.integer c "K" 1 (Some 4), Params.number c "c0" (Some 2.0), Params.number c "c1" (Some 4.0), levels)
        let kernel : ISamplerKernel =
            if picard then LiJiaoParallel(reduction.Dimension, schedule, Params.integer c "sweeps" 1 (Some 8))
            else LiJiao(reduction.Dimension, schedule)
        { Kernel = kernel; Steps = int64 schedule.K
          Reference = (fun r -> noised r (schedule.RoundSkeleton(schedule.K, -1).Tau))
          DrawReference = Some(fun r u -> noised r (schedule.Level(ReadOnlySpan u, 1).Tau)) } }

let samplers : SamplerEntry list =
    [ langevin "ula" "unadjusted Langevin (Euler–Maruyama), 1 gradient per step" "h" []
        (fun _ d h start -> Ula(d, h, start))
      langevin "rlmc" "overdamped randomized midpoint with nested Brownian increments, 2 gradients per step" "h" []
        (fun _ d h start -> Rlmc(d, h, start))
      langevin "ulmc" "underdamped Langevin, exponential integrator; gamma (2), u (1)" "eta" [ "gamma"; "u" ]
        (fun c d eta start -> Ulmc(d, eta, Params.number c "gamma" (Some 2.0), Params.number c "u" (Some 1.0), start))
      langevin "shen-lee" "Shen–Lee randomized midpoint for underdamped Langevin (γ = 2); u (1)" "h" [ "u" ]
        (fun c d h start -> ShenLee(d, h, Params.number c "u" (Some 1.0), start))
      langevin "plmc" "Poisson midpoint on overdamped Langevin; K sub-steps (8)" "alpha" [ "K" ]
        (fun c d alpha start -> PoissonMidpoint.Overdamped(d, alpha, Params.integer c "K" 1 (Some 8), start))
      langevin "plmc-ulmc" "Poisson midpoint on underdamped Langevin; K (8), gamma (2)" "alpha" [ "K"; "gamma" ]
        (fun c d alpha start ->
            PoissonMidpoint.Underdamped(d, alpha, Params.integer c "K" 1 (Some 8), Params.number c "gamma" (Some 2.0), start))
      onGrid "ddpm" "DDPM ancestral steps on the log-SNR grid; variance beta|posterior (posterior)" [ "variance" ]
        (fun c d grid ->
            let v = if Params.choice c "variance" [ "beta"; "posterior" ] "posterior" = "beta" then DdpmVariance.Beta else DdpmVariance.Posterior
            DdpmAncestral(d, grid, v))
      onGrid "ddim" "DDIM (ε frozen), eta (0)" [ "eta" ] (fun c d grid -> Ddim(d, grid, Params.number c "eta" (Some 0.0)))
      onGrid "exp-euler" "score-frozen exponential Euler on the probability-flow ODE" [] (fun _ d grid -> ProbabilityFlowExponentialEuler(d, grid))
      onGrid "pf-euler" "Euler on the probability-flow ODE" [] (fun _ d grid -> ProbabilityFlowEuler(d, grid))
      onGrid "heun" "Heun (EDM), 2 score calls per step" [] (fun _ d grid -> Heun(d, grid))
      onGrid "sde-em" "reverse SDE by Euler–Maruyama" [] (fun _ d grid -> ReverseSdeEulerMaruyama(d, grid))
      onGrid "sde-exp" "reverse SDE by the exponential integrator" [] (fun _ d grid -> ReverseSdeExponential(d, grid))
      onGrid "gupta-predictor" "Gupta–Cai–Chen randomized-midpoint predictor, eqs. (7)–(8), 2 score calls per step" []
        (fun _ d grid -> GuptaCaiChenPredictor(d, grid))
      liJiao "li-jiao" "Li–Jiao randomized log-SNR schedule with noise injection; n = T, K (4), c0 (2), c1 (4); 2T score calls"
        LiJiaoLevels.Randomized false
      liJiao "li-jiao-endpoint" "Li–Jiao's scheme evaluated at the cells' upper endpoints instead of random points (comparison)"
        LiJiaoLevels.UpperEndpoint false
      liJiao "li-jiao-parallel" "Li–Jiao with Picard sweeps per round, all calls of a sweep batched; sweeps (8)"
        LiJiaoLevels.Randomized true
      { Name = "gupta"
        Description = "full Gupta–Cai–Chen: predictor phases + underdamped corrector; n predictor steps over t_end (6), delta (0.001)"
        Diffusion = true
        Build = fun c reduction n ->
            Params.only c [ "t_end"; "delta"; "predictor_only" ]
            let tEnd = Params.number c "t_end" (Some 6.0)
            let delta = Params.number c "delta" (Some 0.001)
            let h = (tEnd - delta) / float n
            let constants = GuptaCaiChenConstants(TEnd = tEnd, Delta = delta, HPred = h, HCorr = h)
            let predictorOnly = Params.choice c "predictor_only" [ "true"; "false" ] "false" = "true"
            let kernel = GuptaCaiChen(reduction.Dimension, constants, predictorOnly)
            { Kernel = kernel; Steps = int64 kernel.Steps
              Reference = (fun r -> noised r kernel.OutputLevel.Tau); DrawReference = None } }
      { Name = "ddpm-respaced"
        Description = "DDPM (posterior variance) on n steps respaced from the 1000-step latent-diffusion schedule (0.0015–0.0195)"
        Diffusion = true
        Build = fun c reduction n ->
            Params.only c [ "variance" ]
            let v = if Params.choice c "variance" [ "beta"; "posterior" ] "posterior" = "beta" then DdpmVariance.Beta else DdpmVariance.Posterior
            let grid = DdpmSchedule.LatentDiffusionVqF4().Uniform n
            { Kernel = DdpmAncestral(reduction.Dimension, grid, v); Steps = int64 grid.Steps
              Reference = endReference grid; DrawReference = None } }
      { Name = "plmc-ddpm"
        Description = "Poisson midpoint on the 1000-step latent-diffusion DDPM chain; n outer steps of K = 1000/n fine steps"
        Diffusion = true
        Build = fun c reduction n ->
            Params.only c [ "variance" ]
            let schedule = DdpmSchedule.LatentDiffusionVqF4()
            if schedule.Steps % n <> 0 then
                raise (ArgumentException($"plmc-ddpm: steps = {n} must divide {schedule.Steps} (K = 1000/n fine steps per outer step)", "steps"))
            let v = if Params.choice c "variance" [ "beta"; "posterior" ] "posterior" = "beta" then DdpmVariance.Beta else DdpmVariance.Posterior
            let kernel = PoissonMidpointDdpm(reduction.Dimension, schedule, schedule.Steps / n, v)
            { Kernel = kernel; Steps = int64 kernel.Steps; Reference = (fun r -> r.Target); DrawReference = None } } ]

/// Looks an entry up by name, or fails with the list of known names (a usage error).
let find (kind: string) (name: string) (entries: 'a list) (nameOf: 'a -> string) =
    match entries |> List.tryFind (fun e -> nameOf e = name) with
    | Some e -> e
    | None ->
        let known = String.Join(", ", entries |> List.map nameOf)
        raise (ArgumentException($"{kind} \"{name}\" is unknown; known: {known}", kind))

/// The start law of a sampler on a Gaussian problem (see SamplerEntry).
let startLaw (entry: SamplerEntry) (c: Component) (problem: GaussianProblem) =
    let d = problem.Variance.Length
    if entry.Diffusion then StartLaw.Isotropic(d, 1.0)
    elif Params.choice c "start" [ "target"; "origin" ] "target" = "origin" then StartLaw.Point(Array.zeroCreate d)
    else StartLaw(problem.Mean, Array.map sqrt problem.Variance)

let sampler name = find "sampler" name samplers (fun e -> e.Name)
let target name = find "target" name targets (fun e -> e.Name)
