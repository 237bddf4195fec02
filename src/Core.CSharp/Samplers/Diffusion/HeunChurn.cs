using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Karras et al.'s stochastic sampler (EDM, Algorithm 2): before the Heun step from level i, the chain is moved up to
/// σ̂ = σ_i(1 + γ_i) by fresh noise, x̄̂ = x̄ + √(σ̂² − σ_i²)·S_noise·ξ, with γ_i = min(S_churn/N, √2 − 1) when
/// S_tmin ≤ σ_i ≤ S_tmax and 0 otherwise; then Heun runs from σ̂ to σ_{i+1}. In the variance-preserving Y = √ᾱ x̄
/// this is Ŷ = √ᾱ̂ (Y/√ᾱ_i + √(σ̂² − σ_i²) S_noise ξ). ξ is normal role 0 of the step, so the exact engine sees the
/// churn as a noise role; a step with γ_i = 0 draws nothing and is Heun's step to the bit.
/// </summary>
public sealed class HeunChurn : ReverseGridKernel
{
    readonly double[] gamma;
    readonly double noiseScale;

    /// <summary>
    /// Heun with churn on <paramref name="grid"/>: <paramref name="churn"/> = S_churn ≥ 0, the σ window
    /// [<paramref name="sigmaMin"/>, <paramref name="sigmaMax"/>] and <paramref name="noise"/> = S_noise &gt; 0.
    /// </summary>
    public HeunChurn(int dimension, NoiseGrid grid, double churn, double sigmaMin, double sigmaMax, double noise,
        StartLaw? start = null) : base(dimension, grid, start)
    {
        Guard.NonNegative(churn, nameof(churn));
        Guard.NonNegative(sigmaMin, nameof(sigmaMin));
        if (!(sigmaMax >= sigmaMin)) throw new ArgumentOutOfRangeException(nameof(sigmaMax),
            $"sigmaMax = {sigmaMax} is out of range; allowed: [sigmaMin = {sigmaMin}, ∞].");
        noiseScale = Guard.Positive(noise, nameof(noise));
        double g = Math.Min(churn / grid.Steps, Math.Sqrt(2) - 1);
        gamma = new double[grid.Steps];
        for (int k = 0; k < grid.Steps; k++)
        {
            double s = grid[k].Sigma;
            gamma[k] = s >= sigmaMin && s <= sigmaMax ? g : 0;
        }
    }

    /// <inheritdoc/>
    public override string Name => $"HeunChurn({Grid.Name})";
    /// <inheritdoc/>
    public override int ScratchLength => 3 * Dimension;
    /// <inheritdoc/>
    public override int NormalRoles => 1;

    /// <summary>γ_k of each step.</summary>
    public ReadOnlySpan<double> Gamma => gamma;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int k = StepIndex(ctx), d = Dimension;
        NoiseLevel from = Grid[k];
        var y = state[..d];
        if (gamma[k] > 0)
        {
            double sigma = from.Sigma, sigmaHat = sigma * (1 + gamma[k]);
            var raised = NoiseLevel.FromSigma(sigmaHat);
            // √(σ̂² − σ²) = σ√(γ(2 + γ)), without cancellation.
            double add = sigma * Math.Sqrt(gamma[k] * (2 + gamma[k])) * noiseScale;
            var xi = ctx.Scratch[..d];
            ctx.Normals(0, xi);
            double inScale = 1 / from.SignalScale, outScale = raised.SignalScale;
            for (int i = 0; i < d; i++) y[i] = outScale * (y[i] * inScale + add * xi[i]);
            from = raised;
        }
        Heun.Advance(ref ctx, y, from, Grid[k + 1]);
    }
}
