/// Li–Jiao on isotropic Gaussian data N(0, λ I_d): the law of the output MIXTURE, not only per draw. Every coordinate
/// shares the schedule draw ω, so given ω the output is N(0, v_ω I_d) and its own reference q_{τ(ω)} is N(0, w_ω I_d);
/// the sampler's law is the scale mixture p = E_ω N(0, v_ω I), compared with q̄ = E_ω N(0, w_ω I). Both are spherically
/// symmetric, so r = ‖x‖² is sufficient and TV and KL equal those of the laws of r: 1-D integrals computed here by
/// quadrature. The mixture couples the coordinates (one ω for all), so p is not a product law and its d-dependence
/// does not follow from its T-dependence by construction.
module RateLab.Analysis.Studies.LiJiaoRadial

open System
open System.Threading.Tasks
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Randomness
open RateLab.Core.Samplers.Diffusion

/// One draw's per-coordinate output variance v and its own reference variance w = (1 − τ(ω)) λ + τ(ω).
type DrawLaw = { Variance: float; Reference: float }

/// Li–Jiao's schedule constants as the catalog's defaults use them.
type Scheme = { Rounds: int; C0: float; C1: float }

/// The catalog's li-jiao defaults (LiJiaoSchedule's).
let defaultScheme =
    { Rounds = LiJiaoSchedule.DefaultRounds
      C0 = LiJiaoSchedule.DefaultC0
      C1 = LiJiaoSchedule.DefaultC1 }

/// Per-draw laws of replicates 0 … count − 1 (seed `seed`, the uniforms chain r of a real run draws) with T = `cells`,
/// for every data variance of `lambdas` at once (the engine works on blocks of coordinates, so extra variances are
/// free up to its block length). Result [replicate][variance]. Mean-zero data started at N(0, I) keep mean 0.
let draws (scheme: Scheme) (cells: int) (lambdas: float[]) (seed: uint64) (count: int) : DrawLaw[][] =
    let schedule =
        LiJiaoSchedule(cells, scheme.Rounds, scheme.C0, scheme.C1, LiJiaoLevels.Randomized)

    let data = GaussianNoisedScore(Array.zeroCreate lambdas.Length, lambdas)
    let result = Array.zeroCreate count

    let work (r: int) =
        let source = PhiloxNoise seed
        let u = LiJiaoDiagonal.Draw(schedule, data, source, int64 r)
        let mean = Array.zeroCreate lambdas.Length
        let variance = Array.zeroCreate lambdas.Length
        LiJiaoDiagonal.Propagate(schedule, data, ReadOnlySpan u, mean, variance, 1)

        if mean |> Array.exists (fun m -> m <> 0.0) then
            invalidOp "Li–Jiao on mean-zero data from a mean-zero start must keep mean 0"

        let tau = schedule.Level(ReadOnlySpan u, 1).Tau

        result.[r] <-
            Array.map2
                (fun v l ->
                    { Variance = v
                      Reference = (1.0 - tau) * l + tau })
                variance
                lambdas

    Parallel.For(0, count, work) |> ignore
    result

// eᵘ − 1 − u and e − ln(1 + e) without the cancellation of the plain forms near 0 (series below 1e-3, |error| < 1e-16).
let private expm1MinusU (u: float) =
    if abs u < 1e-3 then
        u * u * (0.5 + u * (1.0 / 6.0 + u / 24.0))
    else
        Math.Exp u - 1.0 - u

let private eMinusLog1p (e: float) =
    if abs e < 1e-3 then
        e * e * (0.5 - e * (1.0 / 3.0 - e / 4.0))
    else
        e - Math.Log(1.0 + e)

/// KL(N(0, v I_d) ‖ N(0, w I_d)) = (d/2)(x − 1 − ln x), x = v/w, evaluated without cancellation near x = 1.
let perDrawKl (d: int) (v: float) (w: float) =
    0.5 * float d * eMinusLog1p (v / w - 1.0)

// ln of the density of y = ln(r/d) under r ~ s·χ²_d, up to the constant shared by every s:
// (d/2)(1 + u − eᵘ) with u = y − ln s, written −(d/2)(expm1 u − u) to keep precision for small u.
let private logShape (d: float) (logS: float) (y: float) = -0.5 * d * expm1MinusU (y - logS)

// The constant making exp(logShape) a density in y: (d/2)^(d/2) e^(−d/2) / Γ(d/2).
let private logNorm (d: float) =
    0.5 * d * Math.Log(0.5 * d)
    - 0.5 * d
    - MathNet.Numerics.SpecialFunctions.GammaLn(0.5 * d)

// The u > 0 and u < 0 where the log shape has fallen by `drop`: e^u − 1 − u = 2·drop/d, by bisection.
let private tail (d: float) (drop: float) (sign: float) =
    let target = 2.0 * drop / d
    let f u = Math.Exp u - 1.0 - u - target
    let mutable lo, hi = 0.0, sign

    while f hi < 0.0 do
        hi <- 2.0 * hi

    for _ in 1..80 do
        let mid = 0.5 * (lo + hi)
        if f mid < 0.0 then lo <- mid else hi <- mid

    hi

