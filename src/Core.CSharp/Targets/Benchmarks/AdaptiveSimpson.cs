namespace RateLab.Core.Targets.Benchmarks;

/// <summary>Adaptive Simpson quadrature with Richardson correction (error estimate (S₂ − S₁)/15 per panel).</summary>
public static class AdaptiveSimpson
{
    /// <summary>∫ₐᵇ f to absolute tolerance <paramref name="tolerance"/> (recursion depth ≤ 50).</summary>
    public static double Integrate(Func<double, double> f, double a, double b, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(f);
        Validation.Guard.Positive(tolerance, nameof(tolerance));
        double fa = f(a), fb = f(b), m = 0.5 * (a + b), fm = f(m);
        return Recurse(f, a, b, fa, fm, fb, Simpson(a, b, fa, fm, fb), tolerance, 50);
    }

    static double Simpson(double a, double b, double fa, double fm, double fb) => (b - a) / 6 * (fa + 4 * fm + fb);

    static double Recurse(Func<double, double> f, double a, double b, double fa, double fm, double fb, double whole, double tol, int depth)
    {
        double m = 0.5 * (a + b), lm = 0.5 * (a + m), rm = 0.5 * (m + b);
        double flm = f(lm), frm = f(rm);
        double left = Simpson(a, m, fa, flm, fm), right = Simpson(m, b, fm, frm, fb), diff = left + right - whole;
        if (depth <= 0 || Math.Abs(diff) <= 15 * tol) return left + right + diff / 15;
        return Recurse(f, a, m, fa, flm, fm, left, 0.5 * tol, depth - 1) + Recurse(f, m, b, fm, frm, fb, right, 0.5 * tol, depth - 1);
    }
}
