/// Shared builders for the Boltzmann tests: small random policies, normalised Gaussian targets, grids.
module RateLab.Properties.Boltzmann.Fixtures

open System
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Targets
open RateLab.Core.Randomness
open RateLab.Boltzmann

/// A grid family drawn by FsCheck: kind, N ∈ [1, 12], ρ ∈ [1, 20].
type GridCase = GridCase of GridKind * int * float

type Arbs =
    static member GridCase() : Arbitrary<GridCase> =
        gen {
            let! kind =
                Gen.elements [ GridKind.Uniform; GridKind.Random; GridKind.ShiftedEquidistant ]

            let! n = Gen.choose (1, 12)
            let! r = Gen.choose (0, 1000)
            return GridCase(kind, n, 1.0 + 19.0 * float r / 1000.0)
        }
        |> Arb.fromGen

let config =
    { RateLab.Properties.Generators.config with
        arbitrary = typeof<Arbs> :: RateLab.Properties.Generators.config.arbitrary }

/// N(μ, diag s²) with the normalising constant included, so R is a probability density (log Z = 0).
type NormalisedGaussian(mean: float[], variances: float[]) =
    let inner = DiagonalGaussian(mean, variances)
    let logC = variances |> Array.sumBy (fun v -> -0.5 * log (2.0 * Math.PI * v))

    interface ITarget with
        member _.Name = "normalised-gaussian"
        member _.Dimension = mean.Length
        member _.LogDensity(x: ReadOnlySpan<float>) = inner.LogDensity(x) + logC
        member _.Score(x: ReadOnlySpan<float>, score: Span<float>) = inner.Score(x, score)

    interface IExactSampler with
        member _.SampleExact(noise, chain, step, x) =
            inner.SampleExact(noise, chain, step, x)

let gridOf (GridCase(kind, n, rho)) = TimeGrid(kind, n, rho)

/// A small fixed random drift (non-zero head) so every layer receives gradient.
let smallDrift d (seed: uint64) =
    TimeStateMlp.FixedRandomDrift(d, seed, 0.5, 8, 4)

let forwardBatch (policy: EulerMaruyamaPolicy) (target: ITarget) (grid: TimeGrid) (seed: uint64) size =
    let batch = TrajectoryBatch(size, grid.Steps, target.Dimension)
    Trajectories.SampleForward(policy, target, grid, PhiloxNoise(seed), 0L, batch)
    batch
