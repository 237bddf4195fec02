/// ULMC and Shen–Lee: the stable coefficient functions, the Brownian-integral pair, and stationary laws on N(0,1)
/// against exact values computed here independently (from the textbook formulas, evaluated naively) and against the
/// table of docs/algorithms.md, 'Stationary bias on N(0, 1)'.
module RateLab.Properties.Core.Samplers.Langevin.UnderdampedTests

open Expecto
open FsCheck
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open RateLab.Core.Samplers.Langevin
open RateLab.Properties
open RateLab.Properties.Generators
open RateLab.Properties.Core.Samplers.Langevin.Fixtures

let private mat (rows: float list list) =
    Matrix<float>.Build.DenseOfRows(rows |> List.map List.toSeq)

/// Exact stationary covariance of (x, v) for ULMC on f = x²/2, from the exponential integrator's one-step map and
/// noise covariance (docs/algorithms.md, ULMC) evaluated naively.
let ulmcStationary eta gamma u =
    let z = gamma * eta
    let e = exp (-z)

    let m =
        mat
            [ [ 1.0 - (u / gamma) * (eta - (1.0 - e) / gamma); (1.0 - e) / gamma ]
              [ -u * (1.0 - e) / gamma; e ] ]

    let vx =
        2.0 * u / (gamma * gamma) * (z - 2.0 * (1.0 - e) + 0.5 * (1.0 - exp (-2.0 * z)))

    let c = u / gamma * (1.0 - e) ** 2.0
    let q = mat [ [ vx; c ]; [ c; u * (1.0 - exp (-2.0 * z)) ] ]
    stationaryCovariance (kron m) q

/// Exact stationary covariance of (x, v) for Shen–Lee on f = x²/2, averaged over α by 64-point Gauss–Legendre, with
/// the noise from the textbook (H, A) covariances of the Brownian integrals rather than the kernel's factorisation.
let shenLeeStationary h u =
    let ex t = exp (-2.0 * t)
    let n = 4
    let mutable mk = Matrix<float>.Build.Dense(n, n)
    let mutable q = Matrix<float>.Build.Dense(2, 2)

    for alpha, w in gaussLegendre01 64 do
        let t1, t2 = alpha * h, (1.0 - alpha) * h

        let pairCov t =
            [ [ t; (1.0 - ex t) / 2.0 ]
              [ (1.0 - ex t) / 2.0; (1.0 - exp (-4.0 * t)) / 4.0 ] ]
        // Noise vector (H₁, A₁, H₂, A₂).
        let zero = Matrix<float>.Build.Dense(2, 2)

        let sigma =
            Matrix<float>.Build.DenseOfMatrixArray(array2D [ [ mat (pairCov t1); zero ]; [ zero; mat (pairCov t2) ] ])

        let w1 = [ 1.0; -1.0; 0.0; 0.0 ]
        let w3 = [ 0.0; ex t2; 0.0; 1.0 ]
        let w2 = List.map2 (-) [ 1.0; 0.0; 1.0; 0.0 ] w3
        let cx, cv = 1.0 - u / 2.0 * (t1 - 0.5 * (1.0 - ex t1)), 0.5 * (1.0 - ex t1)
        let kx, kv = u * h / 2.0 * (1.0 - ex t2), u * h * ex t2

        let m =
            mat
                [ [ 1.0 - kx * cx; 0.5 * (1.0 - ex h) - kx * cv ]
                  [ -kv * cx; ex h - kv * cv ] ]

        let scale k xs = List.map ((*) k) xs
        let nx = List.map2 (-) (scale (sqrt u) w2) (scale (kx * sqrt u) w1)
        let nv = List.map2 (-) (scale (2.0 * sqrt u) w3) (scale (kv * sqrt u) w1)
        let nmat = mat [ nx; nv ]
        mk <- mk + w * kron m
        q <- q + w * (nmat * sigma * nmat.Transpose())

    stationaryCovariance mk q

/// True when x agrees with a number printed to two significant digits (half a unit of the last digit).
let private agreesToTwoDigits (printed: float) x =
    let unit = 10.0 ** (floor (log10 (abs printed)) - 1.0)
    abs (x - printed) <= 0.5 * unit

type PairCase = { Gamma: float; Tau: float }

type PairArbs =
    static member PairCase() : Arbitrary<PairCase> =
        Gen.map2 (fun g t -> { Gamma = g; Tau = t }) (logUniformOn 0.1 10.0) (logUniformOn 1e-6 20.0)
        |> Arb.fromGen

