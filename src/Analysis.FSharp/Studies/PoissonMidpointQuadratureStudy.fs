/// A9/S5/S5' beyond Gaussian targets: the laws of overdamped PLMC(α, K) and of LMC(α/K) on one-dimensional
/// non-Gaussian targets (the double well, a two-component Gaussian mixture), computed by quadrature on a grid
/// (Core.Exact.PoissonMidpointQuadrature), not sampled, so the gap between them is resolved down to 1e-13 in KL.
module RateLab.Analysis.Studies.PoissonMidpointQuadratureStudy

open System
open System.Text.Json.Nodes
open RateLab.Analysis.Experiments
open RateLab.Core.Exact
open RateLab.Core.Targets

/// Where the chains start.
type QuadratureStart =
    /// At the target π (what the gap costs at stationarity).
    | AtTarget
    /// From N(mean, sd²), away from the target.
    | FromGaussian of mean: float * sd: float

/// One problem: a one-dimensional target on the window [Lower, Upper] that holds its mass, a start law, and PLMC's K.
type QuadratureProblem =
    { Name: string
      Target: ITarget
      Lower: float
      Upper: float
      Start: QuadratureStart
      K: int }

/// The problems: the double well f(x) = (x² − 1)² (not log-concave; ∇f grows like x³, so the score has no global
/// Lipschitz constant) and 0.4 N(−1.5, 0.25) + 0.6 N(1, 0.5) (bimodal, Lipschitz score), each from the target and
/// from a narrow start in one mode's outer flank, all with K = 3; `extraK` adds the double well from π at other K. The
/// windows [−half, half] hold the laws to far below 1e-6 of the smallest KL of the full profile (on [−8, 8] the
/// mixture from N(3, 0.25²) loses 1e-19 over 4096 steps, against a KL of 8e-14).
let problems (extraK: int list) =
    let well = DoubleWell(1, 1.0)

    let mixture =
        GaussianMixture([| 0.4; 0.6 |], [| [| -1.5 |]; [| 1.0 |] |], [| 0.25; 0.5 |], "mixture-1d")

    let problem name target half start k =
        { Name = $"{name}, K = {k}"
          Target = target
          Lower = -half
          Upper = half
          Start = start
          K = k }

    [ problem "double-well(a=1), from π" well 4.0 AtTarget 3
      problem "double-well(a=1), from N(1.5, 0.25²)" well 4.0 (FromGaussian(1.5, 0.25)) 3
      problem "mixture-1d, from π" mixture 10.0 AtTarget 3
      problem "mixture-1d, from N(3, 0.25²)" mixture 10.0 (FromGaussian(3.0, 0.25)) 3 ]
    @ [ for k in extraK -> problem "double-well(a=1), from π" well 4.0 AtTarget k ]

/// The gap at one α = t/n after n outer steps, between PLMC(α, K)'s law p and LMC(α/K)'s law q after nK steps.
type QuadraturePoint =
    {
        Steps: int
        Alpha: float
        /// KL(p ‖ q) on the window, the mass beyond it lumped into one cell (data processing: never above the whole
        /// line's KL, up to quadrature error).
        Kl: float
        /// W2 between p and q conditioned on the window.
        W2: float
        /// TV on the window plus half the difference of the masses beyond it.
        Tv: float
        /// Mass PLMC's law lost beyond the window or on nodes whose kernel was not resolved, over all steps.
        Truncated: float
        /// Mass LMC(α/K)'s law lost beyond the window.
        ReferenceEscaped: float
        /// Grid nodes.
        Nodes: int
    }

/// Grid spacing: a third of the fine step's noise scale √(2h) (the narrowest Gaussian either kernel places), at most
/// 0.02, divided by the refinement.
let spacing (alpha: float) (k: int) (refinement: float) =
    min 0.02 (sqrt (2.0 * alpha / float k) / 3.0) / refinement

