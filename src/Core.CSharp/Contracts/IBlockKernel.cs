
namespace RateLab.Core.Contracts;

/// <summary>
/// A kernel that can also advance a block of chains in lockstep, so that their scores come from one batched call
/// (<see cref="ScoreOracle.EvaluateBlock"/>) instead of one call per chain. A block step must draw exactly what
/// <see cref="ISamplerKernel.Step"/> draws for each chain (draws are addressed by chain, so the block split cannot
/// change them) and count each chain's evaluations as Step would.
/// </summary>
public interface IBlockKernel : ISamplerKernel
{
    /// <summary>Advances chains [ctx.FirstChain, ctx.FirstChain + ctx.Chains) by one step; their states are contiguous
    /// (chain c at c·StateLength of <paramref name="states"/>).</summary>
    void StepBlock(ref BlockContext ctx, Span<double> states);
}

/// <summary>What one block step may use: its chains, step, noise, the counting oracle, and worker-owned scratch of
/// <see cref="Chains"/> · <see cref="ISamplerKernel.ScratchLength"/> doubles.</summary>
public ref struct BlockContext
{
    /// <summary>Global index of the block's first chain.</summary>
    public readonly long FirstChain;
    /// <summary>Chains in the block.</summary>
    public readonly int Chains;
    /// <summary>Step index.</summary>
    public long Step;
    /// <summary>Source of every random draw.</summary>
    public readonly INoiseSource Noise;
    /// <summary>The counting score oracle.</summary>
    public readonly ScoreOracle Oracle;
    /// <summary>Worker-owned scratch.</summary>
    public readonly Span<double> Scratch;

    /// <summary>A context for chains [firstChain, firstChain + chains).</summary>
    public BlockContext(long firstChain, int chains, long step, INoiseSource noise, ScoreOracle oracle,
        Span<double> scratch)
    {
        FirstChain = firstChain; Chains = chains; Step = step; Noise = noise; Oracle = oracle; Scratch = scratch;
    }

    /// <summary>One counted evaluation per chain of the block, rows in chain order, all at
    /// <paramref name="tau"/>.</summary>
    public readonly void ScoreBlock(ReadOnlySpan<double> rows, double tau, Span<double> scores) =>
        Oracle.EvaluateBlock(FirstChain, rows, tau, scores);

    /// <summary>One counted evaluation per chain of the block, rows in chain order, row c at
    /// <paramref name="taus"/>[c].</summary>
    public readonly void ScoreBlockAt(ReadOnlySpan<double> rows, ReadOnlySpan<double> taus, Span<double> scores) =>
        Oracle.EvaluateBlockAt(FirstChain, rows, taus, scores);

    /// <summary>Standard normals of the block's chain <paramref name="c"/> (0-based) for this step and
    /// <paramref name="role"/>: what <see cref="StepContext.Normals"/> gives that chain.</summary>
    public readonly void Normals(int c, int role, Span<double> destination) =>
        Noise.Normals(FirstChain + c, Step, role, destination);

    /// <summary>Brownian increments of the block's chain <paramref name="c"/> (0-based) over this step.</summary>
    public readonly void BrownianIncrements(int c, double h, ReadOnlySpan<double> cuts, Span<double> increments) =>
        Noise.BrownianIncrements(FirstChain + c, Step, h, cuts, increments);
}
