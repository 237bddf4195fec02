/// What the diffusion-sampler tests and their References tests share: runs, fixed-draw noise, OU grids, Li–Jiao
/// schedule cases, slope fits.
module RateLab.Properties.Core.Samplers.Diffusion.Fixtures

open System
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Diffusion
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Targets
open RateLab.Properties.Generators

/// Runs every chain of a fresh batch for `steps` steps on one thread; returns the batch and the counting oracle.
let run (kernel: ISamplerKernel) (field: IScoreField) (noise: INoiseSource) chains (steps: int) =
    let oracle = ScoreOracle(field, chains)
    let batch = ChainBatch(chains, kernel.StateLength, kernel.Dimension)
    SamplerRunner.Run(kernel, noise, oracle, batch, int64 steps, 1)
    batch, oracle

/// Every uniform equals u and every normal is 0: evaluates a kernel at one chosen midpoint draw.
type FixedUniformNoise(u: float) =
    interface INoiseSource with
        member _.Normals(_chain: int64, _step: int64, _role: int, destination: Span<float>) = destination.Clear()
        member _.Uniform(_chain: int64, _step: int64, _index: int) = u

        member _.BrownianIncrements
            (_chain: int64, _step: int64, _h: float, _cuts: ReadOnlySpan<float>, increments: Span<float>)
            =
            increments.Clear()

/// n + 1 levels uniform in OU time s from tEnd down to delta: τ = 1 − e^{−2s}.
let ouGrid tEnd delta n =
    Array.init (n + 1) (fun i ->
        let s = tEnd - (tEnd - delta) * float i / float n
        NoiseLevel.FromOuTime s)

type MidpointArbs =
    static member Schedule() : Arbitrary<ScheduleCase> = Arb.fromGen (liJiaoSchedule 400)

/// Draws a schedule's uniforms as a sampler's Init would, for chain `chain` of noise `seed`.
let draws (schedule: LiJiaoSchedule) (seed: uint64) (chain: int64) =
    let u = Array.zeroCreate schedule.DrawCount

    let oracle =
        ScoreOracle(RateLab.Core.Diffusion.GaussianNoisedScore([| 0.0 |], [| 1.0 |]), int chain + 1)

    let mutable ctx =
        StepContext(chain, -1L, PhiloxNoise(seed), oracle, Span<float>(Array.zeroCreate 1))

    schedule.Draw(&ctx, Span<float>(u))
    u

/// Least-squares slope of ys on xs and a bound on its standard error valid whatever the correlation between the ys
/// (the fits share chains across step counts): SE(Σ wⱼ yⱼ) ≤ Σ |wⱼ| SE(yⱼ).
let slopeWithBound (xs: float[]) (ys: float[]) (ses: float[]) =
    let xb = Array.average xs
    let sxx = xs |> Array.sumBy (fun x -> (x - xb) ** 2.0)
    let w = xs |> Array.map (fun x -> (x - xb) / sxx)
    Array.map2 (*) w ys |> Array.sum, Array.map2 (fun wi s -> abs wi * s) w ses |> Array.sum
