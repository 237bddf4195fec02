/// The Poisson-midpoint study behind claims A9/S5 (overdamped) and S6 (underdamped): exact laws of PLMC (moments by
/// enumeration of its Bernoulli patterns) and of its base chain run at the fine step. B11's comparison is
/// Studies/B11Study.
module RateLab.Analysis.Studies.PoissonMidpointStudy

open System
open RateLab.Analysis.Model
open RateLab.Core.Contracts
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec

let private standardNormal () =
    GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 1.0 |], StartLaw([| 0.0 |], [| 1.0 |]))

/// The exact total law (mean and variance by enumeration of the Bernoulli patterns) of PLMC(α, K) on N(0, 1) after n
/// outer steps from the target.
let plmcExactLaw (alpha: float) (k: int) (steps: int) =
    let reduction = standardNormal ()
    let kernel = PoissonMidpoint.Overdamped(1, alpha, k, reduction.Start)

    let r =
        ExactAnalysis.Analyse(
            ExactProblem.Langevin(reduction, kernel, int64 steps),
            ExactOptions(Replicates = 2, Seed = Seeds.Report)
        )

    if not r.MomentsExact then
        raise (InvalidOperationException($"PLMC(K = {k}) moments were not enumerated exactly"))

    r.Law.Position(ReadOnlySpan [| 1.0 |])

/// The exact law of LMC (ULA) with step h after n steps on N(0, 1) from the target.
let lmcExactLaw (h: float) (steps: int) =
    let reduction = standardNormal ()

    let r =
        ExactAnalysis.Analyse(ExactProblem.Langevin(reduction, Langevin.Ula(1, h, reduction.Start), int64 steps))

    r.Law.Position(ReadOnlySpan [| 1.0 |])

/// The base dynamics PLMC refines, which fixes the reference chain the gap is measured against: overdamped Langevin
/// (PLMC against LMC(α/K), i.e. ULA) or underdamped Langevin with unit mass and friction γ (PLMC against ULMC(α/K),
/// the same exponential integrator run K·n steps of α/K without the Poisson selection, from the same start law).
type BaseDynamics =
    | Overdamped
    | Underdamped of gamma: float

/// PLMC(α, K) on the base dynamics.
let plmcKernel (dynamics: BaseDynamics) (d: int) (alpha: float) (k: int) (start: StartLaw) : ISamplerKernel =
    match dynamics with
    | Overdamped -> PoissonMidpoint.Overdamped(d, alpha, k, start) :> ISamplerKernel
    | Underdamped gamma -> PoissonMidpoint.Underdamped(d, alpha, k, gamma, start)

/// The base chain alone with step h: ULA, or ULMC with unit mass (UnderdampedFineDynamics' step and start).
let baseKernel (dynamics: BaseDynamics) (d: int) (h: float) (start: StartLaw) : ISamplerKernel =
    match dynamics with
    | Overdamped -> Langevin.Ula(d, h, start) :> ISamplerKernel
    | Underdamped gamma -> Ulmc(d, h, gamma, 1.0, start)

/// One Gaussian problem of the two-sided gap study: a diagonal target N(mean, diag variance) and a start law.
type GapProblem =
    { Name: string
      Mean: float[]
      Variance: float[]
      Start: StartLaw }

