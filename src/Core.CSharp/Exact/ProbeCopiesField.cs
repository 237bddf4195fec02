using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// The score a packed probe runs on: copy 0 of the state (the mean probe) sees the real field, every other copy (the
/// column and noise probes) the centred one. Each copy is evaluated by the same d-dimensional field as an unpacked
/// probe would be, so the packed step computes every coordinate with the same operations, bit for bit.
/// </summary>
sealed class ProbeCopiesField : IScoreField
{
    readonly IScoreField real, centred;
    readonly int copies;

    public ProbeCopiesField(IScoreField real, IScoreField centred, int copies)
    {
        this.real = real;
        this.centred = centred;
        this.copies = Guard.AtLeast(copies, 1, nameof(copies));
        Dimension = checked(copies * real.Dimension);
    }

    public string Name => $"probe copies of {real.Name}";

    public int Dimension { get; }

    public void Score(ReadOnlySpan<double> x, double tau, Span<double> score)
    {
        int d = real.Dimension;
        real.Score(x[..d], tau, score[..d]);
        for (int c = 1; c < copies; c++) centred.Score(x.Slice(c * d, d), tau, score.Slice(c * d, d));
    }
}
