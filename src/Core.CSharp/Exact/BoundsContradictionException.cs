namespace RateLab.Core.Exact;

/// <summary>
/// A lower bound above its upper bound by more than <see cref="Z"/> combined standard errors. The bounds cannot both
/// hold, so one of them is wrong: typically the Monte Carlo mean over draw replicates behind the upper bound missed the
/// heavy tail of a sampler that is unstable at these settings (rare draws with enormous laws), while the lower bound's
/// exact moments include them. Reported as a failure, never as figures.
/// </summary>
public sealed class BoundsContradictionException(string sampler, long steps, string quantity, double lower,
    double upper, double z)
    : Exception($"sampler '{sampler}' after {steps} steps: the {quantity} lower bound {lower:G4} exceeds the " +
                $"upper bound {upper:G4} by more than {z} standard errors; the sampler is likely unstable at these " +
                "settings (reduce the step size), or the upper bound needs more replicates.")
{
    /// <summary>How many combined standard errors a lower bound may exceed its upper bound by: z = 5, a two-sided
    /// false-failure probability of 5.7·10⁻⁷ per pair when both estimates are normal.</summary>
    public const double Tolerance = 5;

    /// <summary>The sampler's name.</summary>
    public string Sampler { get; } = sampler;
    /// <summary>The step count analysed.</summary>
    public long Steps { get; } = steps;
    /// <summary>"KL", "W2" or "TV".</summary>
    public string Quantity { get; } = quantity;
    /// <summary>The lower bound's value.</summary>
    public double Lower { get; } = lower;
    /// <summary>The upper bound's value.</summary>
    public double Upper { get; } = upper;
    /// <summary>The z used.</summary>
    public double Z { get; } = z;

    /// <summary>Throws when <paramref name="lower"/> − <paramref name="upper"/> &gt; z·√(se_l² + se_u²) or either is
    /// is NaN (then no figure can be trusted).</summary>
    public static void Check(string sampler, long steps, string quantity, McEstimate lower, McEstimate upper)
    {
        double se = Math.Sqrt(lower.StandardError * lower.StandardError + upper.StandardError * upper.StandardError);
        if (!(lower.Value - upper.Value <= Tolerance * se))
            throw new BoundsContradictionException(sampler, steps, quantity, lower.Value, upper.Value, Tolerance);
    }
}
