namespace RateLab.Core.Numerics;

/// <summary>
/// eˣ − 1 and log(1 + x) to a few ulps for every x (Kahan's and Goldberg's corrections). .NET's double.ExpM1/LogP1 are
/// computed as Exp(x) − 1 and Log(1 + x) and lose about 7 digits at |x| = 1e-9; MathNet's ExponentialMinusOne truncates
/// its series (≈1e-10 relative error at x = 0.01). Noise-level arithmetic near τ → 0 and τ → 1 and the exponential
/// integrators need the real thing (docs/algorithms.md items 2–3).
/// </summary>
internal static class StableMath
{
    /// <summary>eˣ − 1 as (w − 1)·x / log w with w = eˣ: the rounding error of w cancels in the ratio.</summary>
    public static double Expm1(double x)
    {
        double w = Math.Exp(x);
        if (w == 1.0) return x;
        double wm1 = w - 1.0;
        // At w = 0 (x below −745) and w = ∞ the ratio degenerates (−0 and NaN) while w − 1 is already the answer.
        if (wm1 == -1.0 || double.IsPositiveInfinity(w)) return wm1;
        return wm1 * x / Math.Log(w);
    }

    /// <summary>log(1 + x) as log(u)·x / (u − 1) with u = 1 + x: the rounding of u is undone by the factor.</summary>
    public static double Log1p(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsPositiveInfinity(u) || u == 0) return Math.Log(u);
        return Math.Log(u) * x / (u - 1.0);
    }
}
