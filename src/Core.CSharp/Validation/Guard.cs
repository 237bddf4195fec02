using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Diagnostics.CodeAnalysis;

namespace RateLab.Core.Validation;

/// <summary>
/// Argument checks for every public boundary. Each failure names the parameter, the offending value and the allowed
/// range, so a user reading one line knows what to change.
/// </summary>
public static class Guard
{
    static string Show(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    static ArgumentOutOfRangeException Fail(string name, string value, string range) =>
        new(name, $"{name} = {value} is out of range; allowed: {range}.");

    /// <summary>Requires a finite value (no NaN, no ±∞).</summary>
    public static double Finite(double value, string name)
    {
        if (!double.IsFinite(value)) throw Fail(name, Show(value), "a finite number");
        return value;
    }

    /// <summary>Requires 0 &lt; value &lt; ∞.</summary>
    public static double Positive(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value)) throw Fail(name, Show(value), "(0, ∞)");
        return value;
    }

    /// <summary>Requires 0 ≤ value &lt; ∞.</summary>
    public static double NonNegative(double value, string name)
    {
        if (!(value >= 0) || !double.IsFinite(value)) throw Fail(name, Show(value), "[0, ∞)");
        return value;
    }

    /// <summary>Requires lo &lt; value &lt; hi (open interval).</summary>
    public static double InOpen(double value, double lo, double hi, string name)
    {
        if (!(value > lo && value < hi)) throw Fail(name, Show(value), $"({Show(lo)}, {Show(hi)})");
        return value;
    }

    /// <summary>Requires lo ≤ value ≤ hi (closed interval).</summary>
    public static double InClosed(double value, double lo, double hi, string name)
    {
        if (!(value >= lo && value <= hi)) throw Fail(name, Show(value), $"[{Show(lo)}, {Show(hi)}]");
        return value;
    }

    /// <summary>Requires an integer ≥ min.</summary>
    public static int AtLeast(int value, int min, string name)
    {
        if (value < min) throw Fail(name, value.ToString(CultureInfo.InvariantCulture), $"integers ≥ {min}");
        return value;
    }

    /// <summary>Requires a thread limit: −1 (all cores) or an integer ≥ 1.</summary>
    public static int Threads(int value, string name)
    {
        if (value is 0 or < -1) throw Fail(name, value.ToString(CultureInfo.InvariantCulture), "−1 (all cores) or ≥ 1");
        return value;
    }

    /// <summary>Requires an integer in [min, max] (for counts whose arithmetic must not overflow).</summary>
    public static int InRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
            throw Fail(name, value.ToString(CultureInfo.InvariantCulture), $"integers in [{min}, {max}]");
        return value;
    }

    /// <summary>Requires a long ≥ min.</summary>
    public static long AtLeast(long value, long min, string name)
    {
        if (value < min) throw Fail(name, value.ToString(CultureInfo.InvariantCulture), $"integers ≥ {min}");
        return value;
    }

    /// <summary>Requires every entry finite.</summary>
    public static void AllFinite(ReadOnlySpan<double> values, string name)
    {
        if (FirstOutside(values, double.NegativeInfinity, open: false) is var i and >= 0)
            throw Fail($"{name}[{i}]", Show(values[i]), "a finite number");
    }

    /// <summary>Requires every entry in [0, ∞) (the message is formed only on failure: these spans reach d = 10⁶).</summary>
    public static void AllNonNegative(ReadOnlySpan<double> values, string name)
    {
        if (FirstOutside(values, 0, open: false) is var i and >= 0) throw Fail($"{name}[{i}]", Show(values[i]), "[0, ∞)");
    }

    /// <summary>Requires every entry in (0, ∞).</summary>
    public static void AllPositive(ReadOnlySpan<double> values, string name)
    {
        if (FirstOutside(values, 0, open: true) is var i and >= 0) throw Fail($"{name}[{i}]", Show(values[i]), "(0, ∞)");
    }

    // The index of the first entry that is not finite or not above lo (≥ lo, or > lo when open), else −1. Whole SIMD
    // vectors are checked first, as these spans reach d = 10⁶; from the first failing vector on, the scalar loop finds
    // the exact entry for the message. NaN fails every comparison, so it is caught by both.
    static int FirstOutside(ReadOnlySpan<double> values, double lo, bool open)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vectors = MemoryMarshal.Cast<double, Vector<double>>(values);
            Vector<double> bound = new(lo), largest = new(double.MaxValue);
            for (int k = 0; k < vectors.Length; k++, i += Vector<double>.Count)
            {
                var v = vectors[k];
                bool above = open ? Vector.GreaterThanAll(v, bound) : Vector.GreaterThanOrEqualAll(v, bound);
                if (!above || !Vector.LessThanOrEqualAll(Vector.Abs(v), largest)) break;
            }
        }
        for (; i < values.Length; i++)
            if (!(open ? values[i] > lo : values[i] >= lo) || !double.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>
    /// Requires the parameters of N(mean, diag(variances)): d ≥ 1 entries each, finite means, variances in (0, ∞).
    /// </summary>
    public static void DiagonalGaussian([NotNull] double[]? mean, [NotNull] double[]? variances)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(variances);
        AtLeast(variances.Length, 1, "d");
        Length(mean.Length, variances.Length, nameof(mean));
        AllFinite(mean, nameof(mean));
        AllPositive(variances, nameof(variances));
    }

    /// <summary>Requires a span of an exact length.</summary>
    public static void Length(int actual, int expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has length {actual}; allowed: exactly {expected}.", name);
    }
}
