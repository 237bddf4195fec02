using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RateLab.Boltzmann;

/// <summary>
/// The exact GELU h = z Φ(z) and its derivative Φ(z) + z φ(z), eight lanes at a time (scalar erf dominated the cost
/// of the batched network). Φ comes from erfc(x) = e^{−x²} erfcx(x), x = |z|/√2, with (1 + 2x) erfcx(x) a degree-25
/// polynomial in t = (x − 4)/(x + 4) (bench/peers/gelu_coefficients.py derives it; relative error below 3e-16). The
/// tail Φ(z) = ½ erfc(|z|/√2) for z &lt; 0 is computed directly, so it keeps full relative accuracy, and the one
/// exponential also gives φ(z). The even and odd halves of the polynomial are two independent Horner chains and two
/// vectors are in flight, because the chain's latency, not arithmetic, bounds the speed.
/// </summary>
static class VectorGelu
{
    const double K = 4, InvSqrt2 = 0.70710678118654752440, InvSqrt2Pi = 0.39894228040143267794, MaxX = 40;

    const double A0 = 1.2329951186255526, A1 = -0.1396211168405625, A2 = 0.015379652102619604,
        A3 = 0.0680970542546904, A4 = -0.10103906603630056, A5 = 0.09373283499843826, A6 = -0.06633036581218697,
        A7 = 0.03716751553592911, A8 = -0.016197734059799265, A9 = 0.005031969992669933,
        A10 = -0.0007577732613730956, A11 = -0.0001992567757633648, A12 = 0.0001506214900124047,
        A13 = -2.4398944545280832e-05, A14 = -1.1221287012353486e-05, A15 = 5.709206053072183e-06,
        A16 = 2.919733377963012e-07, A17 = -8.249198427508354e-07, A18 = 7.746992727017941e-08,
        A19 = 1.1009737295274889e-07, A20 = -2.05606492756992e-08, A21 = -1.4709550868669278e-08,
        A22 = 3.1695881915648173e-09, A23 = 1.7903326159489847e-09, A24 = -2.659599690242689e-10,
        A25 = -1.374652989001164e-10;

    /// <summary>h[i] = GELU(z[i]) and slope[i] = GELU′(z[i]); z may alias h.</summary>
    public static void Apply(Span<double> z, Span<double> h, Span<double> slope)
    {
        int n = z.Length, i = 0;
        if (n == 0) return;
        ref double zr = ref z[0], hr = ref h[0], sr = ref slope[0];
        for (; i + 16 <= n; i += 16)
        {
            var u = Vector512.LoadUnsafe(ref zr, (nuint)i);
            var v = Vector512.LoadUnsafe(ref zr, (nuint)(i + 8));
            (var pu, var du) = Evaluate(u);
            (var pv, var dv) = Evaluate(v);
            Vector512.StoreUnsafe(u * pu, ref hr, (nuint)i);
            Vector512.StoreUnsafe(du, ref sr, (nuint)i);
            Vector512.StoreUnsafe(v * pv, ref hr, (nuint)(i + 8));
            Vector512.StoreUnsafe(dv, ref sr, (nuint)(i + 8));
        }
        Span<double> lanes = stackalloc double[8];
        for (; i < n; i += 8)
        {
            lanes.Clear();
            int m = Math.Min(8, n - i);
            z.Slice(i, m).CopyTo(lanes);
            var v = Vector512.Create((ReadOnlySpan<double>)lanes);
            (var p, var s) = Evaluate(v);
            for (int j = 0; j < m; j++) { h[i + j] = v[j] * p[j]; slope[i + j] = s[j]; }
        }
    }

    /// <summary>(Φ(z), Φ(z) + z φ(z)) lane-wise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector512<double> Cdf, Vector512<double> Slope) Evaluate(Vector512<double> z)
    {
        var x = Vector512.Min(Vector512.Abs(z) * InvSqrt2, Vector512.Create(MaxX));
        var xk = x + Vector512.Create(K);
        var x2 = Vector512.FusedMultiplyAdd(x, Vector512.Create(2.0), Vector512<double>.One);
        // One division serves both t = (x − K)/(x + K) and 1/(1 + 2x).
        var r = Vector512<double>.One / (xk * x2);
        var t = (x - Vector512.Create(K)) * x2 * r;
        var s = t * t;
        var even = Vector512.Create(A24);
        var odd = Vector512.Create(A25);
        even = Step(even, s, A22); odd = Step(odd, s, A23);
        even = Step(even, s, A20); odd = Step(odd, s, A21);
        even = Step(even, s, A18); odd = Step(odd, s, A19);
        even = Step(even, s, A16); odd = Step(odd, s, A17);
        even = Step(even, s, A14); odd = Step(odd, s, A15);
        even = Step(even, s, A12); odd = Step(odd, s, A13);
        even = Step(even, s, A10); odd = Step(odd, s, A11);
        even = Step(even, s, A8); odd = Step(odd, s, A9);
        even = Step(even, s, A6); odd = Step(odd, s, A7);
        even = Step(even, s, A4); odd = Step(odd, s, A5);
        even = Step(even, s, A2); odd = Step(odd, s, A3);
        even = Step(even, s, A0); odd = Step(odd, s, A1);
        var series = Vector512.FusedMultiplyAdd(t, odd, even);
        var gauss = VectorMath.Exp(z * z * -0.5);
        // q = ½ erfc(|z|/√2) = ½ e^{−x²} · series/(1 + 2x).
        var q = 0.5 * gauss * series * xk * r;
        var cdf = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(z, Vector512<double>.Zero),
            Vector512<double>.One - q, q);
        return (cdf, Vector512.FusedMultiplyAdd(z * InvSqrt2Pi, gauss, cdf));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> Step(Vector512<double> acc, Vector512<double> s, double a) =>
        Vector512.FusedMultiplyAdd(acc, s, Vector512.Create(a));
}
