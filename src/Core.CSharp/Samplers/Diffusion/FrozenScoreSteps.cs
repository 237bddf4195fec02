namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Per-step coefficients of a reverse step that freezes the score at the step's start,
/// Y ← a_k Y + c_k s(Y, τ_k) + σ_k z with z from normal role 0 (not drawn when σ_k = 0). DDPM ancestral, DDIM and the
/// exponential integrators of the reverse SDE and of the PF-ODE all have this form; they differ only in (a_k, c_k, σ_k).
/// </summary>
internal sealed class FrozenScoreSteps
{
    /// <summary>Zero coefficients for <paramref name="steps"/> steps; the kernel fills them in its constructor.</summary>
    public FrozenScoreSteps(int steps)
    {
        A = new double[steps];
        C = new double[steps];
        Sigma = new double[steps];
    }

    /// <summary>Weight a_k of Y.</summary>
    public double[] A { get; }
    /// <summary>Weight c_k of the score.</summary>
    public double[] C { get; }
    /// <summary>Noise standard deviation σ_k.</summary>
    public double[] Sigma { get; }

    /// <summary>Step k of <paramref name="x"/> with the score at τ_k; uses 2d scratch (d when σ_k = 0).</summary>
    public void Apply(ref StepContext ctx, Span<double> x, int k, double tau)
    {
        int d = x.Length;
        var s = ctx.Scratch[..d];
        ctx.Score(x, tau, s);
        double a = A[k], c = C[k], sigma = Sigma[k];
        for (int i = 0; i < d; i++) x[i] = a * x[i] + c * s[i];
        if (sigma == 0) return;
        var z = ctx.Scratch.Slice(d, d);
        ctx.Normals(0, z);
        for (int i = 0; i < d; i++) x[i] += sigma * z[i];
    }
}
