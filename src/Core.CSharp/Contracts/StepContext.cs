
namespace RateLab.Core.Contracts;

/// <summary>
/// What one kernel step of one chain may use: its address (chain, step), the noise source, the counting oracle and a
/// scratch buffer owned by the calling worker (so a step never allocates). Init runs with <see cref="Step"/> = −1.
/// </summary>
public ref struct StepContext
{
    /// <summary>Global chain index (independent of how chains are split into batches).</summary>
    public readonly long Chain;
    /// <summary>Step index; −1 during <see cref="ISamplerKernel.Init"/>.</summary>
    public long Step;
    /// <summary>Source of every random draw.</summary>
    public readonly INoiseSource Noise;
    /// <summary>The counting score oracle.</summary>
    public readonly ScoreOracle Oracle;
    /// <summary>Worker-owned scratch of <see cref="ISamplerKernel.ScratchLength"/> doubles.</summary>
    public readonly Span<double> Scratch;

    /// <summary>A context for one chain.</summary>
    public StepContext(long chain, long step, INoiseSource noise, ScoreOracle oracle, Span<double> scratch)
    {
        Chain = chain; Step = step; Noise = noise; Oracle = oracle; Scratch = scratch;
    }

    /// <summary>Standard normals for this (chain, step) and <paramref name="role"/>.</summary>
    public readonly void Normals(int role, Span<double> destination) => Noise.Normals(Chain, Step, role, destination);

    /// <summary>The <paramref name="index"/>-th scalar uniform of this (chain, step).</summary>
    public readonly double Uniform(int index) => Noise.Uniform(Chain, Step, index);

    /// <summary>Brownian increments over this step split at <paramref name="cuts"/> (see <see cref="INoiseSource"/>).</summary>
    public readonly void BrownianIncrements(double h, ReadOnlySpan<double> cuts, Span<double> increments) =>
        Noise.BrownianIncrements(Chain, Step, h, cuts, increments);

    /// <summary>One counted score evaluation.</summary>
    public readonly void Score(ReadOnlySpan<double> x, double tau, Span<double> score) =>
        Oracle.Evaluate(Chain, x, tau, score);

    /// <summary>A counted batch of score evaluations in one round.</summary>
    public readonly void ScoreRows(ReadOnlySpan<double> rows, ReadOnlySpan<double> taus, Span<double> scores) =>
        Oracle.EvaluateRows(Chain, rows, taus, scores);
}