/// Two-sided evidence on the gap between PLMC(α, K) and its base chain at α/K after n outer steps (nK fine steps), and
/// the base chain's own bias at α for the speed-up context. Distances are between the laws of the position after the
/// same time nα: for underdamped dynamics the position marginal, what a user samples (the engine propagates the joint
/// (x, v) law; its marginal is exact too, and PLMC's per-draw position laws are Gaussian, so every bound below holds
/// for the marginal as it stands).
type GapPoint =
    {
        Steps: int
        Alpha: float
        /// Gelbrich: W2 between PLMC's exact moment-matched law p_G and LMC(α/K)'s exact law (a lower bound on W2).
        W2Lower: float
        /// The synchronous coupling: (E|x_PLMC − x_LMC|²)^½ with both chains on the same fine normals, exact (an upper
        /// bound on W2); overdamped only, since the coupled underdamped state (x, v) of both chains has four blocks and
        /// the exact engine propagates at most two.
        W2Coupling: float option
        /// (E_draws W2(N_draws, q)²)^½ over the draw replicates: an upper bound on W2, estimated.
        W2Convexity: McEstimate
        /// KL(p_G ‖ q), exact: a lower bound on KL(p ‖ q) (Pythagorean identity, q Gaussian).
        KlLower: float
        /// E_draws KL(N_draws ‖ q) over the draw replicates: an upper bound on KL(p ‖ q) (convexity), estimated.
        KlUpper: McEstimate
        /// χ²(p ‖ p_G) of PLMC's mixture against its exact moment-matched law, estimated over the draw laws
        /// (MixtureChiSquare): the non-Gaussian part of p.
        ChiSquare: ChiSquareEstimate
        /// KL(p_G ‖ q) + max(0, χ̂²) + z·SE (MixtureGapBound): a one-sided 95 % upper bound on KL(p ‖ q), estimated,
        /// with χ̂²'s standard error; +∞ where some pair of draw laws has an infinite χ² integral.
        KlBound: McEstimate
        /// (2 λ_max(q) · KlBound)^½: an upper bound on W2(p, q) by Talagrand's inequality for the Gaussian q,
        /// estimated (delta-method standard error).
        W2Talagrand: McEstimate
        /// Exact W2 of the base chain at α (LMC(α) or ULMC(α), n steps) to its Langevin diffusion's position law at
        /// time nα (the target when started there).
        LmcBias: float
        /// Whether PLMC's total moments (and the coupled second moments) were enumerated exactly.
        MomentsExact: bool
    }

/// The exact second moment E|x_PLMC − x_LMC|² of the coupled state (block 0 PLMC, block 1 LMC(α/K)) from its total
/// per-coordinate mean and covariance, weighted by the coordinates' multiplicities.
let couplingSquare (law: GaussianState) (multiplicity: float[]) =
    let d = law.Dimension

    Array.init d (fun i ->
        let dm = law.Mean.[i] - law.Mean.[d + i]

        let c00, c01, c11 =
            law.Covariance.[i], law.Covariance.[d + i], law.Covariance.[2 * d + i]

        multiplicity.[i] * (dm * dm + c00 + c11 - 2.0 * c01))
    |> Array.sum

/// The exact joint (total) law of PLMC(α, K) and LMC(α/K) coupled on the same fine normals after n outer steps, with
/// whether its moments were enumerated exactly.
let coupledLaw (problem: GapProblem) (alpha: float) (k: int) (steps: int) (seed: uint64) =
    let reduction =
        GaussianReduction.Diagonal(ReadOnlySpan problem.Mean, ReadOnlySpan problem.Variance, problem.Start)

    let kernel =
        CoupledPoissonMidpoint.Overdamped(reduction.Dimension, alpha, k, reduction.Start)

    let r =
        ExactAnalysis.Analyse(
            ExactProblem.Langevin(reduction, kernel, int64 steps),
            ExactOptions(Replicates = 2, Seed = seed)
        )

    r.Law, reduction.Multiplicity, r.MomentsExact

