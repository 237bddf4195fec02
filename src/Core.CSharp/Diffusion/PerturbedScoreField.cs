using System.Collections.Concurrent;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// A score oracle with a controlled error: s̃_τ(x) = s_τ(x) + ε_score · e_ω(x)/√N(τ, ω), where e_ω is a fixed
/// <see cref="RandomFeatureField"/> and N(τ, ω) = E_{p_τ}‖e_ω‖² is its exact second moment under the noised data law
/// (closed form, no Monte Carlo), so the L2 error (E_{p_τ}‖s̃_τ − s_τ‖²)^½ equals ε_score at every τ.
/// The Lipschitz-preserving variant lowers the frequency scale ω at each τ until the error field's Lipschitz bound
/// ε·Lip(e_ω)/√N is at most the true score's Lipschitz constant L(τ), so s̃_τ is at most 2L(τ)-Lipschitz.
/// </summary>
public sealed class PerturbedScoreField : IScoreField
{
    readonly INoisedData data;
    readonly RandomFeatureField field;
    readonly double omega0;
    readonly Func<double, double>? lipschitz;
    readonly ConcurrentDictionary<double, (double Omega, double Scale)> byTau = new();

    /// <summary>
    /// The exact score of <paramref name="data"/> plus an error of L2 size <paramref name="epsilonScore"/> ≥ 0 made of
    /// <paramref name="features"/> random features at frequency scale <paramref name="frequency"/>. With
    /// <paramref name="scoreLipschitz"/> (τ ↦ L(τ) of the true score) the frequency is lowered per τ to keep the error's
    /// Lipschitz constant within L(τ).
    /// </summary>
    public PerturbedScoreField(INoisedData data, double epsilonScore, ulong seed, int features = 32, double frequency = 1.0,
        Func<double, double>? scoreLipschitz = null)
    {
        this.data = data ?? throw new ArgumentNullException(nameof(data));
        EpsilonScore = Guard.NonNegative(epsilonScore, "epsilonScore");
        omega0 = Guard.Positive(frequency, nameof(frequency));
        field = new RandomFeatureField(data.Dimension, features, seed);
        lipschitz = scoreLipschitz;
    }

    /// <summary>ε_score, the L2 error under p_τ at every τ.</summary>
    public double EpsilonScore { get; }
    /// <inheritdoc/>
    public string Name => $"{data.Name}+error(eps={EpsilonScore:R}{(lipschitz is null ? "" : ",lipschitz-preserving")})";
    /// <inheritdoc/>
    public int Dimension => data.Dimension;

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<double> x, double tau, Span<double> score)
    {
        data.Score(x, tau, score);
        if (EpsilonScore == 0) return;
        var (omega, scale) = Calibration(tau);
        field.AddTo(x, omega, scale, score);
    }

    /// <summary>The frequency scale ω used at τ.</summary>
    public double Frequency(double tau) => Calibration(tau).Omega;

    /// <summary>Upper bound on the Lipschitz constant of the error field at τ.</summary>
    public double ErrorLipschitz(double tau)
    {
        var (omega, scale) = Calibration(tau);
        return scale * field.LipschitzBound(omega);
    }

    (double Omega, double Scale) Calibration(double tau) =>
        byTau.GetOrAdd(Guard.InOpen(tau, 0, 1, nameof(tau)), static (t, self) => self.Calibrate(t), this);

    (double Omega, double Scale) Calibrate(double tau)
    {
        double Scale(double omega) => EpsilonScore / Math.Sqrt(field.SecondMoment(data, tau, omega));
        if (lipschitz is null) return (omega0, Scale(omega0));
        double cap = Guard.Positive(lipschitz(tau), "scoreLipschitz(tau)");
        bool Fits(double omega) => Scale(omega) * field.LipschitzBound(omega) <= cap;
        if (Fits(omega0)) return (omega0, Scale(omega0));
        // Bisection keeps Fits(lo) true (ω = 0 is a constant field, Lipschitz 0), so the result always satisfies the cap.
        double lo = 0, hi = omega0;
        for (int i = 0; i < 60; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Fits(mid)) lo = mid; else hi = mid;
        }
        return (lo, Scale(lo));
    }
}
