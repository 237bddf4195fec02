/// Shared helpers for the randomized-midpoint tests: runs, fixed-draw noise, OU grids, schedule cases, slope fits.
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

/// A valid Li–Jiao configuration: K divides T so that N = 2T/K is even; c₀ < c₁ < T/log T.
type ScheduleCase =
    { T: int; K: int; C0: float; C1: float }

let private scheduleCase =
    gen {
        let! t = Gen.choose (2, 400)

        let divisors =
            [ for k in 1..t do
                  if t % k = 0 then
                      k ]

        let! k = Gen.elements divisors
        let! c0 = Gen.choose (50, 250) |> Gen.map (fun i -> float i / 100.0)
        let! f = Gen.choose (1, 99) |> Gen.map (fun i -> float i / 100.0)
        // c₁ < T/log T is the validity bound; c₁ − c₀ ≤ 10 keeps the end levels far from float64 underflow.
        let cap = min (float t / log (float t)) (c0 + 10.0)

        return
            { T = t
              K = k
              C0 = c0
              C1 = c0 + f * (cap - c0) }
    }

type MidpointArbs =
    static member Schedule() : Arbitrary<ScheduleCase> = Arb.fromGen scheduleCase

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
