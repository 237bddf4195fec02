using RateLab.Core.Contracts;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// PLMC(α, K) and the base chain it stands for, LMC(α/K) (K fine steps of its own base dynamics per outer step), run
/// side by side on the same Gaussian noise: the synchronous coupling behind claim S5's upper bound
/// (docs/algorithms.md, "Poisson midpoint"). The state has two blocks, block 0 PLMC's position and block 1 the base
/// chain's; both start from the same draw of the start law.
/// </summary>
/// <remarks>
/// The coupling is by address. PLMC's fine step i draws its Zᵢ through normal role i of its outer step t
/// (<see cref="IFineDynamics.Advance"/> with j = i); the base chain's fine step tK + i reads the same role of the same
/// outer step, so it consumes exactly Zᵢ. The Bernoulli selections are PLMC's own (uniform i of step t); the base chain
/// reads none. Given the selections both chains are affine in (start, Z), so the exact analysis propagates the joint
/// second moments of (x_PLMC, x_LMC) by enumerating the selections (<see cref="IStepDraws"/>), and
/// (E|x_PLMC − x_LMC|²)^½ is an upper bound on W2 between the two laws.
/// </remarks>
public sealed class CoupledPoissonMidpoint : ISamplerKernel, IStepDraws
{
    readonly PoissonMidpoint plmc;
    readonly IFineDynamics fine;

    /// <summary>The coupling of <paramref name="plmc"/> with its base dynamics run alone (one-block dynamics only).</summary>
    public CoupledPoissonMidpoint(PoissonMidpoint plmc)
    {
        this.plmc = plmc ?? throw new ArgumentNullException(nameof(plmc));
        fine = plmc.Dynamics;
        if (fine.Blocks != 1 || plmc.AuxLength != 0)
            throw new ArgumentException($"dynamics = {fine.Name} is out of range; allowed: one-block dynamics without aux "
                + "state (the coupled state holds one block per chain).", nameof(plmc));
    }

    /// <summary>Overdamped PLMC(α, K) coupled with LMC(α/K), both from <paramref name="start"/>.</summary>
    public static CoupledPoissonMidpoint Overdamped(int dimension, double alpha, int k, StartLaw start,
        MidpointSource source = MidpointSource.Interpolation) =>
        new(PoissonMidpoint.Overdamped(dimension, alpha, k, start, source));

    /// <summary>The PLMC kernel of block 0.</summary>
    public PoissonMidpoint Plmc => plmc;
    /// <inheritdoc/>
    public string Name => $"coupled({plmc.Name}, {fine.Name})";
    /// <inheritdoc/>
    public int Dimension => plmc.Dimension;
    /// <inheritdoc/>
    public int Blocks => 2;
    /// <inheritdoc/>
    public int AuxLength => 0;
    /// <inheritdoc/>
    public int ScratchLength => plmc.ScratchLength + Dimension + fine.ScratchLength;
    /// <inheritdoc/>
    public int InitNormalRoles => plmc.InitNormalRoles;
    /// <inheritdoc/>
    public int NormalRoles => plmc.NormalRoles;

    /// <inheritdoc/>
    public void Init(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension;
        plmc.Init(ref ctx, state[..d]);
        state[..d].CopyTo(state.Slice(d, d));
    }

    /// <inheritdoc/>
    public void Step(ref StepContext ctx, Span<double> state)
    {
        int d = Dimension;
        var own = ctx.Scratch[..plmc.ScratchLength];
        var b = ctx.Scratch.Slice(plmc.ScratchLength, d);
        var fineScratch = ctx.Scratch.Slice(plmc.ScratchLength + d, fine.ScratchLength);
        var inner = new StepContext(ctx.Chain, ctx.Step, ctx.Noise, ctx.Oracle, own);
        plmc.Step(ref inner, state[..d]);
        // The base chain: fine step i reads role i of this outer step, the Zᵢ PLMC's fine step i drew.
        long step = ctx.Step;
        var y = state.Slice(d, d);
        int fineSteps = fine.FineSteps(step, plmc.K);
        for (int i = 0; i < fineSteps; i++)
        {
            ctx.Score(y, fine.Tau(step, i), b);
            fine.ToDrift(step, i, b);
            fine.Advance(ref ctx, i, y, b, fineScratch);
        }
    }

    /// <inheritdoc/>
    public int UniformsPerStep => plmc.UniformsPerStep;

    /// <inheritdoc/>
    public StepDraw Draw(int index) => plmc.Draw(index);
}
