using System.Globalization;

namespace RateLab.Core.Diffusion;

/// <summary>
/// Half-open interval checks that <see cref="Validation.Guard"/> lacks (noise levels live in [0, 1) and (0, 1]); the
/// message has Guard's form: parameter, value, allowed range.
/// </summary>
internal static class HalfOpen
{
    static string Show(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Requires lo ≤ value &lt; hi.</summary>
    public static double ClosedOpen(double value, double lo, double hi, string name)
    {
        if (!(value >= lo && value < hi))
            throw new ArgumentOutOfRangeException(name, $"{name} = {Show(value)} is out of range; allowed: [{Show(lo)}, {Show(hi)}).");
        return value;
    }

    /// <summary>Requires lo &lt; value ≤ hi.</summary>
    public static double OpenClosed(double value, double lo, double hi, string name)
    {
        if (!(value > lo && value <= hi))
            throw new ArgumentOutOfRangeException(name, $"{name} = {Show(value)} is out of range; allowed: ({Show(lo)}, {Show(hi)}].");
        return value;
    }
}
