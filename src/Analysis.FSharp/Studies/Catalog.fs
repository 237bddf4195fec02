/// Names of samplers and targets as specs and the command line use them, their declared parameters, and how each
/// becomes a real kernel or a Gaussian problem. One table per kind, so `ratelab list`, `run`, `exact` and the report
/// share the same names and accept or refuse a parameter value the same way.
module RateLab.Analysis.Studies.Catalog

open System
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Samplers.Langevin
open RateLab.Core.Targets
open RateLab.Core.Targets.Benchmarks
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Experiments.Parameters

/// A Gaussian problem N(μ, diag λ) in the eigenbasis of its covariance.
type GaussianProblem = { Mean: float[]; Variance: float[] }

/// A target known through its score and exact draws only: measured by Monte Carlo, never by the exact engine.
type SampledTarget =
    {
        /// ∇ log π, the field Langevin samplers call.
        Score: ITarget
        /// The noised scores s(x, τ) of the data law π that diffusion samplers call; None where none is in closed form.
        NoisedScore: INoisedData option
        /// Exact independent draws of π (the Monte Carlo reference).
        Exact: IExactSampler
    }

/// What a target entry builds in dimension d: a Gaussian law the exact engine analyses, or a target that only Monte
/// Carlo metrics can measure.
type TargetLaw =
    | Gaussian of GaussianProblem
    | NonGaussian of SampledTarget

/// A target family: its declared parameters and how a target component and a dimension become a target law.
type TargetEntry =
    {
        Name: string
        Description: string
        Parameters: ParamSchema list
        /// Rules across parameters: the first one broken, as (parameter to name, problem).
        Rules: Component -> (string * string) option
        /// The dimensions the target exists in: None when d is allowed, else what is allowed (for the message).
        Dimensions: Component -> int -> string option
        /// The smallest and largest variance in dimension d of a Gaussian target, without building the d-sized problem
        /// (stability checks need them before a run whose problem may not fit in memory); None for other targets.
        Extremes: Component -> int -> (float * float) option
        Build: Component -> int -> TargetLaw
    }

/// What a sampler builds on a reduced Gaussian problem for a step count n: the kernel, how many kernel steps to run,
/// and the reference law its output is compared with.
type BuiltRun =
    {
        Kernel: ISamplerKernel
        Steps: int64
        Reference: GaussianReduction -> DiagonalLaw
        /// For samplers whose end level is drawn (Li–Jiao): the reference of one draw from the kernel's aux state.
        DrawReference: (GaussianReduction -> double[] -> DiagonalLaw) option
        /// The noise level τ of the output on any target (0: the target itself), for Monte Carlo references; None when
        /// each chain draws its own end level.
        OutputTau: float option
    }

/// Which declared parameters without a default may be absent, and how `ratelab list` says so.
type MayBeAbsent =
    /// Exactly one of these is given (an exclusive pair such as h/horizon; the sampler's rules refuse both or neither).
    | ExactlyOneOf of string list
    /// Each of these may be absent on its own; its meaning says what absence does.
    | EachOptional of string list

    /// The names, whichever way they may be absent.
    member this.Names =
        match this with
        | ExactlyOneOf names
        | EachOptional names -> names

/// A sampler family entry. Langevin samplers start at the target unless their parameter start = "origin"; diffusion
/// samplers start from N(0, I) at the top noise level.
type SamplerEntry =
    {
        Name: string
        Description: string
        Diffusion: bool
        Parameters: ParamSchema list
        /// Declared parameters without a default that may still be absent.
        Absent: MayBeAbsent
        Rules: Component -> (string * string) option
        /// The step size at step count n, with the parameter it comes from (Langevin samplers), for stability checks.
        Step: Component -> int -> (string * float) option
        Stability: Component -> Stability.Rule
        /// Doubles the kernel's schedule holds per step of the grid (0 when it holds none), for the memory estimate.
        DoublesPerStep: int
        /// The largest step count the kernel's schedule arithmetic supports.
        MaxSteps: int
        Build: Component -> GaussianReduction -> int -> BuiltRun
    }

/// Where a component's parameters are named in errors raised while building (specs and the command line check them
/// earlier with their own paths; this catches direct callers).
let private builtFrom (c: Component) : Origin = fun name -> $"{c.Name}.{name}"

let private checkRules (origin: Origin) (rules: Component -> (string * string) option) (c: Component) =
    match rules c with
    | Some(name, problem) -> refuse origin name problem
    | None -> ()

/// Checks a target component's parameters: declared names, types, ranges, and the entry's rules.
let checkTarget (origin: Origin) (entry: TargetEntry) (c: Component) =
    check origin entry.Parameters (fun _ -> false) c
    checkRules origin entry.Rules c

