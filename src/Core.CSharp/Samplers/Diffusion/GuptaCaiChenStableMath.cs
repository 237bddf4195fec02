namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// expm1 and log1p to a few ulps (Kahan's tricks). .NET's double.ExpM1/LogP1 are computed as exp(x) − 1 and
/// log(1 + x) and lose about 7 digits at |x| = 1e-9; MathNet's ExponentialMinusOne truncates its series (≈1e-10 relative
/// error at x = 0.01). Noise-level arithmetic near τ → 0 and τ → 1 needs the real thing (algorithms.md §7 items 2–3).
/// </summary>
internal static class StableMath
{
    /// <summary>eˣ − 1.</summary>
    public static double Expm1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0 || double.IsPositiveInfinity(u)) return um1;
        // The rounding error of u cancels between (u − 1) and log u.
        return um1 * x / Math.Log(u);
    }

    /// <summary>log(1 + x).</summary>
    public static double Log1p(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsPositiveInfinity(u) || u == 0) return Math.Log(u);
        return Math.Log(u) * x / (u - 1.0);
    }
}
