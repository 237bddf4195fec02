using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Targets.Benchmarks;

/// <summary>
/// Neal's funnel (docs/algorithms.md, `hard_funnel`): x₀ ~ N(0, s²) with s = 3, x_{1:d−1} | x₀ ~ N(0, e^{x₀} I).
/// LogDensity is the normalised log-density, so log Z = 0. Score:
/// ∂₀ log R = −x₀/s² − (d−1)/2 + ½ e^{−x₀} Σ_{i≥1} xᵢ², ∂ᵢ log R = −xᵢ e^{−x₀}.
/// </summary>
public sealed class Funnel : ITarget, IExactSampler, IKnownLogNormaliser
{
    static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);
    readonly double scale;

    /// <summary>The funnel in dimension <paramref name="d"/> (≥ 2; benchmark d = 10) with neck scale s = <paramref name="scale"/>.</summary>
    public Funnel(int d = 10, double scale = 3.0)
    {
        Dimension = Guard.AtLeast(d, 2, nameof(d));
        this.scale = Guard.Positive(scale, nameof(scale));
        Name = $"funnel(d={d},s={scale})";
    }

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <inheritdoc/>
    public double LogNormaliser => 0.0;

    /// <inheritdoc/>
    public double LogDensity(ReadOnlySpan<double> x)
    {
        double x0 = x[0], e = Math.Exp(-x0), s = 0;
        for (int i = 1; i < Dimension; i++) s += x[i] * x[i];
        return -0.5 * x0 * x0 / (scale * scale) - Math.Log(scale) - HalfLog2Pi
               - 0.5 * e * s - (Dimension - 1) * (HalfLog2Pi + 0.5 * x0);
    }

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<double> x, Span<double> score)
    {
        double x0 = x[0], e = Math.Exp(-x0), s = 0;
        for (int i = 1; i < Dimension; i++) { s += x[i] * x[i]; score[i] = -x[i] * e; }
        score[0] = -x0 / (scale * scale) - 0.5 * (Dimension - 1) + 0.5 * e * s;
    }

    /// <summary>Ancestral sampling from the normals of role 0: x₀ = s z₀, xᵢ = e^{x₀/2} zᵢ.</summary>
    public void SampleExact(INoiseSource noise, long chain, long step, Span<double> x)
    {
        noise.Normals(chain, step, 0, x);
        x[0] *= scale;
        double sd = Math.Exp(0.5 * x[0]);
        for (int i = 1; i < x.Length; i++) x[i] *= sd;
    }
}
