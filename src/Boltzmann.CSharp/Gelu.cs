using MathNet.Numerics;

namespace RateLab.Boltzmann;

/// <summary>
/// The exact GELU(z) = z Φ(z) of PyTorch's default, and its derivative Φ(z) + z φ(z). Φ is computed once in the
/// forward pass and kept, because erf dominates the cost of the small networks here.
/// </summary>
static class Gelu
{
    const double InvSqrt2 = 0.70710678118654752440, InvSqrt2Pi = 0.39894228040143267794;

    /// <summary>Φ(z), the standard normal distribution function.</summary>
    public static double Cdf(double z) => 0.5 * (1 + SpecialFunctions.Erf(z * InvSqrt2));

    /// <summary>GELU′(z) given Φ(z).</summary>
    public static double Derivative(double z, double cdf) => cdf + z * InvSqrt2Pi * Math.Exp(-0.5 * z * z);
}
