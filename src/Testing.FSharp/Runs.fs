/// Running a spec's kernel: the score field of its family, its exact analysis, Monte Carlo runs under any thread count
/// and batch split, the exact conditional law of each chain, and the bytes its steps allocate.
module RateLab.Testing.Runs

open System
open RateLab.Core.Exact
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Targets

/// The score field a family's kernel runs on, and the same field without its constant term.
let fields (family: Family) (r: GaussianReduction) : IScoreField * IScoreField =
    match family with
    | Langevin -> r.TargetScore(), r.CentredTargetScore()
    | Diffusion -> r.NoisedScore(), r.CentredNoisedScore()

/// The exact-engine problem of one build.
let problem (family: Family) (r: GaussianReduction) (built: Built) =
    let score, centred = fields family r

    ExactProblem(
        built.Kernel,
        score,
        centred,
        built.Reference,
        built.Steps,
        DrawReference =
            (built.DrawReference
             |> Option.map (fun f -> Func<double[], DiagonalLaw> f)
             |> Option.toObj)
    )

/// The exact analysis of the spec's kernel on `r` at step count n.
let exact (spec: KernelSpec) (r: GaussianReduction) (n: int) (options: ExactOptions) =
    ExactAnalysis.Analyse(problem spec.Family r (spec.Build r n), options)

/// Final states (chains × state length) and the oracle of a run of chains [first, first + count) out of `total`,
/// on `threads` threads (0: all cores) in blocks of `block` chains.
let runBuilt
    (family: Family)
    (r: GaussianReduction)
    (built: Built)
    (seed: uint64)
    (total: int)
    (first: int)
    (count: int)
    (threads: int)
    (block: int)
    =
    let kernel = built.Kernel
    let oracle = ScoreOracle(fst (fields family r), total)
    let batch = ChainBatch(count, kernel.StateLength, kernel.Dimension, int64 first)
    SamplerRunner.Run(kernel, PhiloxNoise seed, oracle, batch, built.Steps, threads, block)
    batch, oracle

/// <see cref="runBuilt"/> on a fresh build of the spec's kernel at step count n.
let runChains (spec: KernelSpec) (r: GaussianReduction) (n: int) seed total first count threads block =
    runBuilt spec.Family r (spec.Build r n) seed total first count threads block

/// z-scores of Monte Carlo chains against their own exact conditional laws. Chain k of a run with `seed` draws the
/// scalar randomness of replicate k of the exact analysis, so given those draws its position is exactly N(μ_k, S_k)
/// and (x − μ_k)/√S_k is N(0, 1) per coordinate, independently across chains. One array per reduced coordinate.
let conditionalZ (family: Family) (r: GaussianReduction) (built: Built) (seed: uint64) (chains: int) =
    let batch, _ = runBuilt family r built seed chains 0 chains 0 64
    let kernel = built.Kernel
    let d = kernel.Dimension
    let x = batch.Positions()
    let score, centred = fields family r
    let propagator = AffinePropagator(kernel, score, centred, ProbeNoise())
    let law = GaussianState(kernel.Blocks, d)
    let z = Array2D.zeroCreate d chains
    let source = PhiloxNoise seed

    for k in 0 .. chains - 1 do
        // A kernel without scalar draws has one law for every chain.
        if k = 0 || propagator.Noise.UniformDraws > 0 then
            ExactAnalysis.PropagateDraw(propagator, source, int64 k, built.Steps, law)

        for i in 0 .. d - 1 do
            z.[i, k] <- (x.[k * d + i] - law.Mean.[i]) / sqrt law.Covariance.[i]

    Array.init d (fun i -> z.[i, *]), x

// Init and every step of one chain; the bytes the steps allocated when `measure` is set.
let private runOnce (kernel: ISamplerKernel) (ctx: byref<StepContext>) (state: float[]) (steps: int64) measure =
    ctx.Step <- -1L
    kernel.Init(&ctx, Span state)
    let before = GC.GetAllocatedBytesForCurrentThread()

    for s in 0L .. steps - 1L do
        ctx.Step <- s
        kernel.Step(&ctx, Span state)

    if measure then
        GC.GetAllocatedBytesForCurrentThread() - before
    else
        0L

/// Managed bytes allocated by the steps of a second complete run of one chain (the first run warms up the JIT and
/// any lazily built tables).
let bytesAllocatedBySteps (family: Family) (r: GaussianReduction) (built: Built) (seed: uint64) =
    let kernel = built.Kernel
    let oracle = ScoreOracle(fst (fields family r), 1)
    let state = Array.zeroCreate<float> kernel.StateLength
    let scratch = Array.zeroCreate<float>(max 1 kernel.ScratchLength)
    let mutable ctx = StepContext(0L, -1L, PhiloxNoise seed, oracle, Span scratch)
    runOnce kernel &ctx state built.Steps false |> ignore
    runOnce kernel &ctx state built.Steps true
