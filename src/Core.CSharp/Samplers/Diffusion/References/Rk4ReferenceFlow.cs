using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion.References;

/// <summary>
/// The PF-ODE for any score, by classical RK4 with a fixed number of steps uniform in log-SNR λ = log(ᾱ/τ)
/// (docs/background.md). In the normalised state x̄ = Y/√ᾱ form (b) of docs/algorithms.md becomes
/// dx̄/dλ = τ s(√ᾱ x̄, τ) / (2√ᾱ), with τ = 1/(1 + e^λ), ᾱ = 1/(1 + e^{−λ}); its Jacobian for Gaussian data is
/// −τ/(2C_τ), bounded by ½, so uniform λ steps are non-stiff from pure noise down to tiny τ.
/// </summary>
public sealed class Rk4ReferenceFlow : IReferenceFlow
{
    readonly IScoreField score;

    /// <summary>RK4 on <paramref name="field"/> with <paramref name="steps"/> steps per transport (default 10⁴).</summary>
    public Rk4ReferenceFlow(IScoreField field, int steps = 10_000)
    {
        score = field ?? throw new ArgumentNullException(nameof(field));
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
    }

    /// <summary>RK4 steps per transport.</summary>
    public int Steps { get; }
    /// <inheritdoc/>
    public int Dimension => score.Dimension;

    /// <inheritdoc/>
    public void Transport(Span<double> y, NoiseLevel from, NoiseLevel to)
    {
        int d = Dimension;
        Guard.Length(y.Length, d, nameof(y));
        double la = from.LogSnr, lb = to.LogSnr, dl = (lb - la) / Steps;
        var xb = new double[d];
        var k1 = new double[d]; var k2 = new double[d]; var k3 = new double[d]; var k4 = new double[d];
        var tmp = new double[d]; var point = new double[d];
        double ra = Math.Sqrt(from.AlphaBar);
        for (int i = 0; i < d; i++) xb[i] = y[i] / ra;
        for (int n = 0; n < Steps; n++)
        {
            double l0 = la + n * dl;
            Drift(l0, xb, k1, point);
            Axpy(xb, 0.5 * dl, k1, tmp);
            Drift(l0 + 0.5 * dl, tmp, k2, point);
            Axpy(xb, 0.5 * dl, k2, tmp);
            Drift(l0 + 0.5 * dl, tmp, k3, point);
            Axpy(xb, dl, k3, tmp);
            Drift(l0 + dl, tmp, k4, point);
            for (int i = 0; i < d; i++) xb[i] += dl / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        }
        double rb = Math.Sqrt(to.AlphaBar);
        for (int i = 0; i < d; i++) y[i] = rb * xb[i];
    }

    static void Axpy(double[] x, double a, double[] k, double[] result)
    {
        for (int i = 0; i < x.Length; i++) result[i] = x[i] + a * k[i];
    }

    void Drift(double lambda, double[] xb, double[] result, double[] point)
    {
        double tau = 1 / (1 + Math.Exp(lambda)), alphaBar = 1 / (1 + Math.Exp(-lambda)), r = Math.Sqrt(alphaBar);
        for (int i = 0; i < xb.Length; i++) point[i] = r * xb[i];
        score.Score(point, tau, result);
        double c = tau / (2 * r);
        for (int i = 0; i < xb.Length; i++) result[i] *= c;
    }
}