/// The quadrature grid in y = ln(‖x‖²/d) for these laws: spacing √(2/d)/32 (the components' width over 32), reaching
/// 60 nats below every component's peak on both sides. Returns (first node, spacing, node count).
let private grid (d: float) (laws: DrawLaw[]) =
    let all =
        laws |> Array.collect (fun l -> [| Math.Log l.Variance; Math.Log l.Reference |])

    let lo = Array.min all + tail d 60.0 -1.0
    let hi = Array.max all + tail d 60.0 1.0
    let n = min 400000 (int (ceil ((hi - lo) / (sqrt (2.0 / d) / 32.0))) + 1)
    lo, (hi - lo) / float (n - 1), n

/// TV and KL between the radial laws of the two scale mixtures (1/M) Σ N(0, vᵢ I_d) and (1/M) Σ N(0, wᵢ I_d): the
/// trapezoid rule in y = ln(‖x‖²/d) on a grid of spacing √(2/d)/32 (the components' width over 32) reaching 60 nats
/// below every component's peak. The integrands are smooth except at the crossings of |p − q|, where the rule's
/// error is second order in the spacing. Returns (tv, kl).
let mixtureDistances (d: int) (laws: DrawLaw[]) =
    let df = float d
    let logV = laws |> Array.map (fun l -> Math.Log l.Variance)
    let logW = laws |> Array.map (fun l -> Math.Log l.Reference)
    let lo, h, n = grid df laws
    let c = logNorm df - Math.Log(float laws.Length)

    let logMix (logs: float[]) y =
        let terms = logs |> Array.map (fun s -> logShape df s y)
        let m = Array.max terms

        if Double.IsNegativeInfinity m then
            m
        else
            m + Math.Log(terms |> Array.sumBy (fun t -> Math.Exp(t - m))) + c

    let mutable tv, kl = 0.0, 0.0

    for i in 0 .. n - 1 do
        let y = lo + float i * h
        let lp, lq = logMix logV y, logMix logW y
        let weight = if i = 0 || i = n - 1 then 0.5 * h else h
        let p, q = Math.Exp lp, Math.Exp lq
        let ratio = lp - lq

        if abs ratio < 1.0 then
            // Near p = q: |p − q| and q·φ(p/q), φ(x) = x ln x − x + 1 ≥ 0, from the log ratio without cancellation.
            let x1 = ratio + expm1MinusU ratio
            tv <- tv + weight * q * abs x1
            kl <- kl + weight * q * ((1.0 + x1) * ratio - x1)
        elif p > 0.0 || q > 0.0 then
            tv <- tv + weight * abs (p - q)
            kl <- kl + weight * (if p > 0.0 then p * ratio - p + q else q)

    0.5 * tv, kl

/// The threshold y* = ln(r*/d) where the radial CDFs of the two mixtures differ most (on the quadrature grid): the
/// event {‖x‖² ≤ d·e^(y*)} then separates them best. Chosen on one set of draws and evaluated on another, so the
/// evaluation is not biased by the choice.
let separatingThreshold (d: int) (laws: DrawLaw[]) =
    let df = float d
    let lo, h, n = grid df laws
    let c = logNorm df - Math.Log(float laws.Length)
    let mutable cdf, best, at = 0.0, 0.0, lo

    for i in 0 .. n - 1 do
        let y = lo + float i * h

        let weightOf (s: float) =
            Math.Exp(logShape df (Math.Log s) y + c)

        let diff = laws |> Array.sumBy (fun l -> weightOf l.Variance - weightOf l.Reference)
        cdf <- cdf + (if i = 0 then 0.5 else 1.0) * h * diff

        if abs cdf > best then
            best <- abs cdf
            at <- y

    at

/// P(‖x‖² ≤ d·e^(y*)) under the draw's output law minus under its reference: the difference of the regularized lower
/// incomplete gamma P(d/2, d·e^(y*)/(2s)) at s = v and s = w, by the trapezoid rule on the grid (second order in the
/// spacing, with Euler–Maclaurin end corrections that make it fourth order, as the interval ends at y* in the bulk).
/// Its mean over independent draws estimates P(A) − Q̄(A) without bias, and |P(A) − Q̄(A)| ≤ TV(p, q̄).
let cdfDifference (d: int) (threshold: float) (law: DrawLaw) =
    let df = float d
    let lo, h, n = grid df [| law |]
    let c = logNorm df
    let lv, lw = Math.Log law.Variance, Math.Log law.Reference
    let density ls y = Math.Exp(logShape df ls y + c)
    let f y = density lv y - density lw y
    // d/dy of a component's density is density·(d/2)(1 − e^(y − ln s)): for the end corrections below.
    let slopeOf ls y =
        density ls y * 0.5 * df * (1.0 - Math.Exp(y - ls))

    let slope y = slopeOf lv y - slopeOf lw y
    let last = min (n - 1) (int (floor ((threshold - lo) / h)))

    if last < 0 then
        0.0
    else
        let yLast = lo + float last * h
        let mutable sum = 0.0

        for i in 0..last do
            sum <- sum + (if i = 0 || i = last then 0.5 * h else h) * f (lo + float i * h)
        // The partial interval to the threshold, then the Euler–Maclaurin end corrections −w²/12·(f'(b) − f'(a)) of
        // both trapezoid pieces (f' ≈ 0 at the grid's start, 60 nats into the tail), which make the rule fourth order.
        let delta = threshold - yLast
        sum <- sum + 0.5 * delta * (f yLast + f threshold)

        sum
        - (h * h * slope yLast + delta * delta * (slope threshold - slope yLast)) / 12.0
