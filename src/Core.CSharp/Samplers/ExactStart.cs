using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Targets;

namespace RateLab.Core.Samplers;

/// <summary>
/// A kernel started from an exact draw of a law that is not Gaussian, for Monte Carlo runs: Init runs the inner
/// kernel's Init (velocities, schedules), then overwrites the position with an exact draw X₀ of the target, or with
/// √ᾱ X₀ + √τ Z at a noise level (the noised data law q_τ, a diffusion sampler's exact start). Steps are the inner
/// kernel's. The exact draw uses step −2 and Z the normals of role 0 at step −3, addresses no kernel uses, so the
/// position is independent of everything the inner Init drew.
/// </summary>
public sealed class ExactStart : ISamplerKernel
{
    readonly ISamplerKernel inner;
    readonly IExactSampler target;
    readonly NoiseLevel? level;

    /// <summary>
    /// <paramref name="inner"/> started at an exact draw of <paramref name="target"/>, noised to
    /// <paramref name="level"/> when one is given.
    /// </summary>
    public ExactStart(ISamplerKernel inner, IExactSampler target, NoiseLevel? level = null)
    {
        this.inner = inner ?? throw new ArgumentNullException(nameof(inner));
        this.target = target ?? throw new ArgumentNullException(nameof(target));
        this.level = level;
    }

    /// <inheritdoc/>
    public string Name => level is { } l ? $"{inner.Name} from q(tau={l.Tau:R})" : $"{inner.Name} from the target";
    /// <inheritdoc/>
    public int Dimension => inner.Dimension;
    /// <inheritdoc/>
    public int Blocks => inner.Blocks;
    /// <inheritdoc/>
    public int AuxLength => inner.AuxLength;
    /// <inheritdoc/>
    public int ScratchLength => Math.Max(inner.ScratchLength, Dimension);
    /// <inheritdoc/>
    public int InitNormalRoles => inner.InitNormalRoles;
    /// <inheritdoc/>
    public int NormalRoles => inner.NormalRoles;
    /// <summary>False: the start is not Gaussian, so the exact engine does not apply.</summary>
    public bool IsAffineOnGaussians => false;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state)
    {
        inner.Init(ref ctx, state);
        int d = Dimension;
        var x = state[..d];
        target.SampleExact(ctx.Noise, ctx.Chain, -2, x);
        if (level is not { } l) return;
        var z = ctx.Scratch[..d];
        ctx.Noise.Normals(ctx.Chain, -3, 0, z);
        double a = l.SignalScale, s = l.NoiseScale;
        for (int i = 0; i < d; i++) x[i] = a * x[i] + s * z[i];
    }

    /// <inheritdoc/>
    public void Step(ref StepContext ctx, Span<double> state) => inner.Step(ref ctx, state);
}