/// Checks a sampler component's parameters: declared names, types, ranges, and the entry's rules.
let checkSampler (origin: Origin) (entry: SamplerEntry) (c: Component) =
    check origin entry.Parameters (fun n -> List.contains n entry.Absent.Names) c
    checkRules origin entry.Rules c

let private noRules (_: Component) : (string * string) option = None

let private anyDimension (_: Component) (_: int) : string option = None

/// A Gaussian target entry whose law is built from its numeric parameters.
let private targetEntry
    name
    description
    parameters
    rules
    (extremes: (string -> float) -> int -> float * float)
    (build: (string -> float) -> int -> GaussianProblem)
    =
    { Name = name
      Description = description
      Parameters = parameters
      Rules = rules
      Dimensions = anyDimension
      Extremes = fun c d -> Some(extremes (Read.number parameters c) d)
      Build =
        fun c d ->
            check (builtFrom c) parameters (fun _ -> false) c
            checkRules (builtFrom c) rules c
            Gaussian(build (Read.number parameters c) d) }

/// A target entry of any law, checked like the others before it is built.
let private lawEntry name description parameters rules dimensions extremes (build: Component -> int -> TargetLaw) =
    { Name = name
      Description = description
      Parameters = parameters
      Rules = rules
      Dimensions = dimensions
      Extremes = extremes
      Build =
        fun c d ->
            check (builtFrom c) parameters (fun _ -> false) c
            checkRules (builtFrom c) rules c
            build c d }

let private noExtremes (_: Component) (_: int) : (float * float) option = None

/// A non-Gaussian target of fixed form, built from its numeric parameters.
let private sampledEntry name description parameters dimensions (build: (string -> float) -> int -> SampledTarget) =
    lawEntry name description parameters noRules dimensions noExtremes (fun c d ->
        NonGaussian(build (Read.number parameters c) d))

