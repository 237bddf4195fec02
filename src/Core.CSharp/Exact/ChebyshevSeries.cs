namespace RateLab.Core.Exact;

/// <summary>
/// Chebyshev interpolation on [−1, 1] at the n first-kind nodes xⱼ = cos(π(2j + 1)/(2n)): the interpolant of values
/// fⱼ is Σₖ cₖ Tₖ(x) with cₖ = (2 − [k = 0])/n · Σⱼ fⱼ Tₖ(xⱼ) (the discrete cosine transform). For f a polynomial of
/// degree D &lt; n the cₖ beyond D vanish, so truncating at D loses nothing; a value error δ in the fⱼ moves each cₖ by
/// at most 2δ (|Tₖ| ≤ 1), so the truncated series at any x ∈ [−1, 1] moves by at most 2(D + 1)δ — the stability
/// constant of the fit, which Chebyshev nodes keep this small where equispaced ones grow like 2ⁿ.
/// </summary>
static class ChebyshevSeries
{
    /// <summary>The j-th of <paramref name="n"/> first-kind Chebyshev nodes, decreasing in j.</summary>
    public static double Node(int j, int n) => Math.Cos(Math.PI * (2 * j + 1) / (2.0 * n));

    /// <summary>The coefficients c₀ … c_D of the interpolant of <paramref name="values"/> (at the
    /// <paramref name="values"/>.Length nodes), truncated at D = <paramref name="coefficients"/>.Length − 1.</summary>
    public static void Fit(ReadOnlySpan<double> values, Span<double> coefficients)
    {
        int n = values.Length;
        for (int k = 0; k < coefficients.Length; k++)
        {
            double sum = 0;
            for (int j = 0; j < n; j++) sum += values[j] * Math.Cos(k * Math.PI * (2 * j + 1) / (2.0 * n));
            coefficients[k] = (k == 0 ? 1.0 : 2.0) / n * sum;
        }
    }

    /// <summary>T₀(x) … T_D(x) by the three-term recurrence T_{k+1} = 2x Tₖ − T_{k−1} (stable on [−1, 1]).</summary>
    public static void Basis(double x, Span<double> basis)
    {
        basis[0] = 1;
        if (basis.Length > 1) basis[1] = x;
        for (int k = 2; k < basis.Length; k++) basis[k] = 2 * x * basis[k - 1] - basis[k - 2];
    }

    /// <summary>Σₖ cₖ Tₖ(x), summed in the order the lane evaluation of <see cref="PolynomialLanes"/> uses.</summary>
    public static double Evaluate(ReadOnlySpan<double> coefficients, ReadOnlySpan<double> basis)
    {
        double sum = coefficients[0];
        for (int k = 1; k < coefficients.Length; k++) sum = Math.FusedMultiplyAdd(coefficients[k], basis[k], sum);
        return sum;
    }
}