let private pairConfig =
    { config with
        arbitrary = typeof<PairArbs> :: config.arbitrary }

/// e^x − 1 in extended precision via decimal (|x| ≤ 40 here), an independent reference for the kernel's expm1.
let private expm1Of (x: float) =
    if abs x > 0.5 then
        exp x - 1.0
    else
        let xd = decimal x
        let mutable term, sum = xd, xd

        for n in 2..30 do
            term <- term * xd / decimal n
            sum <- sum + term

        float sum

let private relClose tol (a: float) (b: float) =
    abs (a - b) <= tol * max (abs a) (abs b)

/// Monte Carlo E x² and E v² (one sample per chain, see chainMeanSquares) after burn-in.
let private stationaryMoments seed (kernel: RateLab.Core.Contracts.ISamplerKernel) chains steps =
    let batch, _ = run seed kernel (isotropic kernel.Dimension 1.0) chains steps
    Stats.meanAndSe (chainMeanSquares batch kernel 0), Stats.meanAndSe (chainMeanSquares batch kernel 1)

[<Tests>]
let tests =
    testList
        "Core.Samplers.Langevin.Underdamped"
        [ test "stable φ₂ and cubic: series and closed form agree at the switch, leading terms at small z" {
              // Just below the switch the closed forms lose at most about one digit, so they are a fair reference.
              for z in [ 0.999999; 0.7 ] do
                  Expect.isTrue (relClose 1e-14 (OuIntegrals.Phi2 z) (z + (exp -z - 1.0))) $"φ₂ series at {z}"

                  Expect.isTrue
                      (relClose 1e-13 (OuIntegrals.Cubic z) (z + 2.0 * (exp -z - 1.0) - 0.5 * (exp (-2.0 * z) - 1.0)))
                      $"cubic series at {z}"

              Expect.equal (OuIntegrals.Phi2 1.0) (exp -1.0) "φ₂(1) = e⁻¹"

              for x in [ -0.7; -0.03; -1e-3; -1e-9; 1e-7; 0.02; 0.4 ] do
                  Expect.isTrue (relClose 4e-16 (RateLab.Core.Numerics.StableMath.Expm1 x) (expm1Of x)) $"expm1({x})"
              // Alternating series: the error of the truncation is at most the first omitted term (plus round-off).
              for z in [ 1e-3; 1e-6; 1e-9 ] do
                  let phi2 = z * z / 2.0 - z ** 3.0 / 6.0 + z ** 4.0 / 24.0
                  let cubic = z ** 3.0 / 3.0 - z ** 4.0 / 4.0 + 7.0 * z ** 5.0 / 60.0

                  Expect.isLessThanOrEqual
                      (abs (OuIntegrals.Phi2 z - phi2))
                      (z ** 5.0 / 120.0 + 4e-16 * phi2)
                      $"φ₂({z})"

                  Expect.isLessThanOrEqual
                      (abs (OuIntegrals.Cubic z - cubic))
                      (31.0 * z ** 6.0 / 720.0 + 4e-16 * cubic)
                      $"cubic({z})"
          }

          testPropertyWithConfig
              pairConfig
              "Brownian pair loadings reproduce Var D, Var A, Cov(D, A) and Var(D + A) = τ"
          <| fun (p: PairCase) ->
              let pair = ExponentialBrownianPair.For(p.Gamma, p.Tau)
              let z = p.Gamma * p.Tau
              let varA = pair.La1 * pair.La1 + pair.La2 * pair.La2
              let cov = pair.Ld * pair.La1
              let varH = (pair.Ld + pair.La1) ** 2.0 + pair.La2 * pair.La2

              relClose 1e-12 varA (-(expm1Of (-2.0 * z)) / (2.0 * p.Gamma))
              && relClose 1e-12 cov ((expm1Of (-z)) ** 2.0 / (2.0 * p.Gamma))
              && relClose 1e-12 varH p.Tau
              && relClose 1e-12 (pair.Ld * pair.Ld) (OuIntegrals.Cubic z / p.Gamma)

          test "ULMC (γ = 2, u = 1): exact stationary Var x − 1 at η = 0.4, 0.2, 0.1, 0.05 as the docs table prints" {
              for eta, printed in [ 0.4, 1.1e-1; 0.2, 5.2e-2; 0.1, 2.6e-2; 0.05, 1.3e-2 ] do
                  let s = ulmcStationary eta 2.0 1.0

                  Expect.isTrue
                      (agreesToTwoDigits printed (s.[0, 0] - 1.0))
                      $"η = {eta}: exact {s.[0, 0] - 1.0} vs docs {printed}"
          }

          test "Shen–Lee (u = 1): exact stationary Var x − 1 at h = 0.4, 0.2, 0.1, 0.05 as the docs table prints" {
              for h, printed in [ 0.4, 1.3e-3; 0.2, 1.7e-4; 0.1, 2.1e-5; 0.05, 2.6e-6 ] do
                  let s = shenLeeStationary h 1.0

                  Expect.isTrue
                      (agreesToTwoDigits printed (s.[0, 0] - 1.0))
                      $"h = {h}: exact {s.[0, 0] - 1.0} vs docs {printed}"
          }

          test "ULMC makes one evaluation per step, Shen–Lee two" {
              let _, o1 = run 9UL (Ulmc(3, 0.1, 2.0, 1.0, startIso 3 1.0)) (isotropic 3 1.0) 4 6L
              let _, o2 = run 9UL (ShenLee(3, 0.1, 1.0, startIso 3 1.0)) (isotropic 3 1.0) 4 6L

              for c in 0L .. 3L do
                  Expect.equal (o1.Evaluations c) 6L "ULMC NFE"
                  Expect.equal (o2.Evaluations c) 12L "Shen–Lee NFE"
          } ]

