/// Random target configurations for the Targets tests: FsCheck draws the shape and a seed, every continuous parameter
/// is a counter-based draw from that seed, so each case is reproducible from its printed value.
module RateLab.Properties.Core.Targets.Fixtures

open System
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Randomness
open RateLab.Core.Targets

/// Dimension, number of mixture components and the seed of every continuous draw.
type TargetCase = { D: int; K: int; Seed: uint64 }

type TargetArbs =
    static member TargetCase() : Arbitrary<TargetCase> =
        gen {
            let! d = Gen.choose (1, 6)
            let! k = Gen.choose (1, 5)
            let! seed = ArbMap.defaults |> ArbMap.generate<uint64>
            return { D = d; K = k; Seed = seed }
        }
        |> Arb.fromGen

/// Standard normals keyed by (seed, chain, step 0, role).
let normals (seed: uint64) (chain: int64) (role: int) (n: int) =
    let a = Array.zeroCreate n
    CounterRng.Normals(seed, chain, 0L, role, Span a)
    a

/// A uniform in (lo, hi) keyed by (seed, chain, step 0, index).
let uniformIn (seed: uint64) (chain: int64) (index: int) lo hi =
    lo + (hi - lo) * CounterRng.Uniform(seed, chain, 0L, index)

/// A unit vector keyed by (seed, chain, role).
let direction seed chain role d =
    let v = normals seed chain role d
    let n = sqrt (Array.sumBy (fun x -> x * x) v)
    v |> Array.map (fun x -> x / n)

/// Positive values log-uniform in [lo, hi].
let logUniform seed chain n lo hi =
    Array.init n (fun i -> exp (uniformIn seed chain i (log lo) (log hi)))

let dot (a: float[]) (b: float[]) =
    Array.fold2 (fun s x y -> s + x * y) 0.0 a b

let norm (a: float[]) = sqrt (dot a a)

let score (t: ITarget) (x: float[]) =
    let s = Array.zeroCreate x.Length
    t.Score(ReadOnlySpan x, Span s)
    s

let logDensity (t: ITarget) (x: float[]) = t.LogDensity(ReadOnlySpan x)

/// Mixture weights in [0.2, 1] and K means of scale 3, shared by the diagonal and the isotropic mixture of a case.
let private mixtureWeights (c: TargetCase) =
    Array.init c.K (fun j -> uniformIn c.Seed 100L j 0.2 1.0)

let private mixtureMeans (c: TargetCase) =
    Array.init c.K (fun j -> normals c.Seed (200L + int64 j) 0 c.D |> Array.map ((*) 3.0))

/// A mixture of K diagonal components with weights in [0.2, 1], means of scale 3 and variances in [0.2, 2].
let diagonalMixture (c: TargetCase) =
    let variances =
        Array.init c.K (fun j -> logUniform c.Seed (300L + int64 j) c.D 0.2 2.0)

    GaussianMixture(mixtureWeights c, mixtureMeans c, variances)

/// The isotropic counterpart: σ_j² in [0.2, 2].
let isotropicMixture (c: TargetCase) =
    GaussianMixture(mixtureWeights c, mixtureMeans c, logUniform c.Seed 300L c.K 0.2 2.0)

/// The spectrum λ in [0.2, 5] (κ ≤ 25) and the mean μ of a case's Gaussian, shared by its rotated and diagonal forms.
let private spectrum (c: TargetCase) = logUniform c.Seed 400L c.D 0.2 5.0

let private centre (c: TargetCase) = normals c.Seed 401L 0 c.D

/// N(μ, Q diag(λ) Qᵀ) with Q = RandomRotation.Create(d, seed).
let rotatedGaussian (c: TargetCase) =
    let lambda = spectrum c
    let mu = centre c
    FullGaussian.Rotated(mu, lambda, c.Seed), mu, lambda

/// The diagonal Gaussian with the same random parameters.
let diagonalGaussian (c: TargetCase) = DiagonalGaussian(centre c, spectrum c)

/// The FsCheck configuration of the Targets tests.
let targetConfig =
    { RateLab.Properties.Generators.config with
        arbitrary = typeof<TargetArbs> :: RateLab.Properties.Generators.config.arbitrary }
