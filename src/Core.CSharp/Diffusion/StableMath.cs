namespace RateLab.Core.Diffusion;

/// <summary>
/// log(1+x) and eˣ−1 accurate to a few ulps for small |x|. .NET's double.LogP1/ExpM1 are computed as Log(1+x) and
/// Exp(x)−1, which lose all relative accuracy near 0, so noise-level arithmetic uses these instead.
/// </summary>
internal static class StableMath
{
    /// <summary>log(1+x) by Goldberg's correction: the rounding of u = 1+x is undone by the factor x/(u−1).</summary>
    public static double Log1p(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsPositiveInfinity(u)) return Math.Log(u);
        return Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>eˣ−1 by Kahan's correction (u−1)·x/log u, exact to a few ulps for small x.</summary>
    public static double Expm1(double x)
    {
        if (Math.Abs(x) > 0.5) return Math.Exp(x) - 1.0;
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        return um1 * x / Math.Log(u);
    }
}
