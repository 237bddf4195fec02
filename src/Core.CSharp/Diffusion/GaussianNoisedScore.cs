using System.Numerics.Tensors;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// Exact noised score of Gaussian data p₀ = N(μ, diag(λ)) (docs/algorithms.md): X_τ ~ N(m_τ, C_τ) with
/// m_τ = √(1−τ) μ, C_τ = (1−τ) λ + τ, and s_τ(x) = −(x − m_τ)/C_τ. A full covariance reduces to this one in its
/// eigenbasis (see <see cref="EigenGaussianNoisedScore"/>).
/// </summary>
public sealed class GaussianNoisedScore : INoisedData
{
    // Score works in chunks so that its C_τ buffer fits on the stack (no allocation per call) and in L1 with the operands.
    const int ScoreChunk = 512;
    readonly double[] mean, lambda;

    /// <summary>The noised score of N(<paramref name="mean"/>, diag(<paramref name="variances"/>)).</summary>
    public GaussianNoisedScore(double[] mean, double[] variances)
    {
        Guard.DiagonalGaussian(mean, variances);
        this.mean = (double[])mean.Clone();
        lambda = (double[])variances.Clone();
    }

    /// <summary>Data mean μ.</summary>
    public ReadOnlySpan<double> DataMean => mean;
    /// <summary>Data variances λ.</summary>
    public ReadOnlySpan<double> DataVariances => lambda;
    /// <inheritdoc/>
    public string Name => $"gaussian-data(d={Dimension})";
    /// <inheritdoc/>
    public int Dimension => lambda.Length;
    /// <inheritdoc/>
    public int Components => 1;

    /// <summary>C_τ,i = (1−τ) λ_i + τ, from a stored level so neither factor is formed by cancellation.</summary>
    double C(int i, NoiseLevel level) => level.AlphaBar * lambda[i] + level.Tau;

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<double> x, double tau, Span<double> score)
    {
        var level = NoiseLevel.FromTau(Guard.InOpen(tau, 0, 1, nameof(tau)));
        double signal = level.SignalScale, alphaBar = level.AlphaBar;
        // (m_τ − x)/C_τ equals −(x − m_τ)/C_τ exactly; C_τ is divided by, not inverted, to keep the scalar rounding.
        Span<double> buffer = stackalloc double[Math.Min(ScoreChunk, x.Length)];
        for (int start = 0; start < x.Length; start += ScoreChunk)
        {
            int n = Math.Min(ScoreChunk, x.Length - start);
            var b = buffer[..n];
            var s = score.Slice(start, n);
            TensorPrimitives.Multiply(mean.AsSpan(start, n), signal, b);
            TensorPrimitives.Subtract(b, x.Slice(start, n), s);
            TensorPrimitives.Multiply(lambda.AsSpan(start, n), alphaBar, b);
            TensorPrimitives.Add(b, level.Tau, b);
            TensorPrimitives.Divide(s, b, s);
        }
    }

    /// <inheritdoc/>
    public double LogDensity(ReadOnlySpan<double> x, double tau)
    {
        var level = NoiseLevel.FromTau(Guard.InOpen(tau, 0, 1, nameof(tau)));
        double signal = level.SignalScale, s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double c = C(i, level), z = x[i] - signal * mean[i];
            s += z * z / c + Math.Log(2 * Math.PI * c);
        }
        return -0.5 * s;
    }

    /// <summary>Lipschitz constant of s_τ: 1/min_i C_τ,i, since ∇s_τ = −C_τ⁻¹.</summary>
    public double ScoreLipschitz(double tau)
    {
        var level = NoiseLevel.FromTau(Guard.InOpen(tau, 0, 1, nameof(tau)));
        double min = double.PositiveInfinity;
        for (int i = 0; i < lambda.Length; i++) min = Math.Min(min, C(i, level));
        return 1 / min;
    }

    /// <inheritdoc/>
    public double Weight(int j) => 1.0;

    /// <inheritdoc/>
    public void ComponentMean(int j, double tau, Span<double> mean) => SignalMean(this.mean, tau, mean);

    /// <summary>E X_τ = √(1−τ) μ of a single Gaussian with data mean μ = <paramref name="mean"/>.</summary>
    internal static void SignalMean(ReadOnlySpan<double> mean, double tau, Span<double> m) =>
        TensorPrimitives.Multiply(mean, Math.Sqrt(1 - tau), m);

    /// <inheritdoc/>
    public double QuadraticForm(int j, double tau, ReadOnlySpan<double> v)
    {
        var level = NoiseLevel.FromTau(tau);
        double s = 0;
        for (int i = 0; i < v.Length; i++) s += v[i] * v[i] * C(i, level);
        return s;
    }

    /// <summary>q_δ = N(√(1−δ) μ, (1−δ) λ + δ), δ ∈ [0, 1): the exact-analysis reference for an early-stopped run.</summary>
    public DiagonalGaussian EarlyStoppedGaussian(double delta)
    {
        var level = NoiseLevel.FromTau(HalfOpen.ClosedOpen(delta, 0, 1, nameof(delta)));
        var m = new double[Dimension];
        ComponentMean(0, delta, m);
        var c = new double[Dimension];
        for (int i = 0; i < c.Length; i++) c[i] = C(i, level);
        return new DiagonalGaussian(m, c, $"q_delta(gaussian-data(d={Dimension}),delta={delta:R})");
    }

    /// <inheritdoc/>
    public ITarget EarlyStopped(double delta) => EarlyStoppedGaussian(delta);
}
