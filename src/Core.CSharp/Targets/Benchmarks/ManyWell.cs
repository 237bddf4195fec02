using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Targets.Benchmarks;

/// <summary>
/// Many-well energy (docs/algorithms.md, `many_well`): d/2 independent pairs,
/// log R(x) = Σᵢ (−x_{2i}⁴ + 6x_{2i}² + ½x_{2i} − ½x_{2i+1}²), unnormalised, with 2^{d/2} modes.
/// log Z = (d/2)(log Z₁ + ½ log 2π), Z₁ = ∫ e^{−x⁴+6x²+x/2} dx by adaptive Simpson quadrature (= 11784.509…, so
/// log Z = 164.6957 for d = 32). Exact draws: x_{2i} by rejection from 0.2 N(−1.7, 0.5²) + 0.8 N(1.7, 0.5²) with
/// envelope 3Z₁ (the ratio peaks at ≈ 2.59), x_{2i+1} ~ N(0, 1).
/// </summary>
public sealed class ManyWell : ITarget, IExactSampler, IKnownLogNormaliser
{
    const int MaxAttempts = 4096;
    static readonly double LogSqrt2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>Z₁ = ∫ e^{−x⁴+6x²+x/2} dx over [−8, 8] (the integrand is below e^{−3700} outside), to 1e-13 relative.</summary>
    public static readonly double Z1 = AdaptiveSimpson.Integrate(DoubleWell, -8, 8, 1e-13 * 11784.5);

    /// <summary>The Many-well in even dimension <paramref name="d"/> (benchmark d = 32).</summary>
    public ManyWell(int d = 32)
    {
        Guard.AtLeast(d, 2, nameof(d));
        if (d % 2 != 0) throw new ArgumentOutOfRangeException(nameof(d), $"d = {d} is out of range; allowed: even integers ≥ 2.");
        Dimension = d;
        Name = $"many-well(d={d})";
    }

    /// <summary>The one-dimensional double-well density e^{−x⁴+6x²+x/2}.</summary>
    public static double DoubleWell(double x) => Math.Exp(-x * x * x * x + 6 * x * x + 0.5 * x);

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <inheritdoc/>
    public double LogNormaliser => Dimension / 2 * (Math.Log(Z1) + LogSqrt2Pi);

    /// <inheritdoc/>
    public double LogDensity(ReadOnlySpan<double> x)
    {
        double s = 0;
        for (int i = 0; i < Dimension; i += 2)
        {
            double a = x[i], a2 = a * a, b = x[i + 1];
            s += -a2 * a2 + 6 * a2 + 0.5 * a - 0.5 * b * b;
        }
        return s;
    }

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<double> x, Span<double> score)
    {
        for (int i = 0; i < Dimension; i += 2)
        {
            double a = x[i];
            score[i] = -4 * a * a * a + 12 * a + 0.5;
            score[i + 1] = -x[i + 1];
        }
    }

    /// <summary>
    /// Exact draw: odd coordinates from the normals of role 0; each even coordinate by rejection, attempt k of pair i
    /// using the four uniforms at indices 4(i·4096 + k) .. +3 (mixture component, Box–Muller pair, acceptance).
    /// </summary>
    public void SampleExact(INoiseSource noise, long chain, long step, Span<double> x)
    {
        noise.Normals(chain, step, 0, x);
        double envelope = 3 * Z1;
        for (int i = 0; i < Dimension / 2; i++)
        {
            for (int k = 0; ; k++)
            {
                if (k == MaxAttempts) throw new InvalidOperationException("Many-well rejection sampler exceeded its attempt budget.");
                int u = 4 * (i * MaxAttempts + k);
                double mu = noise.Uniform(chain, step, u) < 0.2 ? -1.7 : 1.7;
                double z = Math.Sqrt(-2 * Math.Log(noise.Uniform(chain, step, u + 1))) * Math.Cos(2 * Math.PI * noise.Uniform(chain, step, u + 2));
                double y = mu + 0.5 * z;
                double q = 0.2 * Normal(y, -1.7) + 0.8 * Normal(y, 1.7);
                if (noise.Uniform(chain, step, u + 3) * envelope * q < DoubleWell(y)) { x[2 * i] = y; break; }
            }
        }
    }

    static double Normal(double y, double mu) => Math.Exp(-2 * (y - mu) * (y - mu)) / (0.5 * Math.Sqrt(2 * Math.PI));
}
