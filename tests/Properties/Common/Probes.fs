/// Shared helpers of the Diffusion tests: seeded parameter draws, single-step probing, Monte Carlo runs.
module RateLab.Properties.Probes

open System
open RateLab.Core.Randomness
open RateLab.Core.Contracts
open RateLab.Core.Samplers
open RateLab.Core.Targets

/// The i-th uniform in (0, 1) of a seed (parameters of a property case are drawn from its seed).
let uniform (seed: uint64) (i: int) = CounterRng.Uniform(seed, 7L, 0L, i)

/// n standard normals of a seed and role.
let normals (seed: uint64) (role: int) (n: int) =
    let a = Array.zeroCreate n
    CounterRng.Normals(seed, 7L, 1L, role, Span a)
    a

/// |a − b| ≤ tol·max(|a|, |b|) (relative closeness; equal values, including 0 = 0, pass).
let relClose tol (a: float) (b: float) =
    abs (a - b) <= tol * max (abs a) (abs b)

/// A noise source whose normals are all `z` and whose uniforms are all `u` (for probing one step).
let constantNoise (z: float) (u: float) =
    { new INoiseSource with
        member _.Normals(_, _, _, dest) = dest.Fill z
        member _.Uniform(_, _, _) = u
        member _.BrownianIncrements(_, _, _, _, inc) = inc.Fill z }

/// Runs step `step` of `kernel` once from state `x` with `noise`; returns the new state.
let stepOnce (kernel: ISamplerKernel) (field: IScoreField) (noise: INoiseSource) (step: int64) (x: float[]) =
    let oracle = ScoreOracle(field, 1)
    let scratch = Array.zeroCreate (max 1 kernel.ScratchLength)
    let state = Array.copy x
    let mutable ctx = StepContext(0L, step, noise, oracle, Span scratch)
    kernel.Step(&ctx, Span state)
    state

/// Runs `chains` chains of `kernel` for `steps` steps with Philox noise; returns the positions (chains × d) and the oracle.
let run (kernel: ISamplerKernel) (field: IScoreField) (seed: uint64) (chains: int) (steps: int) =
    let oracle = ScoreOracle(field, chains)
    let batch = ChainBatch(chains, kernel.StateLength, kernel.Dimension)
    SamplerRunner.Run(kernel, PhiloxNoise seed, oracle, batch, int64 steps)
    batch.Positions(), oracle

/// Expects `f` to throw an ArgumentException (or subclass) whose message names `name`.
let throwsNaming (name: string) (f: unit -> unit) =
    try
        f ()
        false
    with :? ArgumentException as e ->
        e.Message.Contains name