/// Every bound of one grid point: the base chain's exact law q at α/K; PLMC analysed against q (exact moment-matched
/// lower bounds, E_draws upper bounds over `replicates` draws, and the χ²/Talagrand upper bounds from the laws of
/// `drawLaws` draws); the coupled chains' exact second moments (overdamped); the base chain's bias at α.
let gapPoint
    (dynamics: BaseDynamics)
    (problem: GapProblem)
    (k: int)
    (horizon: float)
    (replicates: int)
    (drawLaws: int)
    (seed: uint64)
    (steps: int)
    =
    let alpha = horizon / float steps

    let reduction =
        GaussianReduction.Diagonal(ReadOnlySpan problem.Mean, ReadOnlySpan problem.Variance, problem.Start)

    let d = reduction.Dimension
    let weights = reduction.Multiplicity

    // The base chain's exact position law after n steps of size h, on the coordinates of r.
    let lawOfBaseOn (r: GaussianReduction) h n =
        let law =
            ExactAnalysis.Analyse(ExactProblem.Langevin(r, baseKernel dynamics r.Dimension h r.Start, int64 n))

        law.Law.Position(r.Multiplicity)

    let lawOfBase = lawOfBaseOn reduction
    let q = lawOfBase (alpha / float k) (steps * k)

    // PLMC against the base chain at α/K, on any coordinates of this problem: the analysis and the draw laws also build
    // it on side-by-side probe copies (packed probes: the same laws, bit for bit, at a fraction of the per-call cost of
    // a kernel on one to four coordinates). The base law is time-homogeneous, so each extra build costs O(log n) steps.
    let plmcOn (r: GaussianReduction) =
        ExactProblem(
            plmcKernel dynamics r.Dimension alpha k r.Start,
            r.TargetScore(),
            r.CentredTargetScore(),
            lawOfBaseOn r (alpha / float k) (steps * k),
            int64 steps
        )

    let plmc =
        ExactAnalysis.Analyse(reduction, plmcOn, ExactOptions(Replicates = replicates, Seed = seed))

    // The χ² estimate's first-order control variate has mean 0 only against the exact p_G (MixtureChiSquare).
    if not plmc.MomentsExact then
        raise (InvalidOperationException($"PLMC(K = {k}) moments were not enumerated exactly"))

    let chiSquare =
        MixtureChiSquare.Estimate(
            DrawLaws.Positions(reduction, plmcOn, drawLaws, seed),
            plmc.Law.Position(ReadOnlySpan weights)
        )

    let bound = MixtureGapBound.Of(plmc.MomentMatched.Kl, chiSquare, q)

    let coupling =
        match dynamics with
        | Overdamped ->
            let joint, multiplicity, jointExact = coupledLaw problem alpha k steps seed
            Some(sqrt (couplingSquare joint multiplicity), jointExact)
        | Underdamped _ -> None

    // The diffusion's own law at time nα, so the base chain's bias is the step's alone, not the distance still to go
    // from a start away from the target.
    let diffusion =
        let t = alpha * float steps

        match dynamics with
        | Overdamped -> DiffusionLaw.overdamped reduction t
        | Underdamped gamma -> DiffusionLaw.underdamped gamma reduction t

    let bias = sqrt (GaussianDistances.W2Squared(lawOfBase alpha steps, diffusion))

    { Steps = steps
      Alpha = alpha
      W2Lower = sqrt (GaussianDistances.W2Squared(plmc.Law.Position(ReadOnlySpan weights), q))
      W2Coupling = coupling |> Option.map fst
      W2Convexity = McEstimate(plmc.Upper.W2, plmc.Upper.W2StandardError)
      KlLower = plmc.MomentMatched.Kl
      KlUpper = plmc.Upper.Kl
      ChiSquare = chiSquare
      KlBound = McEstimate(bound.Kl, bound.KlStandardError)
      W2Talagrand = McEstimate(bound.W2, bound.W2StandardError)
      LmcBias = bias
      MomentsExact = plmc.MomentsExact && (coupling |> Option.forall snd) }

/// The problems of the two-sided study: N(0, 1) from the target (the original A9 set-up) and from N(3, 0.5²), and the
/// catalog's ill-conditioned-gaussian at d = 4, κ = 4 (precisions 1 … 4, so αL ≤ 1 on the grid from n = 8) from the
/// point (1, …, 1).
let gapProblems () : GapProblem list =
    let illConditioned =
        let entry = Catalog.target "ill-conditioned-gaussian"

        let c: Component =
            { Name = entry.Name
              Parameters = Map.ofList [ "kappa", Number 4.0 ] }

        match entry.Build c 4 with
        | Catalog.Gaussian g -> g
        | Catalog.NonGaussian _ -> invalidOp "ill-conditioned-gaussian is Gaussian"

    [ { Name = "N(0, 1), start at the target"
        Mean = [| 0.0 |]
        Variance = [| 1.0 |]
        Start = StartLaw([| 0.0 |], [| 1.0 |]) }
      { Name = "N(0, 1), start N(3, 0.5²)"
        Mean = [| 0.0 |]
        Variance = [| 1.0 |]
        Start = StartLaw([| 3.0 |], [| 0.5 |]) }
      { Name = "ill-conditioned-gaussian(d = 4, κ = 4), start at (1, …, 1)"
        Mean = illConditioned.Mean
        Variance = illConditioned.Variance
        Start = StartLaw.Point(Array.create 4 1.0) } ]
