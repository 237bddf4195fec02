using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion;

/// <summary>
/// Poisson midpoint method on DDPM ([KN24] as reconstructed in docs/algorithms.md): K consecutive fine DDPM steps
/// n → n−1 (x ← a_n x + b_n ε̂ + σ_n z_i, a_n = 1/√α_n, b_n = −β_n/(√α_n √τ_n)) form one outer step. The drift ε̂ is
/// frozen at e₀ = ε̂(x, n₀) for a cheap interpolation; at fine steps i ≥ 1 with H_i ~ Bernoulli(1/K) (ctx.Uniform(i) &lt; 1/K)
/// the interpolated point is evaluated at its own fine level n₀ − i, all in ONE batched call, and the corrected chain uses
/// e₀ + K(ε̂_i − e₀) there. Both passes use the SAME z_i. Expected NFE per full outer step: 2 − 1/K.
/// </summary>
public sealed class PoissonMidpointDdpm : ReverseGridKernel, IStepDraws
{
    readonly DdpmSchedule schedule;
    readonly double[] a, b, sigma, sqrtTau; // indexed by fine level n = 1..T (entry 0 unused)

    /// <summary>PLMC on the full T-step <paramref name="schedule"/> with K = <paramref name="k"/> fine steps per outer step.</summary>
    public PoissonMidpointDdpm(int dimension, DdpmSchedule schedule, int k, DdpmVariance variance, StartLaw? start = null)
        : base(dimension, OuterGrid(schedule, k), start)
    {
        this.schedule = schedule;
        K = k;
        Variance = variance;
        if (!Enum.IsDefined(variance)) throw new ArgumentOutOfRangeException(nameof(variance),
            $"variance = {variance} is out of range; allowed: {string.Join(", ", Enum.GetNames<DdpmVariance>())}.");
        int t = schedule.Steps;
        a = new double[t + 1]; b = new double[t + 1]; sigma = new double[t + 1]; sqrtTau = new double[t + 1];
        for (int n = 1; n <= t; n++)
        {
            NoiseLevel from = schedule.Level(n), to = schedule.Level(n - 1);
            double beta = NoiseTransitions.Beta(to, from);
            a[n] = Math.Sqrt(to.AlphaBar / from.AlphaBar);
            b[n] = -a[n] * beta / from.NoiseScale;
            sqrtTau[n] = from.NoiseScale;
            double s2 = variance == DdpmVariance.Beta ? beta : NoiseTransitions.Posterior(to, from).Variance;
            sigma[n] = n == 1 ? 0 : Math.Sqrt(s2);
        }
    }

    static NoiseGrid OuterGrid(DdpmSchedule schedule, int k)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        Guard.AtLeast(k, 1, "K");
        var idx = new List<int>();
        for (int n = schedule.Steps; n > 0; n -= k) idx.Add(n);
        idx.Add(0);
        return schedule.Respace(idx);
    }

    /// <summary>Fine steps per outer step K.</summary>
    public int K { get; }
    /// <summary>The fine DDPM variance choice.</summary>
    public DdpmVariance Variance { get; }
    /// <summary>Expected NFE of a whole run: Σ over outer steps of 1 + (K'−1)/K, K' the fine steps of that outer step
    /// ((2 − 1/K)·T/K when K divides T).</summary>
    public double ExpectedEvaluations
    {
        get
        {
            double e = 0;
            for (int n0 = schedule.Steps; n0 > 0; n0 -= K) e += 1 + (double)(Math.Min(K, n0) - 1) / K;
            return e;
        }
    }
    /// <inheritdoc/>
    public override string Name => $"PLMC-DDPM(K={K},{(Variance == DdpmVariance.Beta ? "sigma2=beta" : "sigma2=posterior")},{schedule.Name})";
    /// <inheritdoc/>
    public override int ScratchLength => (3 * K + 2) * Dimension + 2 * K;
    /// <inheritdoc/>
    public override int NormalRoles => K;

    /// <inheritdoc/>
    public override void Step(ref StepContext ctx, Span<double> state)
    {
        int step = StepIndex(ctx), d = Dimension;
        int n0 = schedule.Steps - step * K, fine = Math.Min(K, n0);
        var x = state[..d];
        var scratch = ctx.Scratch;
        var e0 = scratch[..d];
        var xc = scratch.Slice(d, d);
        var z = scratch.Slice(2 * d, K * d);
        var rows = scratch.Slice((K + 2) * d, K * d);
        var eps = scratch.Slice((2 * K + 2) * d, K * d);
        var taus = scratch.Slice((3 * K + 2) * d, K);
        var mids = scratch.Slice((3 * K + 2) * d + K, K);

        ctx.Score(x, schedule.Level(n0).Tau, e0);
        TensorPrimitives.Multiply(e0, -sqrtTau[n0], e0);
        for (int j = 0; j < fine; j++) ctx.Normals(j, z.Slice(j * d, d));

        // Cheap interpolation with ε̂ frozen at e₀, recording the Bernoulli(1/K) midpoints at their own fine levels.
        x.CopyTo(xc);
        int count = 0;
        double p = 1.0 / K;
        for (int j = 0; j < fine; j++)
        {
            int n = n0 - j;
            if (j > 0 && ctx.Uniform(j) < p)
            {
                xc.CopyTo(rows.Slice(count * d, d));
                taus[count] = schedule.Level(n).Tau;
                mids[count] = j;
                count++;
            }
            FineStep(xc, n, e0, z.Slice(j * d, d));
        }
        ctx.ScoreRows(rows[..(count * d)], taus[..count], eps[..(count * d)]);

        // Corrected chain: e₀ + K(ε̂_i − e₀) at the midpoints, e₀ elsewhere, with the same z_i.
        int next = 0;
        for (int j = 0; j < fine; j++)
        {
            int n = n0 - j;
            var zj = z.Slice(j * d, d);
            if (next < count && mids[next] == j)
            {
                // The midpoint's drift e₀ + K(ε̂_i − e₀), built in place of its score row.
                var s = eps.Slice(next * d, d);
                TensorPrimitives.Multiply(s, -sqrtTau[n], s);
                TensorPrimitives.Subtract(s, e0, s);
                TensorPrimitives.MultiplyAdd(s, (double)K, e0, s);
                FineStep(x, n, s, zj);
                next++;
            }
            else FineStep(x, n, e0, zj);
        }
    }

    // Fine step n: x ← a_n x + b_n ε̂ + σ_n z, in the scalar expression's rounding order.
    void FineStep(Span<double> x, int n, ReadOnlySpan<double> eps, ReadOnlySpan<double> z)
    {
        TensorPrimitives.Multiply(x, a[n], x);
        TensorPrimitives.MultiplyAdd(eps, b[n], x, x);
        TensorPrimitives.MultiplyAdd(z, sigma[n], x, x);
    }

    /// <summary>K uniforms per outer step: H_i = (U_i &lt; 1/K) for i ≥ 1; U_0 is never read.</summary>
    public int UniformsPerStep => K;

    /// <inheritdoc/>
    public StepDraw Draw(int index) => index == 0 ? new(DrawKind.Unused) : new(DrawKind.Bernoulli, 1.0 / K);
}
