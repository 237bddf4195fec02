/// Generators for valid configurations, passed to every property through FsCheckConfig.arbitrary.
module RateLab.Properties.Generators

open FsCheck
open FsCheck.FSharp

/// A seed for the counter-based generator.
type Seed = Seed of uint64

type Arbitraries =
    static member Seed() : Arbitrary<Seed> =
        ArbMap.defaults
        |> ArbMap.arbitrary<uint64>
        |> Arb.convert Seed (fun (Seed s) -> s)

/// The FsCheck configuration every property in the suite uses: fixed replay seed for deterministic CI.
let config =
    { Expecto.FsCheckConfig.defaultConfig with
        arbitrary = [ typeof<Arbitraries> ]
        replay = Some(20261123UL, 1UL, None)
        maxTest = 50 }

// Shared shapes of generated parameters. Each property picks its own ranges; the shapes live here once so that two
// properties drawing "a diagonal Gaussian" draw it the same way.

/// A value on the grid of `steps` + 1 equally spaced points from lo to hi (it shrinks toward lo and prints short).
let onGrid (steps: int) (lo: float) (hi: float) =
    Gen.choose (0, steps)
    |> Gen.map (fun k -> lo + (hi - lo) * float k / float steps)

/// A continuous parameter in [lo, hi]: the grid of 10⁴ steps.
let uniformOn lo hi = onGrid 10000 lo hi

/// A positive parameter log-uniform in [lo, hi]: the grid of 10⁴ steps in log space.
let logUniformOn (lo: float) (hi: float) =
    uniformOn (log lo) (log hi) |> Gen.map exp

/// i/100 for an integer i uniform in [lo, hi]: parameters whose two decimals print exactly.
let hundredths (lo: int) (hi: int) =
    Gen.choose (lo, hi) |> Gen.map (fun i -> float i / 100.0)

/// The parameters of a diagonal Gaussian of dimension d, (mean, spread): every meanᵢ drawn by `coordinate` from
/// [meanLo, meanHi] and every spreadᵢ from [spreadLo, spreadHi]. The spread is what the caller reads it as: the
/// variances of a target N(μ, diag λ), or the standard deviations of a start law N(m₀, diag s₀²).
let diagonalGaussianOn coordinate d (meanLo, meanHi) (spreadLo, spreadHi) =
    gen {
        let! mean = Gen.arrayOfLength d (coordinate meanLo meanHi)
        let! spread = Gen.arrayOfLength d (coordinate spreadLo spreadHi)
        return mean, spread
    }

/// diagonalGaussianOn with continuous coordinates (uniformOn), the usual case.
let diagonalGaussian d means spreads =
    diagonalGaussianOn uniformOn d means spreads

/// An isotropic Gaussian mixture of K components in dimension d, (weights, means, standard deviations): weights in
/// [0.01, 1], means in [−3, 3]^d and standard deviations in [0.45, 1.7], all in hundredths (the scoring kernels' cases).
let isotropicMixtureParameters k d =
    gen {
        let! weights = Gen.arrayOfLength k (hundredths 1 100)
        let! means = Gen.arrayOfLength k (Gen.arrayOfLength d (hundredths -300 300))
        let! sds = Gen.arrayOfLength k (hundredths 45 170)
        return weights, means, sds
    }

/// A valid Li–Jiao configuration: K divides T so that N = 2T/K is even; c₀ < c₁ < T/log T.
type ScheduleCase =
    { T: int; K: int; C0: float; C1: float }

/// A Li–Jiao schedule with T in [2, maxT].
let liJiaoSchedule maxT =
    gen {
        let! t = Gen.choose (2, maxT)

        let divisors =
            [ for k in 1..t do
                  if t % k = 0 then
                      k ]

        let! k = Gen.elements divisors
        let! c0 = hundredths 50 250
        let! f = hundredths 1 99
        // c₁ < T/log T is the validity bound; c₁ − c₀ ≤ 10 keeps the end levels far from float64 underflow.
        let cap = min (float t / log (float t)) (c0 + 10.0)

        return
            { T = t
              K = k
              C0 = c0
              C1 = c0 + f * (cap - c0) }
    }

/// Gaussian data with a non-zero mean and a spread spectrum, (mean, variances): λ = 1, 0.3, 0.05 (condition number
/// 20), the diffusion tests' fixed data. Fresh arrays on every call, so no test sees another's changes.
let spreadGaussian () =
    [| 0.5; -0.3; 0.0 |], [| 1.0; 0.3; 0.05 |]
