using RateLab.Core.Diffusion;
using RateLab.Core.Samplers.Diffusion;

namespace RateLab.Core.Exact;

/// <summary>
/// The scalars of one Li–Jiao run given its schedule draw u, laid out for <see cref="LiJiaoDiagonal"/>: per round k the
/// rescale 1/√ᾱ_{k,0} and the injection (a_k, b_k) = (√(ᾱ_{k+1,0}/ᾱ_{k,N}), √((τ_{k+1,0} − τ_{k,N})/ᾱ_{k,N})); per
/// evaluation (k, i) the score level (ᾱ = 1 − τ as the score forms it, τ, √ᾱ) and the weights g_i·(closed piece),
/// g_i·(open piece) and √ᾱ_{k,i+1} of the update c += closed·s, y = scale·(c + open·s) (docs/algorithms.md, eq. (11b)).
/// Computed with the kernel's own schedule calls so both share every rounding.
/// </summary>
sealed class LiJiaoDiagonalSteps
{
    /// <summary>Doubles per evaluation in <see cref="Evaluations"/>: ᾱ, τ, √ᾱ, closed, open, scale.</summary>
    public const int Stride = 6;

    public LiJiaoDiagonalSteps(LiJiaoSchedule schedule, ReadOnlySpan<double> u)
    {
        int rounds = schedule.K, n = schedule.N;
        Rounds = rounds;
        PerRound = n;
        Rescale = new double[rounds];
        InjectionScale = new double[rounds];
        InjectionSd = new double[rounds];
        Evaluations = new double[rounds * n * Stride];
        for (int k = 0; k < rounds; k++)
        {
            Rescale[k] = 1 / Math.Sqrt(schedule.RoundLevel(u, k, 0).AlphaBar);
            for (int m = 1; m <= n; m++)
            {
                int i = m - 1, o = (k * n + i) * Stride;
                var level = NoiseLevel.FromTau(schedule.RoundLevel(u, k, i).Tau);
                var (closed, open, scale) = schedule.CellWeights(u, k, m);
                Evaluations[o] = level.AlphaBar;
                Evaluations[o + 1] = level.Tau;
                Evaluations[o + 2] = level.SignalScale;
                Evaluations[o + 3] = closed;
                Evaluations[o + 4] = open;
                Evaluations[o + 5] = scale;
            }
            var injection = schedule.Injection(u, k);
            (InjectionScale[k], InjectionSd[k]) = (injection.Scale, injection.NoiseSd);
        }
    }

    /// <summary>Rounds K.</summary>
    public int Rounds { get; }
    /// <summary>Score evaluations per round N.</summary>
    public int PerRound { get; }
    /// <summary>1/√ᾱ_{k,0} per round.</summary>
    public double[] Rescale { get; }
    /// <summary>a_k per round.</summary>
    public double[] InjectionScale { get; }
    /// <summary>b_k per round.</summary>
    public double[] InjectionSd { get; }
    /// <summary><see cref="Stride"/> doubles per evaluation, rounds outer.</summary>
    public double[] Evaluations { get; }
}
