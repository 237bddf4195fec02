using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RateLab.Boltzmann;

/// <summary>
/// exp and (sin, cos) on eight lanes with every multiply-add an explicit fused one. The runtime's Vector512.Exp and
/// SinCos use multiply-add estimates whose rounding differs between unoptimised and optimised JIT tiers, so a method
/// re-compiled mid-run changed training results in the last bit; these give the same bits under any JIT tier.
/// Accuracy: a few ulp (Cody–Waite reduction, Taylor polynomials whose truncation is below 1e-16 on the reduced range).
/// </summary>
static class VectorMath
{
    const double InvLn2 = 1.4426950408889634, Ln2Hi = 0.6931471805599453, Ln2Lo = 2.3190468138462996e-17;
    const double TwoOverPi = 0.6366197723675814, HalfPi1 = 1.5707963267948966, HalfPi2 = 6.123233995736766e-17,
        HalfPi3 = -1.4973849048591698e-33;
    // 1/n! for n = 0 … 17.
    static readonly double[] InverseFactorial = Enumerable.Range(0, 18)
        .Select(n => 1 / Enumerable.Range(1, n).Aggregate(1.0, (f, i) => f * i)).ToArray();

    /// <summary>eˣ, for x clamped to [−700, 700] (outside it the value is irrelevant to its callers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Exp(Vector512<double> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-700.0)), Vector512.Create(700.0));
        var k = Vector512.Round(x * InvLn2);
        var r = Vector512.FusedMultiplyAdd(-k, Vector512.Create(Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(-k, Vector512.Create(Ln2Lo), r);
        // |r| ≤ ln2/2: the Taylor tail after r¹³/13! is below 2e-17.
        var f = InverseFactorial;
        var p = Vector512.Create(f[13]);
        for (int n = 12; n >= 0; n--) p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(f[n]));
        var scale = Vector512.ShiftLeft(Vector512.ConvertToInt64(k) + Vector512.Create(1023L), 52).AsDouble();
        return p * scale;
    }

    /// <summary>(sin u, cos u) for moderate |u| (the reduction keeps full accuracy while |u| ≪ 2⁵³·π/2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<double> Sin, Vector512<double> Cos) SinCos(Vector512<double> u)
    {
        var k = Vector512.Round(u * TwoOverPi);
        var r = Vector512.FusedMultiplyAdd(-k, Vector512.Create(HalfPi1), u);
        r = Vector512.FusedMultiplyAdd(-k, Vector512.Create(HalfPi2), r);
        r = Vector512.FusedMultiplyAdd(-k, Vector512.Create(HalfPi3), r);
        // |r| ≤ π/4: Taylor to r¹⁷ (sin) and r¹⁶ (cos); tails below 5e-17.
        var f = InverseFactorial;
        Vector512<double> s = Vector512.Create(f[17]), c = Vector512.Create(f[16]);
        // Horner in y = −r²: sin r = r Σ y^j/(2j+1)!, cos r = Σ y^j/(2j)!.
        var y = -(r * r);
        for (int j = 7; j >= 0; j--)
        {
            s = Vector512.FusedMultiplyAdd(s, y, Vector512.Create(f[2 * j + 1]));
            c = Vector512.FusedMultiplyAdd(c, y, Vector512.Create(f[2 * j]));
        }
        s *= r;
        var q = Vector512.ConvertToInt64(k);
        var swap = Vector512.Equals(q & Vector512.Create(1L), Vector512.Create(1L)).AsDouble();
        var sinNegative = Vector512.Equals(q & Vector512.Create(2L), Vector512.Create(2L)).AsDouble();
        var two = Vector512.Create(2L);
        var cosNegative = Vector512.Equals((q + Vector512.Create(1L)) & two, two).AsDouble();
        var sin = Vector512.ConditionalSelect(swap, c, s);
        var cos = Vector512.ConditionalSelect(swap, s, c);
        return (Vector512.ConditionalSelect(sinNegative, -sin, sin),
            Vector512.ConditionalSelect(cosNegative, -cos, cos));
    }
}