/// A rule that reads a target file named by parameter `name`, turning a defect of the file into a broken rule.
let private fileRule (name: string) (parse: string -> 'a) (c: Component) =
    match Map.tryFind name c.Parameters with
    | Some(Text file) ->
        try
            parse file |> ignore
            None
        with TargetFiles.TargetFileDefect problem ->
            Some(name, problem)
    | _ -> None

/// The dimension a file fixes, checked against d.
let private fileDimension (name: string) (dimensionOf: string -> int) (c: Component) (d: int) =
    match Map.tryFind name c.Parameters with
    | Some(Text file) when dimensionOf file <> d -> Some $"{dimensionOf file} (the dimension of \"{file}\")"
    | _ -> None

let private shown (x: float) = showParam (Number x)

/// The rule low < high (or low ≤ high when not strict) between two numeric parameters; a break names `low`.
let private ordered (schema: ParamSchema list) (low: string) (high: string) (strict: bool) (c: Component) =
    let p = Read.number schema c
    let lo, hi = p low, p high

    if (if strict then lo < hi else lo <= hi) then
        None
    else
        let relation = if strict then "less than" else "at most"
        Some(low, $"expected {relation} {high} = {shown hi}, got {shown lo}")

let private dataSchema =
    [ positive "variance_max" (Some 1.0) "largest data variance"
      positive "variance_min" (Some 0.05) "smallest data variance (the only one when d = 1), at most variance_max" ]

let private spectrumFile =
    filePath "file" "a path to a CSV file" "the variances, one positive number per row"

let private mixtureFile =
    filePath
        "file"
        "a path to a JSON file"
        "{\"weights\": [...], \"means\": [[...], ...], \"variances\": [[...], ...] or [σ², ...]}"

let private mixtureSchema =
    [ integer "components" 1 (Some 4) "number of components"
      real "separation" (Some(Closed 0.0)) None (Some 4.0) "root mean squared distance between two means"
      positive "sigma" (Some 1.0) "component standard deviation σ"
      integer "seed" 0 (Some 0) "seed of the means" ]

/// A mixture as a sampled target: its density's score and exact draws, and its noised scores in closed form.
let private ofMixture (weights: float[]) (means: float[][]) (variances: float[][]) =
    let mixture = GaussianMixture(weights, means, variances)

    let noised =
        GaussianMixtureNoisedScore(weights, Array.concat means, Array.concat variances)

    { Score = mixture
      NoisedScore = Some(noised :> INoisedData)
      Exact = mixture }

/// λ log-spaced from hi (i = 0) down to lo (i = d − 1); λ = lo when d = 1.
let private logSpaced hi lo d =
    Array.init d (fun i ->
        if d = 1 then
            lo
        else
            hi * (lo / hi) ** (float i / float (d - 1)))

let targets: TargetEntry list =
    [ targetEntry
          "isotropic-gaussian"
          "N(0, σ² I_d)"
          [ positive "variance" (Some 1.0) "σ², the variance of every coordinate" ]
          noRules
          (fun p _ -> p "variance", p "variance")
          (fun p d ->
              { Mean = Array.zeroCreate d
                Variance = Array.create d (p "variance") })
      targetEntry
          "ill-conditioned-gaussian"
          "N(0, diag λ) with λ log-spaced from 1 down to 1/κ"
          [ real "kappa" (Some(Closed 1.0)) None (Some 100.0) "condition number κ = λ_max/λ_min" ]
          noRules
          (fun p d -> (if d = 1 then 1.0 else 1.0 / p "kappa"), 1.0)
          (fun p d ->
              let v =
                  if d = 1 then
                      [| 1.0 |]
                  else
                      logSpaced 1.0 (1.0 / p "kappa") d

              { Mean = Array.zeroCreate d
                Variance = v })
      targetEntry
          "gaussian-data"
          "diffusion data N(0, diag λ) with λ log-spaced from variance_max down to variance_min"
          dataSchema
          (ordered dataSchema "variance_min" "variance_max" false)
          (fun p d -> p "variance_min", (if d = 1 then p "variance_min" else p "variance_max"))
          (fun p d ->
              { Mean = Array.zeroCreate d
                Variance = logSpaced (p "variance_max") (p "variance_min") d })
      lawEntry
          "diagonal-spectrum"
          "N(0, diag λ) with the variances λ read from a CSV file (one per row; d = rows)"
          [ spectrumFile ]
          (fileRule "file" TargetFiles.spectrum)
          (fileDimension "file" (fun f -> (TargetFiles.spectrum f).Length))
          (fun c _ ->
              let v = TargetFiles.spectrum (Read.text [ spectrumFile ] c "file")
              Some(Array.min v, Array.max v))
          (fun c d ->
              let v = TargetFiles.spectrum (Read.text [ spectrumFile ] c "file")

              Gaussian
                  { Mean = Array.zeroCreate d
                    Variance = v })
      sampledEntry
          "double-well"
          "π ∝ exp(−a(x₁² − 1)² − ½Σ_{i≥2} x_i²): two modes at x₁ = ±1 (Monte Carlo metrics only)"
          [ positive "a" (Some 1.0) "barrier height a between the modes" ]
          anyDimension
          (fun p d ->
              let t = DoubleWell(d, p "a") in

              { Score = t
                NoisedScore = None
                Exact = t })
      sampledEntry
          "many-well"
          "product of d/2 copies of the 2-D many-well benchmark, 2^(d/2) modes (Monte Carlo only)"
          []
          (fun _ d ->
              if d >= 2 && d % 2 = 0 then
                  None
              else
                  Some "even integers ≥ 2")
          (fun _ d ->
              let t = ManyWell(d) in

              { Score = t
                NoisedScore = None
                Exact = t })
      sampledEntry
          "funnel"
          "Neal's funnel: x₁ ~ N(0, s²), x_i | x₁ ~ N(0, e^{x₁}) (Monte Carlo only)"
          [ positive "scale" (Some 3.0) "neck scale s, the standard deviation of x₁" ]
          (fun _ d -> if d >= 2 then None else Some "integers ≥ 2")
          (fun p d ->
              let t = Funnel(d, p "scale") in

              { Score = t
                NoisedScore = None
                Exact = t })
      sampledEntry
          "gaussian-mixture"
          "equal-weight Σ_j N(μ_j, σ² I) with means drawn from the seed, E‖μ_j − μ_k‖² = separation² (Monte Carlo only)"
          mixtureSchema
          anyDimension
          (fun p d ->
              GaussianMixture.Random(d, int (p "components"), p "separation", p "sigma", uint64 (p "seed"))
              |> fun m ->
                  ofMixture
                      (Array.init m.Components (fun j -> m.Weights[j]))
                      (Array.init m.Components (fun j -> m.ComponentMean(j).ToArray()))
                      (Array.init m.Components (fun j -> m.ComponentVariances(j).ToArray())))
      lawEntry
          "gaussian-mixture-file"
          "a Gaussian mixture read from a JSON file (Monte Carlo only; d = its dimension)"
          [ mixtureFile ]
          (fileRule "file" TargetFiles.mixture)
          (fileDimension "file" (fun f -> (TargetFiles.mixture f).Means[0].Length))
          noExtremes
          (fun c _ ->
              let m = TargetFiles.mixture (Read.text [ mixtureFile ] c "file")
              NonGaussian(ofMixture m.Weights m.Means m.Variances)) ]


/// Wraps an entry's build so a direct caller gets the same parameter checks as a spec.
let private checked' (e: SamplerEntry) =
    { e with
        Build =
            fun c r n ->
                checkSampler (builtFrom c) e c
                e.Build c r n }

let private noStep (_: Component) (_: int) : (string * float) option = None
let private noLimit (_: Component) = Stability.NoKnownLimit

/// The Langevin step at n: the fixed step `symbol`, or horizon/n (exactly one of them is given; checked by rules).
let private langevinStep (symbol: string) (c: Component) (n: int) =
    match Map.tryFind "horizon" c.Parameters with
    | Some(Number t) -> "horizon", t / float n
    | _ ->
        symbol,
        (match Map.tryFind symbol c.Parameters with
         | Some(Number x) -> x
         | _ -> nan)

let private langevin
    name
    description
    (symbol: string)
    meaning
    (extra: ParamSchema list)
    stability
    (make: Component -> (string -> float) -> int -> float -> StartLaw -> ISamplerKernel)
    =
    let schema =
        [ positive symbol None meaning
          { positive "horizon" None "total time T" with
              Role = SplitOverSteps }
          choice "start" [ "target"; "origin" ] "target" "start law: the target itself, or the point mass at 0" ]
        @ extra

    checked'
        { Name = name
          Description = description
          Diffusion = false
          Parameters = schema
          Absent = ExactlyOneOf [ symbol; "horizon" ]
          Rules =
            fun c ->
                match c.Parameters.ContainsKey symbol, c.Parameters.ContainsKey "horizon" with
                | true, true -> Some(symbol, $"give either {symbol} or horizon, not both")
                | false, false -> Some(symbol, $"required parameter of {name} is missing (or give horizon instead)")
                | _ -> None
          Step = fun c n -> Some(langevinStep symbol c n)
          Stability = fun c -> stability (Read.number schema c)
          DoublesPerStep = 0
          MaxSteps = Int32.MaxValue
          Build =
            fun c reduction n ->
                let step = snd (langevinStep symbol c n)

                { Kernel = make c (Read.number schema c) reduction.Dimension step reduction.Start
                  Steps = int64 n
                  Reference = (fun r -> r.Target)
                  DrawReference = None
                  OutputTau = Some 0.0 } }

let private varianceChoice =
    choice "variance" [ "beta"; "posterior" ] "posterior" "reverse-step variance: β_t or the posterior β̃_t"

/// The start law of a grid-based diffusion sampler at the grid's top level τ₀ (variance-preserving convention).
type DiffusionStart =
    /// N(0, I): the stationary law of the forward process, the usual DDPM start.
    | StandardNormal
    /// k-diffusion's x̄ = σ_max·ξ in VE coordinates x̄ = Y/√ᾱ; as Y = √ᾱ₀ x̄ and σ_max² = τ₀/ᾱ₀ it is N(0, τ₀ I).
    | SigmaMaxScaled
    /// q_{τ₀}, the noised data law itself (Gaussian targets only): no start-law error at all.
    | ExactTop

let private startNames =
    [ StandardNormal, "standard"; SigmaMaxScaled, "sigma-max"; ExactTop, "exact" ]

let private diffusionStartParam =
    choice
        "start"
        (List.map snd startNames)
        "standard"
        "start law at the top level τ₀: N(0, I), k-diffusion's σ_max·N(0, I) (N(0, τ₀ I) here), or the exact q_τ₀"

/// The start law a diffusion component asks for (standard when its sampler declares none).
let diffusionStart (c: Component) =
    match Map.tryFind "start" c.Parameters with
    | Some(Text name) -> startNames |> List.find (fun (_, n) -> n = name) |> fst
    | _ -> StandardNormal

let private endReference (grid: NoiseGrid) (r: GaussianReduction) =
    if grid.End.Tau = 0.0 then
        r.Target
    else
        r.NoisedData grid.End.Tau

let private diffusion name description parameters rules doublesPerStep maxSteps build =
    checked'
        { Name = name
          Description = description
          Diffusion = true
          Parameters = parameters
          Absent = EachOptional []
          Rules = rules
          Step = noStep
          Stability = noLimit
          DoublesPerStep = doublesPerStep
          MaxSteps = maxSteps
          Build = build }

/// A sampler on the catalog's grid parameters with rules of its own; `start` says whether the kernel takes a start law
/// (then the `start` parameter is declared). Every grid sampler may end at τ = 0: none divides by the end level's σ or
/// τ (their steps use ᾱ ratios and OU lengths, finite at τ = 0, and Heun's last step to 0 is Euler's). Extra
/// parameters without a default may be absent.
let private onGridWith
    name
    description
    (extra: ParamSchema list)
    (rules: Component -> (string * string) option)
    (start: bool)
    (make: Component -> int -> NoiseGrid -> StartLaw -> ISamplerKernel)
    =
    let parameters =
        GridChoice.schema @ (if start then [ diffusionStartParam ] else []) @ extra

    let optional =
        "levels"
        :: [ for p in extra do
                 if p.Default.IsNone then
                     yield p.Name ]
    // The grid holds n + 1 levels and the kernel a few coefficients per step.
    checked'
        { Name = name
          Description = description
          Diffusion = true
          Parameters = parameters
          Absent = EachOptional optional
          Rules = (fun c -> GridChoice.rules c |> Option.orElse (rules c))
          Step = noStep
          Stability = noLimit
          DoublesPerStep = 8
          MaxSteps = Array.MaxLength - 1
          Build =
            fun c reduction n ->
                let grid = GridChoice.build c n

                { Kernel = make c reduction.Dimension grid reduction.Start
                  Steps = int64 grid.Steps
                  Reference = endReference grid
                  DrawReference = None
                  OutputTau = Some grid.End.Tau } }

/// A sampler on the catalog's grid parameters (see onGridWith) with no rules of its own.
let private onGrid name description extra start make =
    onGridWith name description extra noRules start make

let private churnSchema =
    [ real "s_churn" (Some(Closed 0.0)) None (Some 0.0) "S_churn: total churn, γ_i = min(S_churn/n, √2 − 1)"
      real "s_tmin" (Some(Closed 0.0)) None (Some 0.0) "S_tmin: smallest σ_i that is churned"
      positive "s_tmax" None "S_tmax: largest σ_i that is churned (absent: no upper limit)"
      positive "s_noise" (Some 1.0) "S_noise: scale of the churn noise" ]

/// s_tmin ≤ s_tmax when both are given.
let private churnRules (c: Component) =
    match Map.tryFind "s_tmax" c.Parameters with
    | Some(Number hi) ->
        let lo = Read.number churnSchema c "s_tmin"

        if lo <= hi then
            None
        else
            Some("s_tmin", $"expected at most s_tmax = {shown hi}, got {shown lo}")
    | _ -> None

let private noised (r: GaussianReduction) (tau: float) =
    if tau = 0.0 then r.Target else r.NoisedData tau

let private liJiaoSchema picard =
    [ integer "K" 1 (Some LiJiaoSchedule.DefaultRounds) "rounds; K must divide 2n and 2n/K be even"
      positive "c0" (Some LiJiaoSchedule.DefaultC0) "schedule constant c₀"
      positive "c1" (Some LiJiaoSchedule.DefaultC1) "schedule constant c₁ > c₀" ]
    @ (if picard then
           [ integer "sweeps" 1 (Some 8) "Picard sweeps per round" ]
       else
           [])

/// Li–Jiao on T = n cells in K rounds (K | 2T, N = 2T/K even); it stops at the drawn level τ_{K,0} = 1 − ᾱ₁, so each
/// draw is compared with its own q_{τ_{K,0}}, and the moment-matched bound with q at the skeleton's level β̂₀.
let private liJiao name description levels (picard: bool) =
    let schema = liJiaoSchema picard
    let rules = ordered schema "c0" "c1" true
    // 2T must fit in an int; the schedule holds a few doubles per level of its 2T + N/2 levels.
    diffusion name description schema rules 12 (Int32.MaxValue / 2) (fun c reduction n ->
        let p = Read.number schema c
        let schedule = LiJiaoSchedule(n, int (p "K"), p "c0", p "c1", levels)

        let kernel: ISamplerKernel =
            if picard then
                LiJiaoParallel(reduction.Dimension, schedule, int (p "sweeps"))
            else
                LiJiao(reduction.Dimension, schedule)

        { Kernel = kernel
          Steps = int64 schedule.K
          Reference = (fun r -> noised r (schedule.RoundSkeleton(schedule.K, -1).Tau))
          DrawReference = Some(fun r u -> noised r (schedule.Level(ReadOnlySpan u, 1).Tau))
          OutputTau = None })

let private varianceOf c =
    if Read.text [ varianceChoice ] c "variance" = "beta" then
        DdpmVariance.Beta
    else
        DdpmVariance.Posterior

let private ddimEta =
    real "eta" (Some(Closed 0.0)) (Some(Closed 1.0)) (Some 0.0) "stochasticity η (0: deterministic)"

let private midpointChoice =
    choice
        "midpoint"
        [ "interpolation"; "iterate" ]
        "interpolation"
        "midpoint drift from the frozen-drift interpolation (one batched round) or the actual iterate (sequential)"

let private midpointOf (c: Component) =
    match Read.text [ midpointChoice ] c "midpoint" with
    | "iterate" -> MidpointSource.Iterate
    | _ -> MidpointSource.Interpolation

let private ulmcRule (p: string -> float) =
    Stability.UnderdampedExponential(p "gamma", p "u")

/// The kernel's own defaults of h₀, T_corr and γ (unverified; see GuptaCaiChenConstants), with the catalog's T_end and δ.
let private guptaDefaults = GuptaCaiChenConstants(TEnd = 6.0, Delta = 0.001)

let private guptaSchema =
    [ { positive
            "t_end"
            (Some guptaDefaults.TEnd)
            "OU time T_end of the start (T_end − δ is what the n predictor steps cover)" with
          Role = SplitOverSteps }
      positive "delta" (Some guptaDefaults.Delta) "OU time δ of the end (early stopping), below t_end"
      boolean "predictor_only" false "run the predictor phases only (no underdamped corrector)"
      positive
          "phase_length"
          (Some guptaDefaults.H0)
          "OU length h₀ of one predictor phase (a corrector runs after each)"
      positive "t_corr" (Some guptaDefaults.TCorr) "corrector time T_corr per phase"
      positive "gamma" (Some guptaDefaults.Gamma) "corrector friction γ" ]

/// Gupta–Cai–Chen's constants without predictor_only: the PF-ODE predictor always runs with the corrector.
let private pfCorrectorSchema =
    guptaSchema |> List.filter (fun p -> p.Name <> "predictor_only")

let samplers: SamplerEntry list =
    [ langevin
          "ula"
          "unadjusted Langevin (Euler–Maruyama), 1 gradient per step"
          "h"
          "step size"
          []
          (fun _ -> Stability.OverdampedEuler)
          (fun _ _ d h start -> Ula(d, h, start))
      langevin
          "rlmc"
          "overdamped randomized midpoint with nested Brownian increments, 2 gradients per step"
          "h"
          "step size"
          []
          (fun _ -> Stability.RandomizedMidpoint)
          (fun _ _ d h start -> Rlmc(d, h, start))
      langevin
          "ulmc"
          "underdamped Langevin, exponential integrator"
          "eta"
          "step size"
          [ positive "gamma" (Some 2.0) "friction γ"
            positive "u" (Some 1.0) "inverse mass u" ]
          ulmcRule
          (fun _ p d eta start -> Ulmc(d, eta, p "gamma", p "u", start))
      langevin
          "shen-lee"
          "Shen–Lee randomized midpoint for underdamped Langevin (γ = 2)"
          "h"
          "step size"
          [ positive "u" (Some 1.0) "inverse mass u" ]
          (fun _ -> Stability.NoKnownLimit)
          (fun _ p d h start -> ShenLee(d, h, p "u", start))
      langevin
          "plmc"
          "Poisson midpoint on overdamped Langevin"
          "alpha"
          "outer step size (K fine steps of alpha/K)"
          [ integer "K" 1 (Some 8) "fine steps per outer step"; midpointChoice ]
          (fun _ -> Stability.NoKnownLimit)
          (fun c p d alpha start -> PoissonMidpoint.Overdamped(d, alpha, int (p "K"), start, midpointOf c))
      langevin
          "plmc-ulmc"
          "Poisson midpoint on underdamped Langevin"
          "alpha"
          "outer step size (K fine steps of alpha/K)"
          [ integer "K" 1 (Some 8) "fine steps per outer step"
            positive "gamma" (Some 2.0) "friction γ"
            midpointChoice ]
          (fun _ -> Stability.NoKnownLimit)
          (fun c p d alpha start ->
              PoissonMidpoint.Underdamped(d, alpha, int (p "K"), p "gamma", start, source = midpointOf c))
      onGrid "ddpm" "DDPM ancestral steps on the chosen grid" [ varianceChoice ] true (fun c d grid start ->
          DdpmAncestral(d, grid, varianceOf c, start))
      onGrid "ddim" "DDIM (ε frozen)" [ ddimEta ] true (fun c d grid start ->
          Ddim(d, grid, Read.number [ ddimEta ] c "eta", start))
      onGrid
          "dpm-solver-1"
          "DPM-Solver-1 (Lu et al. 2022): exponential integrator in log-SNR, ε frozen (DDIM, η = 0)"
          []
          true
          (fun _ d grid start -> DpmSolver1(d, grid, start))
      onGrid
          "dpm-solver-2"
          "DPM-Solver-2 (Lu et al. 2022): midpoint in log-SNR, 2 score calls per step (1 for a last step to τ = 0)"
          []
          true
          (fun _ d grid start -> DpmSolver2(d, grid, start))
      onGrid "exp-euler" "score-frozen exponential Euler on the probability-flow ODE" [] true (fun _ d grid start ->
          ProbabilityFlowExponentialEuler(d, grid, start))
      onGrid "pf-euler" "Euler on the probability-flow ODE" [] true (fun _ d grid start ->
          ProbabilityFlowEuler(d, grid, start))
      onGrid
          "heun"
          "Heun (EDM), 2 score calls per step (1 for a last step to τ = 0: Euler)"
          []
          true
          (fun _ d grid start -> Heun(d, grid, start))
      onGridWith
          "heun-churn"
          "Heun with EDM stochastic churn (Karras et al. 2022, Algorithm 2)"
          churnSchema
          churnRules
          true
          (fun c d grid start ->
              let p = Read.number churnSchema c

              let sMax =
                  match Map.tryFind "s_tmax" c.Parameters with
                  | Some(Number x) -> x
                  | _ -> infinity

              HeunChurn(d, grid, p "s_churn", p "s_tmin", sMax, p "s_noise", start))
      onGrid "sde-em" "reverse SDE by Euler–Maruyama" [] true (fun _ d grid start ->
          ReverseSdeEulerMaruyama(d, grid, start))
      onGrid "sde-exp" "reverse SDE by the exponential integrator" [] true (fun _ d grid start ->
          ReverseSdeExponential(d, grid, start))
      onGrid
          "gupta-predictor"
          "Gupta–Cai–Chen randomized-midpoint predictor, eqs. (7)–(8), 2 score calls per step"
          []
          false
          (fun _ d grid _ -> GuptaCaiChenPredictor(d, grid))
      liJiao
          "li-jiao"
          "Li–Jiao randomized log-SNR schedule with noise injection; n = T cells, 2T score calls"
          LiJiaoLevels.Randomized
          false
      liJiao
          "li-jiao-endpoint"
          "Li–Jiao's scheme evaluated at the cells' upper endpoints instead of random points"
          LiJiaoLevels.UpperEndpoint
          false
      liJiao
          "li-jiao-parallel"
          "Li–Jiao with Picard sweeps per round, all calls of a sweep batched"
          LiJiaoLevels.Randomized
          true
      diffusion
          "gupta"
          "full Gupta–Cai–Chen: predictor phases + underdamped corrector; n predictor steps"
          guptaSchema
          (ordered guptaSchema "delta" "t_end" true)
          // Each step keeps one scheduled operation (two times and two flags) for the predictor and the corrector.
          16
          (Int32.MaxValue / 4)
          (fun c reduction n ->
              let p = Read.number guptaSchema c
              let h = (p "t_end" - p "delta") / float n

              let constants =
                  GuptaCaiChenConstants(
                      TEnd = p "t_end",
                      Delta = p "delta",
                      HPred = h,
                      HCorr = h,
                      H0 = p "phase_length",
                      TCorr = p "t_corr",
                      Gamma = p "gamma"
                  )

              let kernel =
                  GuptaCaiChen(reduction.Dimension, constants, Read.flag guptaSchema c "predictor_only")

              { Kernel = kernel
                Steps = int64 kernel.Steps
                Reference = (fun r -> noised r kernel.OutputLevel.Tau)
                DrawReference = None
                OutputTau = Some kernel.OutputLevel.Tau })
      diffusion
          "pf-ode-corrector"
          "PF-ODE score-frozen exponential Euler phases + Gupta–Cai–Chen's underdamped corrector; n predictor steps"
          pfCorrectorSchema
          (ordered pfCorrectorSchema "delta" "t_end" true)
          16
          (Int32.MaxValue / 4)
          (fun c reduction n ->
              let p = Read.number pfCorrectorSchema c
              let h = (p "t_end" - p "delta") / float n

              let constants =
                  GuptaCaiChenConstants(
                      TEnd = p "t_end",
                      Delta = p "delta",
                      HPred = h,
                      HCorr = h,
                      H0 = p "phase_length",
                      TCorr = p "t_corr",
                      Gamma = p "gamma"
                  )

              let kernel = PfOdeUnderdampedCorrector(reduction.Dimension, constants)

              { Kernel = kernel
                Steps = int64 kernel.Steps
                Reference = (fun r -> noised r kernel.OutputLevel.Tau)
                DrawReference = None
                OutputTau = Some kernel.OutputLevel.Tau })
      diffusion
          "ddpm-respaced"
          "DDPM on n ≤ 1000 steps respaced from the 1000-step latent-diffusion schedule (β 0.0015–0.0195)"
          [ varianceChoice ]
          noRules
          8
          1000
          (fun c reduction n ->
              let grid = DdpmSchedule.LatentDiffusionVqF4().Uniform n

              { Kernel = DdpmAncestral(reduction.Dimension, grid, varianceOf c)
                Steps = int64 grid.Steps
                Reference = endReference grid
                DrawReference = None
                OutputTau = Some grid.End.Tau })
      diffusion
          "plmc-ddpm"
          "Poisson midpoint on the 1000-step latent-diffusion DDPM chain; n outer steps (n | 1000) of 1000/n fine steps"
          [ varianceChoice ]
          noRules
          8
          1000
          (fun c reduction n ->
              let schedule = DdpmSchedule.LatentDiffusionVqF4()

              if schedule.Steps % n <> 0 then
                  let total = schedule.Steps

                  raise (
                      ArgumentException(
                          $"steps = {n} is out of range; allowed: divisors of {total} ({total}/n fine steps per outer step)",
                          "steps"
                      )
                  )

              let kernel =
                  PoissonMidpointDdpm(reduction.Dimension, schedule, schedule.Steps / n, varianceOf c)

              { Kernel = kernel
                Steps = int64 kernel.Steps
                Reference = (fun r -> r.Target)
                DrawReference = None
                OutputTau = Some 0.0 }) ]

/// Looks an entry up by name, or fails with the list of known names (a usage error).
let find (kind: string) (name: string) (entries: 'a list) (nameOf: 'a -> string) =
    match entries |> List.tryFind (fun e -> nameOf e = name) with
    | Some e -> e
    | None ->
        let known = String.Join(", ", entries |> List.map nameOf)
        raise (ArgumentException($"{kind} \"{name}\" is unknown; known: {known}", kind))

/// The start law of a sampler on a Gaussian problem: Langevin samplers start at the target or at 0 (`start`); grid
/// diffusion samplers at their top level τ₀ from the law their `start` names (DiffusionStart), the others from N(0, I).
let startLaw (entry: SamplerEntry) (c: Component) (problem: GaussianProblem) =
    let d = problem.Variance.Length

    if entry.Diffusion then
        match diffusionStart c with
        | StandardNormal -> StartLaw.Isotropic(d, 1.0)
        | SigmaMaxScaled -> StartLaw.Isotropic(d, sqrt (GridChoice.top c))
        | ExactTop ->
            let level = NoiseLevel.FromTau(GridChoice.top c)
            let a, tau = level.AlphaBar, level.Tau
            let sd = problem.Variance |> Array.map (fun v -> sqrt (a * v + tau))
            StartLaw(Array.map (fun m -> sqrt a * m) problem.Mean, sd)
    elif Read.text entry.Parameters c "start" = "origin" then
        StartLaw.Point(Array.zeroCreate d)
    else
        StartLaw(problem.Mean, Array.map sqrt problem.Variance)

let sampler name =
    find "sampler" name samplers (fun e -> e.Name)

let target name =
    find "target" name targets (fun e -> e.Name)

/// The sampled form of any target law: a Gaussian one gets its exact draws and its closed-form noised scores, so the
/// Monte Carlo metrics can be checked on targets whose exact distances are known.
let sampled (law: TargetLaw) : SampledTarget =
    match law with
    | NonGaussian t -> t
    | Gaussian p -> ofMixture [| 1.0 |] [| p.Mean |] [| p.Variance |]

/// The Monte Carlo metrics' names, for messages that send a user there.
let sampleMetricNames = [ "sample:mmd"; "sample:energy"; "sample:sliced_w2" ]

/// The Gaussian problem of a target in dimension d, or a usage error naming `path` when the target is not Gaussian:
/// the exact engine needs a Gaussian law, and the message points at the Monte Carlo metrics instead.
let gaussianAt (path: string) (c: Component) (d: int) : GaussianProblem =
    match (target c.Name).Build c d with
    | Gaussian p -> p
    | NonGaussian _ ->
        let metrics = String.Join(", ", sampleMetricNames)

        raise (
            SpecException(
                path,
                $"{c.Name} is not Gaussian, so it has no exact law; allowed: a Gaussian target, "
                + $"or measure {c.Name} with a Monte Carlo metric ({metrics})"
            )
        )

/// The Gaussian problem of a target known to be Gaussian (see gaussianAt).
let gaussianProblem (c: Component) (d: int) = gaussianAt "target" c d

/// The listing of `ratelab list`: the description, then one indented line per declared parameter.
let listing (description: string) (absent: MayBeAbsent) (parameters: ParamSchema list) =
    let oneOf, optional =
        match absent with
        | ExactlyOneOf names -> names, []
        | EachOptional names -> [], names

    let lines = describe oneOf optional parameters |> List.map (fun l -> "    " + l)
    String.Join("\n", description :: (if lines.IsEmpty then [ "    (no parameters)" ] else lines))

/// SHA-256 of the content of every file a spec's sampler and target read (their FilePath parameters), so a cache key
/// changes when a file is edited; "" when they read none.
let fileDigest (samplerComponent: Component) (targetComponent: Component) =
    let files (schema: ParamSchema list) (c: Component) =
        [ for p in schema do
              match p.Kind, Map.tryFind p.Name c.Parameters with
              | FilePath _, Some(Text path) -> yield p.Name, path
              | _ -> () ]
    // Unknown names read no file here; they are refused where the run is checked.
    let schemaOf (entries: 'e list) (nameOf: 'e -> string) (parametersOf: 'e -> ParamSchema list) (name: string) =
        entries
        |> List.tryFind (fun e -> nameOf e = name)
        |> Option.map parametersOf
        |> Option.defaultValue []

    let all =
        files (schemaOf samplers (fun e -> e.Name) (fun e -> e.Parameters) samplerComponent.Name) samplerComponent
        @ files (schemaOf targets (fun e -> e.Name) (fun e -> e.Parameters) targetComponent.Name) targetComponent

    if all.IsEmpty then
        ""
    else
        all
        |> List.map (fun (name, path) ->
            let hash = Security.Cryptography.SHA256.HashData(IO.File.ReadAllBytes path)
            $"{name}={Convert.ToHexString hash}")
        |> String.concat ";"
