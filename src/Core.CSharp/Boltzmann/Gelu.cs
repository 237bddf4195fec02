using MathNet.Numerics;

namespace RateLab.Core.Boltzmann;

/// <summary>The exact GELU(z) = z Φ(z) of PyTorch's default, and its derivative Φ(z) + z φ(z).</summary>
static class Gelu
{
    const double InvSqrt2 = 0.70710678118654752440, InvSqrt2Pi = 0.39894228040143267794;

    public static double Value(double z) => 0.5 * z * (1 + SpecialFunctions.Erf(z * InvSqrt2));

    public static double Derivative(double z) => 0.5 * (1 + SpecialFunctions.Erf(z * InvSqrt2)) + z * InvSqrt2Pi * Math.Exp(-0.5 * z * z);
}
