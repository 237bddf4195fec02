/// Wall time of real sampler runs for work-precision diagrams: the catalog's kernel on the target's exact score, run on
/// a batch of chains on one thread, timed after a warm-up run (so the JIT is not counted) as the fastest of three.
/// Times depend on the machine and its load; the report states both and caches them with the results.
module RateLab.Analysis.Studies.WorkPrecision

open System
open System.Diagnostics
open RateLab.Core.Exact
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Analysis.Experiments.Spec

/// Seconds per chain of one run of `sampler` with n steps on `target` in dimension d, over `chains` chains on one
/// thread (the fastest of three timed runs after one untimed warm-up).
let secondsPerChain (sampler: Component) (target: Component) (d: int) (n: int) (chains: int) (seed: uint64) =
    let entry = Catalog.sampler sampler.Name
    let problem = Catalog.gaussianProblem target d
    let start = Catalog.startLaw entry sampler problem

    let reduction =
        GaussianReduction.Diagonal(ReadOnlySpan problem.Mean, ReadOnlySpan problem.Variance, start)

    let once () =
        let built = entry.Build sampler reduction n

        let field: RateLab.Core.Contracts.IScoreField =
            if entry.Diffusion then
                reduction.NoisedScore()
            else
                reduction.TargetScore()

        let oracle = ScoreOracle(field, chains)
        let batch = ChainBatch(chains, built.Kernel.StateLength, built.Kernel.Dimension)
        let clock = Stopwatch.StartNew()
        SamplerRunner.Run(built.Kernel, PhiloxNoise seed, oracle, batch, built.Steps, threads = 1)
        clock.Elapsed.TotalSeconds

    once () |> ignore
    (List.init 3 (fun _ -> once ()) |> List.min) / float chains
