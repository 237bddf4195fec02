using System.Numerics.Tensors;
using System.Runtime.ExceptionServices;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers;

/// <summary>
/// The one place where chains meet threads: chains are cut into contiguous blocks, blocks run in parallel, each worker
/// owns its scratch, and every draw is addressed by the global chain index, so the result is bit-identical for any
/// thread count and block size.
/// </summary>
public static class SamplerRunner
{
    /// <summary>
    /// Initialises and advances every chain of <paramref name="batch"/> by <paramref name="steps"/> steps. Throws
    /// <see cref="SamplerDivergedException"/> at the first non-finite state.
    /// </summary>
    public static void Run(ISamplerKernel kernel, INoiseSource noise, ScoreOracle oracle, ChainBatch batch, long steps,
        int threads = 0, int blockSize = 64)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(oracle);
        ArgumentNullException.ThrowIfNull(batch);
        Guard.AtLeast(steps, 0, nameof(steps));
        Guard.AtLeast(threads, 0, nameof(threads));
        Guard.AtLeast(blockSize, 1, nameof(blockSize));
        Guard.Length(batch.StateLength, kernel.StateLength, "batch state length");
        if (batch.FirstChain + batch.Chains > oracle.Chains)
            throw new ArgumentException($"oracle counts {oracle.Chains} chains but the batch reaches chain {batch.FirstChain + batch.Chains - 1}.", nameof(oracle));

        int blocks = (batch.Chains + blockSize - 1) / blockSize;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads == 0 ? Environment.ProcessorCount : threads };
        try
        {
            if (kernel is IBlockKernel lockstep)
                Parallel.For(0, blocks, options, () => new double[Math.Max(1, blockSize * kernel.ScratchLength)],
                    (b, _, scratch) =>
                {
                    int start = b * blockSize;
                    RunBlock(lockstep, noise, oracle, batch, start, Math.Min(batch.Chains, start + blockSize) - start,
                        steps, scratch);
                    return scratch;
                }, _ => { });
            else
                Parallel.For(0, blocks, options, () => new double[Math.Max(1, kernel.ScratchLength)], (b, _, scratch) =>
                {
                    int end = Math.Min(batch.Chains, (b + 1) * blockSize);
                    for (int c = b * blockSize; c < end; c++) RunChain(kernel, noise, oracle, batch, c, steps, scratch);
                    return scratch;
                }, _ => { });
        }
        catch (AggregateException e)
        {
            // Callers should see the sampler's own error, not the thread pool's wrapper; of several diverged blocks the
            // lowest chain is reported, so a single-threaded rerun reproduces it.
            var first = e.Flatten().InnerExceptions
                .OrderBy(x => x is SamplerDivergedException d ? d.Chain : long.MaxValue).First();
            ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    static void RunChain(ISamplerKernel kernel, INoiseSource noise, ScoreOracle oracle, ChainBatch batch, int local,
        long steps, double[] scratch)
    {
        long chain = batch.FirstChain + local;
        var state = batch.State(local);
        var physical = state[..(kernel.Blocks * kernel.Dimension)];
        var ctx = new StepContext(chain, -1, noise, oracle, scratch);
        kernel.Init(ref ctx, state);
        CheckFinite(kernel, physical, -1, chain);
        for (long s = 0; s < steps; s++)
        {
            ctx.Step = s;
            kernel.Step(ref ctx, state);
            CheckFinite(kernel, physical, s, chain);
        }
    }

    // The chains of one block in lockstep, scored together each step. A chain that stops being finite ends the block
    // for itself and every chain after it, and the block goes on with the chains before it, so the failure reported is
    // the lowest failing chain at its first failing step, as chain-by-chain stepping reports it.
    static void RunBlock(IBlockKernel kernel, INoiseSource noise, ScoreOracle oracle, ChainBatch batch, int start,
        int count, long steps, double[] scratch)
    {
        int length = batch.StateLength, physical = kernel.Blocks * kernel.Dimension, active = count;
        long failedStep = 0;
        for (int c = 0; c < count; c++)
        {
            var own = scratch.AsSpan(0, kernel.ScratchLength);
            var ctx = new StepContext(batch.FirstChain + start + c, -1, noise, oracle, own);
            kernel.Init(ref ctx, batch.State(start + c));
            if (active == count && !Finite(batch.State(start + c)[..physical])) (active, failedStep) = (c, -1);
        }
        var states = batch.States.AsSpan(start * length, count * length);
        for (long s = 0; s < steps && active > 0; s++)
        {
            var ctx = new BlockContext(batch.FirstChain + start, active, s, noise, oracle, scratch);
            kernel.StepBlock(ref ctx, states[..(active * length)]);
            for (int c = 0; c < active; c++)
                if (!Finite(states.Slice(c * length, physical))) { (active, failedStep) = (c, s); break; }
        }
        if (active < count)
            throw new SamplerDivergedException(kernel.Name, failedStep, batch.FirstChain + start + active);
    }

    static bool Finite(ReadOnlySpan<double> physical) => double.IsFinite(TensorPrimitives.Sum(physical));

    // A NaN or ±∞ anywhere makes the sum non-finite; one vectorised pass instead of a branch per element.
    static void CheckFinite(ISamplerKernel kernel, ReadOnlySpan<double> physical, long step, long chain)
    {
        if (!Finite(physical)) throw new SamplerDivergedException(kernel.Name, step, chain);
    }
}
