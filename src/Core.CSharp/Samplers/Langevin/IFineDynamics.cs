using RateLab.Core.Contracts;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// The base discretisation refined by the Poisson midpoint method (docs/algorithms.md): one fine step of size h is
/// X_{j+1} = A_h X_j + G_h b(X_j) + Γ_h Z_j, with b = ∇log π depending on the position block only, and semigroup
/// identities A_{h₁}A_{h₂} = A_{h₁+h₂}, A_{h₁}G_{h₂} + G_{h₁} = G_{h₁+h₂}.
/// </summary>
public interface IFineDynamics
{
    /// <summary>Name of the base dynamics (OLMC, ULMC).</summary>
    string Name { get; }
    /// <summary>Dimension d.</summary>
    int Dimension { get; }
    /// <summary>Fine step size h.</summary>
    double H { get; }
    /// <summary>State blocks of length d (position first).</summary>
    int Blocks { get; }
    /// <summary>Normal roles one fine step draws; fine step j uses roles j·NoiseRoles … (j+1)·NoiseRoles − 1.</summary>
    int NoiseRoles { get; }
    /// <summary>Normal roles drawn by <see cref="Init"/>.</summary>
    int InitNormalRoles { get; }
    /// <summary>Scratch doubles <see cref="Advance"/> needs.</summary>
    int ScratchLength { get; }

    /// <summary>Draws the start state.</summary>
    void Init(ref StepContext ctx, Span<double> state);

    /// <summary>X ← A_h X + G_h b + Γ_h Z_j for fine step <paramref name="j"/>, with the drift <paramref name="b"/> given.</summary>
    void Advance(ref StepContext ctx, int j, Span<double> state, ReadOnlySpan<double> b, Span<double> scratch);

    /// <summary>X ← X + w · A_{m h} G_h δ: a drift change δ at one fine step carried through m later fine steps.</summary>
    void AddPropagatedDrift(Span<double> state, int m, double w, ReadOnlySpan<double> delta);
}
