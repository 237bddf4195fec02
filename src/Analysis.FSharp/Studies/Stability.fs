/// Step-size stability of the Langevin samplers on a Gaussian target N(μ, diag λ). Each scheme is linear per
/// coordinate there, so its law stays bounded exactly when its per-coordinate mean map is a contraction (for a
/// randomized scheme: in mean square over its uniform). Beyond that limit the exact KL grows without bound, so a run
/// there measures nothing; preflight refuses it instead.
module RateLab.Analysis.Studies.Stability

open System

/// The stability rule of a sampler's step on a Gaussian target.
type Rule =
    /// No limit derived here; a diverging law is caught by the engine's non-finite check.
    | NoKnownLimit
    /// ULA: x ← (1 − h/λ) x + noise per coordinate, bounded iff |1 − h/λ| < 1, i.e. h < 2λ for every λ.
    | OverdampedEuler
    /// RLMC: x ← (1 − a + U a²) x + noise with a = h/λ, U ~ Unif(0, 1). The second moment multiplies by
    /// E[(1 − a + U a²)²] = 1 − 2a + 2a² − a³ + a⁴/3 per step, which is < 1 iff a³ − 3a² + 6a − 6 < 0, i.e.
    /// a < a* (the cubic's only real root, as its derivative 3a² − 6a + 6 is positive).
    | RandomizedMidpoint
    /// ULMC, exponential integrator with friction γ and inverse mass u: the mean map of (x, v) per coordinate is
    /// [[1 − s·u φ₂(z)/γ², (1 − e^{−z})/γ], [−s·u(1 − e^{−z})/γ, e^{−z}]] with s = 1/λ, z = γη, φ₂(z) = z − 1 + e^{−z};
    /// bounded iff its spectral radius is below 1.
    | UnderdampedExponential of gamma: float * u: float

/// a* = 1 + ∛(1 + √2) + ∛(1 − √2) ≈ 1.596, the root of a³ − 3a² + 6a − 6 (Cardano after a = y + 1: y³ + 3y − 2 = 0).
let rlmcRatio = 1.0 + Math.Cbrt(1.0 + sqrt 2.0) + Math.Cbrt(1.0 - sqrt 2.0)

// Jury: the spectral radius of a real 2×2 matrix is below 1 iff 1 − det > 0, 1 + det − tr > 0 and 1 + det + tr > 0.
// Here 1 + det − tr = s·(u(1 − e)²/γ² + u φ₂(z)(1 − e)/γ²) > 0 always; the other two are written without forming
// 1 − det from det ≈ 1, which would cancel at small steps. Both are affine in s = 1/λ, so they hold on
// [1/λmax, 1/λmin] iff they hold at both ends.
let private ulmcStableAt gamma u eta (s: float) =
    let z = gamma * eta
    let e = exp -z
    let oneMinusE = -Double.ExpM1 -z
    let xFromForce = u * (z - oneMinusE) / (gamma * gamma)
    let vFromForce = u * oneMinusE / gamma
    let xFromV = oneMinusE / gamma
    let oneMinusDet = oneMinusE - s * (vFromForce * xFromV - xFromForce * e)

    let onePlusDetPlusTrace =
        2.0 * (1.0 + e) + s * (vFromForce * xFromV - xFromForce * (1.0 + e))

    oneMinusDet > 0.0 && onePlusDetPlusTrace > 0.0

/// Whether a step is stable for every variance in [lamMin, lamMax].
let stable rule (step: float) (lamMin: float) (lamMax: float) =
    match rule with
    | NoKnownLimit -> true
    | OverdampedEuler -> step < 2.0 * lamMin
    | RandomizedMidpoint -> step < rlmcRatio * lamMin
    | UnderdampedExponential(gamma, u) ->
        ulmcStableAt gamma u step (1.0 / lamMin)
        && ulmcStableAt gamma u step (1.0 / lamMax)

/// The step at which stability is first lost on [lamMin, lamMax]: closed forms for ULA and RLMC; for ULMC the
/// boundary found by doubling from a small stable step and bisecting (60 halvings, relative error < 1e-15).
let limit rule (lamMin: float) (lamMax: float) : float option =
    match rule with
    | NoKnownLimit -> None
    | OverdampedEuler -> Some(2.0 * lamMin)
    | RandomizedMidpoint -> Some(rlmcRatio * lamMin)
    | UnderdampedExponential _ ->
        let ok x = stable rule x lamMin lamMax

        let rec up lo =
            if lo > 1e300 then None
            elif ok (2.0 * lo) then up (2.0 * lo)
            else Some(lo, 2.0 * lo)

        let rec bisect (lo, hi) k =
            if k = 0 then
                hi
            else
                let m = 0.5 * (lo + hi)
                bisect (if ok m then (m, hi) else (lo, m)) (k - 1)

        let start = 1e-6 * lamMin

        if not (ok start) then
            Some start
        else
            up start |> Option.map (fun bracket -> bisect bracket 60)
