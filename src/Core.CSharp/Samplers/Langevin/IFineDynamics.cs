using RateLab.Core.Contracts;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// The base discretisation refined by the Poisson midpoint method (docs/algorithms.md): fine step j of an outer step
/// is X_{j+1} = A_j X_j + G_j b(X_j) + Γ_j Z_j, with the drift b depending on the position block only. Langevin
/// dynamics are time-homogeneous (<see cref="IHomogeneousFineDynamics"/>); DDPM's fine steps change level from one
/// step to the next (<see cref="IReplayedFineDynamics"/>).
/// </summary>
public interface IFineDynamics
{
    /// <summary>Name of the base dynamics (OLMC, ULMC, DDPM).</summary>
    string Name { get; }
    /// <summary>Dimension d.</summary>
    int Dimension { get; }
    /// <summary>State blocks of length d (position first).</summary>
    int Blocks { get; }
    /// <summary>Normal roles one fine step draws; fine step j uses roles j·NoiseRoles … (j+1)·NoiseRoles − 1.</summary>
    int NoiseRoles { get; }
    /// <summary>Normal roles drawn by <see cref="Init"/>.</summary>
    int InitNormalRoles { get; }
    /// <summary>Scratch doubles <see cref="Advance"/> needs.</summary>
    int ScratchLength { get; }

    /// <summary>Fine steps in outer step <paramref name="step"/> when an outer step holds <paramref name="k"/>: k,
    /// unless the dynamics ends sooner (the last outer step of a finite grid).</summary>
    int FineSteps(long step, int k) => k;

    /// <summary>The noise level τ at which the score of fine step <paramref name="j"/> of outer step
    /// <paramref name="step"/> is evaluated; 0 for a Langevin target, whose score does not depend on τ.</summary>
    double Tau(long step, int j) => 0;

    /// <summary>Turns the score at that level into the drift b of fine step <paramref name="j"/>, in place; the
    /// identity for Langevin dynamics, where b = ∇log π.</summary>
    void ToDrift(long step, int j, Span<double> score) { }

    /// <summary>Draws the start state.</summary>
    void Init(ref StepContext ctx, Span<double> state);

    /// <summary>X ← A_j X + G_j b + Γ_j Z_j for fine step <paramref name="j"/>, with the drift <paramref name="b"/>
    /// given.</summary>
    void Advance(ref StepContext ctx, int j, Span<double> state, ReadOnlySpan<double> b, Span<double> scratch);
}

/// <summary>
/// Time-homogeneous fine dynamics of step size h, with semigroup identities A_{h₁}A_{h₂} = A_{h₁+h₂},
/// A_{h₁}G_{h₂} + G_{h₁} = G_{h₁+h₂}: a drift change at one fine step is carried to the end of the outer step in
/// closed form, so the corrected chain is the interpolation plus a sum of propagated corrections.
/// </summary>
public interface IHomogeneousFineDynamics : IFineDynamics
{
    /// <summary>Fine step size h.</summary>
    double H { get; }

    /// <summary>X ← X + w · A_{m h} G_h δ: a drift change δ at one fine step carried through m later fine steps.</summary>
    void AddPropagatedDrift(Span<double> state, int m, double w, ReadOnlySpan<double> delta);
}

/// <summary>
/// Fine dynamics whose coefficients change from one fine step to the next (DDPM's levels), so a drift change has no
/// single closed-form propagator: the corrected chain is run again from the outer step's start with the same normals
/// the interpolation drew.
/// </summary>
public interface IReplayedFineDynamics : IFineDynamics
{
    /// <summary>Fine step <paramref name="j"/> of outer step <paramref name="step"/> again with drift
    /// <paramref name="b"/>, reusing the normals that <see cref="IFineDynamics.Advance"/> drew into
    /// <paramref name="scratch"/> for that step.</summary>
    void Replay(long step, int j, Span<double> state, ReadOnlySpan<double> b, ReadOnlySpan<double> scratch);
}
