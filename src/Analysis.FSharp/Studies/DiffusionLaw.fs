/// The exact position law at time t of the Langevin diffusions on a diagonal Gaussian target N(μ, diag σ²): what a
/// discretisation's own bias is measured against when its start is not the target (PoissonMidpointStudy).
module RateLab.Analysis.Studies.DiffusionLaw

open RateLab.Core.Exact

/// Overdamped: per coordinate the Ornstein–Uhlenbeck process dx = −(x − μ)/σ² dt + √2 dB, so the mean relaxes as
/// e^{−t/σ²} and the variance as e^{−2t/σ²}.
let overdamped (reduction: GaussianReduction) (t: float) =
    let start = reduction.Start

    DiagonalLaw(
        Array.init reduction.Dimension (fun i ->
            let decay = exp (-t / reduction.Variance.[i])
            reduction.Mean.[i] + (start.Mean.[i] - reduction.Mean.[i]) * decay),
        Array.init reduction.Dimension (fun i ->
            let decay = exp (-2.0 * t / reduction.Variance.[i])
            let s0 = start.Sd.[i]
            reduction.Variance.[i] + (s0 * s0 - reduction.Variance.[i]) * decay),
        reduction.Multiplicity
    )

/// [e^{Mt}]₀₀ for M = [[0, 1], [−p, −γ]]: with s = γ²/4 − p (the discriminant) and N = M + γ/2 I, N² = s I, so
/// e^{Mt} = e^{−γt/2}(c I + σ N), c = cosh(√s t), σ = sinh(√s t)/√s (cos and sin for s < 0; 1 and t at s = 0).
let private positionDecay (p: float) (gamma: float) (t: float) =
    let s = gamma * gamma / 4.0 - p

    let c, sigma =
        if s > 0.0 then
            let w = sqrt s
            cosh (w * t), sinh (w * t) / w
        elif s < 0.0 then
            let w = sqrt -s
            cos (w * t), sin (w * t) / w
        else
            1.0, t

    exp (-gamma * t / 2.0) * (c + sigma * gamma / 2.0)

/// Underdamped with unit mass and friction γ: per coordinate dx = v dt, dv = −(x − μ)/σ² dt − γ v dt + √(2γ) dB,
/// from x₀ ~ the start law and v₀ ~ N(0, 1) independent (PLMC's and ULMC's start). The process is linear with
/// stationary covariance Σ∞ = diag(σ², 1), so with E = e^{Mt} the mean of (x − μ, v) is E (m₀ − μ, 0) and its
/// covariance Σ∞ + E (Σ₀ − Σ∞) Eᵀ with Σ₀ − Σ∞ = diag(s₀² − σ², 0): the position's needs E₀₀ alone.
let underdamped (gamma: float) (reduction: GaussianReduction) (t: float) =
    let start = reduction.Start

    let decay =
        Array.init reduction.Dimension (fun i -> positionDecay (1.0 / reduction.Variance.[i]) gamma t)

    DiagonalLaw(
        Array.init reduction.Dimension (fun i -> reduction.Mean.[i] + decay.[i] * (start.Mean.[i] - reduction.Mean.[i])),
        Array.init reduction.Dimension (fun i ->
            let s0 = start.Sd.[i]

            reduction.Variance.[i]
            + decay.[i] * decay.[i] * (s0 * s0 - reduction.Variance.[i])),
        reduction.Multiplicity
    )
