using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// The constants of the full Gupta–Cai–Chen algorithm (docs/algorithms.md). The paper's values were not available:
/// every default here is UNVERIFIED, chosen for data of unit scale (L ≈ 1): h₀ ≍ 1/L, γ ≍ √L, T_corr ≍ 1/√L.
/// </summary>
public sealed record GuptaCaiChenConstants
{
    /// <summary>OU horizon T_end of the forward process (start law N(0, I) approximates q at T_end).</summary>
    public required double TEnd { get; init; }
    /// <summary>Early-stopping OU time δ: the output approximates q_δ, τ = 1 − e^{−2δ}.</summary>
    public required double Delta { get; init; }
    /// <summary>OU length h₀ of one predictor phase (default 1, unverified).</summary>
    public double H0 { get; init; } = 1.0;
    /// <summary>Predictor step h_pred (default 0.05, unverified).</summary>
    public double HPred { get; init; } = 0.05;
    /// <summary>Corrector step h_corr (default 0.05, unverified).</summary>
    public double HCorr { get; init; } = 0.05;
    /// <summary>Corrector friction γ (default 2, unverified).</summary>
    public double Gamma { get; init; } = 2.0;
    /// <summary>Corrector time per phase T_corr (default 1, unverified).</summary>
    public double TCorr { get; init; } = 1.0;

    /// <summary>Checks every constant; errors name the constant and its allowed range.</summary>
    public void Validate()
    {
        Guard.Positive(TEnd, nameof(TEnd));
        Guard.InOpen(Delta, 0, TEnd, nameof(Delta));
        Guard.Positive(H0, nameof(H0));
        Guard.Positive(HPred, nameof(HPred));
        Guard.Positive(HCorr, nameof(HCorr));
        Guard.Positive(Gamma, nameof(Gamma));
        Guard.Positive(TCorr, nameof(TCorr));
    }
}