[<Tests>]
let slowTests =
    testList
        "Core.Samplers.Langevin.Underdamped stationary (slow)"
        [ test "ULMC (γ = 2, u = 1, η = 0.4): Monte Carlo Var x and E v² match the exact stationary law (5 SE)" {
              let eta = 0.4
              let exact = ulmcStationary eta 2.0 1.0
              // 80 steps of length 0.4 (time 32, critical damping): the start error is of order 32·e^{−32}, far below the SE.
              let vx, vv =
                  stationaryMoments 5UL (Ulmc(8, eta, 2.0, 1.0, startIso 8 1.0)) 10000 80L
              // Two comparisons: false-failure probability ≤ 1.2e-6.
              expectWithin5Se "Var x" vx exact.[0, 0]
              expectWithin5Se "E v²" vv exact.[1, 1]

              Expect.isFalse
                  (Stats.within Stats.z5 (snd vx) (fst vx) 1.0)
                  "ULMC's first-order bias in Var x is resolved"
          }

          test "ULMC with general (γ, u): Monte Carlo Var x and E v² match the exact stationary law (5 SE)" {
              let eta, gamma, u = 0.3, 1.5, 2.5
              let exact = ulmcStationary eta gamma u
              // Decay rate about γ/2 per unit time: 120 steps of 0.3 leave e^{−27} of the start error.
              let vx, vv =
                  stationaryMoments 6UL (Ulmc(8, eta, gamma, u, startIso 8 1.0)) 10000 120L

              expectWithin5Se "Var x" vx exact.[0, 0]
              expectWithin5Se "E v²" vv exact.[1, 1]
          }

          test "Shen–Lee (u = 1, h = 1): Monte Carlo Var x and E v² match the exact stationary law (5 SE)" {
              let h = 1.0
              let exact = shenLeeStationary h 1.0
              let vx, vv = stationaryMoments 7UL (ShenLee(8, h, 1.0, startIso 8 1.0)) 10000 40L
              expectWithin5Se "Var x" vx exact.[0, 0]
              expectWithin5Se "E v²" vv exact.[1, 1]
          }

          test "Shen–Lee (u = 1/L = 0.5 on N(0, 1/2)): Monte Carlo Var x, E v² match the exact law (5 SE)" {
              // Scaling x by √2 maps N(0, ½) with u = ½ to N(0, 1) with u = 1 at the same h, so the law is σ²·S.
              let h = 0.6
              let exact = shenLeeStationary h 1.0
              let kernel = ShenLee(8, h, 0.5, startIso 8 (sqrt 0.5))
              let batch, _ = run 8UL kernel (isotropic 8 0.5) 10000 60L
              expectWithin5Se "Var x" (Stats.meanAndSe (chainMeanSquares batch kernel 0)) (0.5 * exact.[0, 0])
              expectWithin5Se "E v²" (Stats.meanAndSe (chainMeanSquares batch kernel 1)) (0.5 * exact.[1, 1])
          } ]