/// The gap point for `problem` at n outer steps of α = horizon/n, with fine steps α/K.
let point (problem: QuadratureProblem) (horizon: float) (refinement: float) (steps: int) =
    let k = problem.K
    let alpha = horizon / float steps
    let h = alpha / float k
    let dx = spacing alpha k refinement
    let count = int (ceil ((problem.Upper - problem.Lower) / dx)) + 1
    let lo = problem.Lower

    let start =
        match problem.Start with
        | AtTarget -> GridLaw.FromLogDensity(lo, dx, count, fun x -> problem.Target.LogDensity(ReadOnlySpan [| x |]))
        | FromGaussian(m, s) -> GridLaw.FromLogDensity(lo, dx, count, fun x -> -0.5 * (x - m) * (x - m) / (s * s))

    let plmc =
        PoissonMidpointQuadrature.Plmc(problem.Target, alpha, k, lo, dx, count, refinement = refinement)

    let lmc = PoissonMidpointQuadrature.Lmc(problem.Target, h, lo, dx, count)
    let mutable p, q = start, start
    let mutable truncated, escapedQ = 0.0, 0.0

    for _ in 1..steps do
        let mutable e, u = 0.0, 0.0
        p <- plmc.Apply(p, &e, &u)
        truncated <- truncated + e + u

        for _ in 1..k do
            q <- lmc.Apply(q, &e, &u)
            escapedQ <- escapedQ + e

    // The lost masses as one more cell: KL's term q̄ φ(p̄/q̄) and TV's ½|p̄ − q̄|. A q̄ that underflowed is taken
    // as the smallest double, which can only lower the term, so the KL stays a lower bound.
    let outside =
        if truncated = 0.0 then
            escapedQ
        else
            let qBar = max escapedQ Double.Epsilon
            truncated * log (truncated / qBar) - truncated + qBar

    { Steps = steps
      Alpha = alpha
      Kl = GridLaw.KullbackLeibler(p, q) + outside
      W2 = GridLaw.Wasserstein2(p, q)
      Tv = GridLaw.TotalVariation(p, q) + 0.5 * abs (truncated - escapedQ)
      Truncated = truncated
      ReferenceEscaped = escapedQ
      Nodes = count }

/// Whether a point's figures stand for the whole line: the mass PLMC lost is below 1e-6 of its KL, so whatever that
/// mass does beyond the window moves none of the digits that are shown.
let resolved (g: QuadraturePoint) = g.Truncated <= 1e-6 * g.Kl

/// `point` through the report's cache (`cached`: a key and the computation whose result is JSON), so rendering a
/// finished profile reads the gaps instead of recomputing the laws (minutes in the full profile). The key names what
/// the point depends on: target, window, start law, K, horizon, refinement and steps (a target's parameters only
/// through its name, so redefining a target under the same name needs the key's version tag raised).
let pointCached
    (cached: string -> (unit -> JsonNode) -> JsonNode)
    (problem: QuadratureProblem)
    horizon
    refinement
    steps
    =
    let key =
        $"plmc-quadrature/1/{problem.Target.Name}/window={problem.Lower:R},{problem.Upper:R}/start={problem.Start}"
        + $"/K={problem.K}/horizon={horizon:R}/refinement={refinement:R}/steps={steps}"

    let number, read = JsonNumber.write, JsonNumber.read

    let encode () =
        let g = point problem horizon refinement steps
        let o = JsonObject()
        o["kl"] <- number g.Kl
        o["w2"] <- number g.W2
        o["tv"] <- number g.Tv
        o["truncated"] <- number g.Truncated
        o["reference_escaped"] <- number g.ReferenceEscaped
        o["nodes"] <- JsonValue.Create g.Nodes
        o :> JsonNode

    let n = cached key encode

    { Steps = steps
      Alpha = horizon / float steps
      Kl = read n "kl"
      W2 = read n "w2"
      Tv = read n "tv"
      Truncated = read n "truncated"
      ReferenceEscaped = read n "reference_escaped"
      Nodes = (nonNull n.["nodes"]).GetValue<int>() }
