using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RateLab.Core.Boltzmann;

/// <summary>
/// The exact GELU h = z Φ(z) and its derivative Φ(z) + z φ(z), eight lanes at a time (scalar erf dominated the cost
/// of the batched network). Φ comes from erfc(x) = e^{−x²} erfcx(x), x = |z|/√2, with (1 + 2x) erfcx(x) a 26-term
/// Chebyshev series in t = (x − 4)/(x + 4) (bench/peers/gelu_coefficients.py derives it; error below 1e-17). The tail
/// Φ(z) = ½ erfc(|z|/√2) for z &lt; 0 is computed directly, so it keeps full relative accuracy, and the one exponential
/// also gives φ(z).
/// </summary>
static class VectorGelu
{
    const double K = 4, InvSqrt2 = 0.70710678118654752440, InvSqrt2Pi = 0.39894228040143267794, MaxX = 40;

    static readonly double[] C =
    [
        1.1774832005374487, -0.007260796620301901, -0.081265123236185, 0.06009212804122225, -0.02875393558027666,
        0.01059566336347286, -0.003136927294554264, 0.0007456494372536184, -0.0001369696503010054,
        1.7183861600300937e-05, -7.158364623450346e-07, -2.4261399442449534e-07, 5.5765709395703566e-08,
        -2.1057869513809494e-09, -1.1717889351884957e-09, 1.9098355172456688e-10, 1.408871764208813e-11,
        -6.901108320480815e-12, 9.167958364111294e-14, 2.1454508286554553e-13, -1.4716575027010623e-14,
        -6.668675118770408e-15, 7.504598509880083e-16, 2.22009300666632e-16, -3.1704898956330886e-17,
        -8.193570309884333e-18,
    ];

    /// <summary>h[i] = GELU(z[i]) and slope[i] = GELU′(z[i]); z may alias h.</summary>
    public static void Apply(Span<double> z, Span<double> h, Span<double> slope)
    {
        int n = z.Length, i = 0;
        ref double zr = ref z[0], hr = ref h[0], sr = ref slope[0];
        for (; i + 8 <= n; i += 8)
        {
            var v = Vector512.LoadUnsafe(ref zr, (nuint)i);
            (var phi, var d) = Evaluate(v);
            Vector512.StoreUnsafe(v * phi, ref hr, (nuint)i);
            Vector512.StoreUnsafe(d, ref sr, (nuint)i);
        }
        if (i == n) return;
        Span<double> tail = stackalloc double[8];
        tail.Clear();
        z[i..].CopyTo(tail);
        (var p, var s) = Evaluate(Vector512.Create((ReadOnlySpan<double>)tail));
        for (int j = 0; i + j < n; j++) { h[i + j] = tail[j] * p[j]; slope[i + j] = s[j]; }
    }

    /// <summary>(Φ(z), Φ(z) + z φ(z)) lane-wise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector512<double> Cdf, Vector512<double> Slope) Evaluate(Vector512<double> z)
    {
        var x = Vector512.Min(Vector512.Abs(z) * InvSqrt2, Vector512.Create(MaxX));
        var t = (x - Vector512.Create(K)) / (x + Vector512.Create(K));
        var t2 = t + t;
        Vector512<double> b1 = Vector512<double>.Zero, b2 = Vector512<double>.Zero;
        for (int k = C.Length - 1; k >= 1; k--)
        {
            var b0 = Vector512.FusedMultiplyAdd(t2, b1, Vector512.Create(C[k]) - b2);
            b2 = b1; b1 = b0;
        }
        var series = Vector512.FusedMultiplyAdd(t, b1, Vector512.Create(C[0]) - b2);
        var gauss = Vector512.Exp(z * z * -0.5);
        // q = ½ erfc(|z|/√2) = ½ e^{−x²} · series/(1 + 2x).
        var q = 0.5 * gauss * series / Vector512.FusedMultiplyAdd(x, Vector512.Create(2.0), Vector512<double>.One);
        var cdf = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(z, Vector512<double>.Zero),
            Vector512<double>.One - q, q);
        return (cdf, Vector512.FusedMultiplyAdd(z * InvSqrt2Pi, gauss, cdf));
    }
}
