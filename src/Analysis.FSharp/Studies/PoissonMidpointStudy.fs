/// The Poisson-midpoint study behind claims A9/S5: exact laws of PLMC (moments by enumeration of its Bernoulli
/// patterns) and of LMC on N(0, 1). B11's comparison is Studies/B11Study.
module RateLab.Analysis.Studies.PoissonMidpointStudy

open System
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
            ExactOptions(Replicates = 2, Seed = 20261123UL)
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

/// One Gaussian problem of the two-sided gap study: a diagonal target N(mean, diag variance) and a start law.
type GapProblem =
    { Name: string
      Mean: float[]
      Variance: float[]
      Start: StartLaw }

/// Two-sided evidence on the gap between PLMC(α, K) and LMC(α/K) after n outer steps (nK fine steps), and LMC(α)'s own
/// bias for the speed-up context. Distances are between the laws of the position after the same time nα.
type GapPoint =
    {
        Steps: int
        Alpha: float
        /// Gelbrich: W2 between PLMC's exact moment-matched law p_G and LMC(α/K)'s exact law (a lower bound on W2).
        W2Lower: float
        /// The synchronous coupling: (E|x_PLMC − x_LMC|²)^½ with both chains on the same fine normals, exact (an upper
        /// bound on W2).
        W2Coupling: float
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
        /// Exact W2 of LMC(α) (n steps) to the Langevin diffusion's law at time nα (the target when started there).
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

/// Every bound of one grid point: LMC(α/K)'s exact law q; PLMC analysed against q (exact moment-matched lower bounds,
/// E_draws upper bounds over `replicates` draws, and the χ²/Talagrand upper bounds from the laws of `drawLaws` draws);
/// the coupled chains' exact second moments; LMC(α)'s bias.
let gapPoint
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

    let lawOfUla h n =
        let r =
            ExactAnalysis.Analyse(ExactProblem.Langevin(reduction, Langevin.Ula(d, h, reduction.Start), int64 n))

        r.Law.Position(ReadOnlySpan weights)

    let q = lawOfUla (alpha / float k) (steps * k)

    let plmcProblem =
        ExactProblem(
            PoissonMidpoint.Overdamped(d, alpha, k, reduction.Start),
            reduction.TargetScore(),
            reduction.CentredTargetScore(),
            q,
            int64 steps
        )

    let plmc =
        ExactAnalysis.Analyse(plmcProblem, ExactOptions(Replicates = replicates, Seed = seed))

    // The χ² estimate's first-order control variate has mean 0 only against the exact p_G (MixtureChiSquare).
    if not plmc.MomentsExact then
        raise (InvalidOperationException($"PLMC(K = {k}) moments were not enumerated exactly"))

    let chiSquare =
        MixtureChiSquare.Estimate(
            DrawLaws.Positions(plmcProblem, drawLaws, seed),
            plmc.Law.Position(ReadOnlySpan weights)
        )

    let bound = MixtureGapBound.Of(plmc.MomentMatched.Kl, chiSquare, q)

    let joint, multiplicity, jointExact = coupledLaw problem alpha k steps seed
    // The Langevin diffusion's own law at time nα (per coordinate an Ornstein–Uhlenbeck process), so LMC(α)'s bias is
    // the step's alone, not the distance still to go from a start away from the target.
    let diffusion =
        let t = alpha * float steps
        let start = reduction.Start

        DiagonalLaw(
            Array.init d (fun i ->
                let decay = exp (-t / reduction.Variance.[i])
                reduction.Mean.[i] + (start.Mean.[i] - reduction.Mean.[i]) * decay),
            Array.init d (fun i ->
                let decay = exp (-2.0 * t / reduction.Variance.[i])
                let s0 = start.Sd.[i]
                reduction.Variance.[i] + (s0 * s0 - reduction.Variance.[i]) * decay),
            weights
        )

    let bias = sqrt (GaussianDistances.W2Squared(lawOfUla alpha steps, diffusion))

    { Steps = steps
      Alpha = alpha
      W2Lower = sqrt (GaussianDistances.W2Squared(plmc.Law.Position(ReadOnlySpan weights), q))
      W2Coupling = sqrt (couplingSquare joint multiplicity)
      W2Convexity = McEstimate(plmc.Upper.W2, plmc.Upper.W2StandardError)
      KlLower = plmc.MomentMatched.Kl
      KlUpper = plmc.Upper.Kl
      ChiSquare = chiSquare
      KlBound = McEstimate(bound.Kl, bound.KlStandardError)
      W2Talagrand = McEstimate(bound.W2, bound.W2StandardError)
      LmcBias = bias
      MomentsExact = plmc.MomentsExact && jointExact }

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
