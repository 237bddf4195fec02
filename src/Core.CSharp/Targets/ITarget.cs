using RateLab.Core.Contracts;

namespace RateLab.Core.Targets;

/// <summary>
/// A target π ∝ e^{−f} with exact log-density (up to an additive constant) and gradient of log π (the score, −∇f).
/// Batched members treat their spans as contiguous rows of length d, one per chain.
/// </summary>
public interface ITarget : IScoreField
{
    /// <summary>log π(x) up to an additive constant.</summary>
    double LogDensity(ReadOnlySpan<double> x);

    /// <summary>∇ log π(x) = −∇f(x).</summary>
    void Score(ReadOnlySpan<double> x, Span<double> score);

    void IScoreField.Score(ReadOnlySpan<double> x, double tau, Span<double> score) => Score(x, score);

    /// <summary>log π for each row of <paramref name="rows"/>.</summary>
    void LogDensityRows(ReadOnlySpan<double> rows, Span<double> logDensity)
    {
        int d = Dimension;
        for (int r = 0; r < logDensity.Length; r++) logDensity[r] = LogDensity(rows.Slice(r * d, d));
    }

    /// <summary>∇ log π for each row of <paramref name="rows"/>.</summary>
    void ScoreRows(ReadOnlySpan<double> rows, Span<double> scores)
    {
        int d = Dimension;
        for (int r = 0; r < rows.Length / d; r++) Score(rows.Slice(r * d, d), scores.Slice(r * d, d));
    }
}

/// <summary>Constants a target knows about itself; null where it does not hold or is unknown.</summary>
public interface ITargetConstants
{
    /// <summary>Strong-convexity constant m of f (null if f is not strongly convex).</summary>
    double? StrongConvexity { get; }

    /// <summary>Smoothness constant L of f (Lipschitz constant of ∇f), null if unbounded or unknown.</summary>
    double? Smoothness { get; }

    /// <summary>Exact mean of π, if known.</summary>
    double[]? Mean { get; }
}

/// <summary>A target that can draw exact independent samples.</summary>
public interface IExactSampler
{
    /// <summary>Writes an exact draw of π for <paramref name="chain"/> into <paramref name="x"/>, using normals and
    /// uniforms at step <paramref name="step"/> of <paramref name="noise"/>.</summary>
    void SampleExact(INoiseSource noise, long chain, long step, Span<double> x);
}
