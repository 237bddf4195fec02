using System.Numerics;
using System.Runtime.InteropServices;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Samplers.Diffusion;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// The exact output law of <see cref="LiJiao"/> on diagonal Gaussian data N(μ, diag(λ)) given one schedule draw u, by a
/// per-coordinate recursion instead of probing (docs/background.md; the generic <see cref="AffinePropagator"/> runs
/// the kernel 3 times per step on d-vectors and keeps aux copies, too slow at d = 10⁶). With the exact noised score
/// s_τ(y) = (√ᾱ μ − y)/(ᾱλ + τ) every round is affine per coordinate, Y_{k+1} = A_k Y_k + β_k + b_k Z_k, so from
/// Y_0 ~ N(0, 1) the law stays N(m, v) with m' = A_k m + β_k, v' = A_k² v + b_k². A_k m + β_k is the round run on the
/// mean, A_k the round run on the slope (y = 1, μ = 0), both in lock-step over vectors of coordinates.
/// </summary>
public static class LiJiaoDiagonal
{
    /// <summary>Coordinates per work block: the eight block vectors (32 KiB) stay in a 48 KiB L1 cache.</summary>
    const int BlockLength = 512;

    /// <summary>
    /// The schedule draw u of chain <paramref name="replicate"/> under <paramref name="source"/> — the same uniforms
    /// the kernel's Init draws for that chain (<see cref="LiJiaoSchedule.Draw"/> at step −1).
    /// </summary>
    public static double[] Draw(LiJiaoSchedule schedule, GaussianNoisedScore data, INoiseSource source, long replicate)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(source);
        Guard.AtLeast(replicate, 0, nameof(replicate));
        var u = new double[schedule.DrawCount];
        // The oracle is never called: Init only asks the context for uniforms.
        var ctx = new StepContext(replicate, -1, source, new ScoreOracle(data, 1), Span<double>.Empty);
        schedule.Draw(ref ctx, u);
        return u;
    }

    /// <summary>
    /// Writes the per-coordinate mean and variance of the sampler's output (after all K rounds, Y_0 ~ N(0, I)) given the
    /// draw <paramref name="u"/>, parallel over coordinate blocks on <paramref name="threads"/> threads (0 = all cores).
    /// </summary>
    public static void Propagate(LiJiaoSchedule schedule, GaussianNoisedScore data, ReadOnlySpan<double> u,
        double[] mean, double[] variance, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(variance);
        Guard.Length(u.Length, schedule.DrawCount, nameof(u));
        int d = data.Dimension;
        Guard.Length(mean.Length, d, nameof(mean));
        Guard.Length(variance.Length, d, nameof(variance));
        Guard.AtLeast(threads, 0, nameof(threads));
        var steps = new LiJiaoDiagonalSteps(schedule, u);
        var lambda = data.DataVariances.ToArray();
        var mu = data.DataMean.ToArray();
        int blocks = (d + BlockLength - 1) / BlockLength;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads == 0 ? Environment.ProcessorCount : threads };
        Parallel.For(0, blocks, options, () => new Work(), (b, _, work) =>
        {
            int start = b * BlockLength, length = Math.Min(BlockLength, d - start);
            work.Load(lambda.AsSpan(start, length), mu.AsSpan(start, length));
            Run(steps, work);
            work.Mean.AsSpan(0, length).CopyTo(mean.AsSpan(start, length));
            work.Variance.AsSpan(0, length).CopyTo(variance.AsSpan(start, length));
            return work;
        }, _ => { });
    }

    static void Run(LiJiaoDiagonalSteps steps, Work work)
    {
        var lam = Vectors(work.Lambda);
        var mu = Vectors(work.Mu);
        var m = Vectors(work.Mean);
        var v = Vectors(work.Variance);
        var y = Vectors(work.Y);
        var c = Vectors(work.C);
        var yl = Vectors(work.Slope);
        var cl = Vectors(work.SlopeC);
        m.Clear();
        v.Fill(Vector<double>.One);
        ReadOnlySpan<double> e = steps.Evaluations;
        for (int k = 0; k < steps.Rounds; k++)
        {
            var inv = new Vector<double>(steps.Rescale[k]);
            for (int j = 0; j < m.Length; j++)
            {
                y[j] = m[j];
                c[j] = m[j] * inv;
                yl[j] = Vector<double>.One;
                cl[j] = inv;
            }
            for (int i = 0; i < steps.PerRound; i++)
            {
                var p = e.Slice((k * steps.PerRound + i) * LiJiaoDiagonalSteps.Stride, LiJiaoDiagonalSteps.Stride);
                Vector<double> alphaBar = new(p[0]), tau = new(p[1]), signal = new(p[2]), closed = new(p[3]),
                    open = new(p[4]), scale = new(p[5]);
                for (int j = 0; j < y.Length; j++)
                {
                    // One reciprocal serves both runs: s = (√ᾱ μ − y)/C and the slope's s = −y/C. Fused multiply-adds
                    // round once where the kernel rounds twice; the difference stays far below the 1e-10 agreement.
                    var r = Vector<double>.One / Vector.FusedMultiplyAdd(alphaBar, lam[j], tau);
                    var s = Vector.FusedMultiplyAdd(signal, mu[j], -y[j]) * r;
                    var sl = -(yl[j] * r);
                    var cj = Vector.FusedMultiplyAdd(closed, s, c[j]);
                    var clj = Vector.FusedMultiplyAdd(closed, sl, cl[j]);
                    c[j] = cj;
                    cl[j] = clj;
                    y[j] = scale * Vector.FusedMultiplyAdd(open, s, cj);
                    yl[j] = scale * Vector.FusedMultiplyAdd(open, sl, clj);
                }
            }
            var a = new Vector<double>(steps.InjectionScale[k]);
            var b = new Vector<double>(steps.InjectionSd[k]);
            for (int j = 0; j < m.Length; j++)
            {
                var slope = a * yl[j];
                m[j] = a * y[j];
                v[j] = Vector.FusedMultiplyAdd(b, b, slope * (slope * v[j]));   // as the probe engine: b² + A·(A·v)
            }
        }
    }

    static Span<Vector<double>> Vectors(double[] a) => MemoryMarshal.Cast<double, Vector<double>>(a.AsSpan());

    /// <summary>One worker's block vectors; the padding past a short last block holds λ = 1, μ = 0 and is discarded.</summary>
    sealed class Work
    {
        public readonly double[] Lambda = new double[BlockLength], Mu = new double[BlockLength], Mean = new double[BlockLength],
            Variance = new double[BlockLength], Y = new double[BlockLength], C = new double[BlockLength],
            Slope = new double[BlockLength], SlopeC = new double[BlockLength];

        public void Load(ReadOnlySpan<double> lambda, ReadOnlySpan<double> mu)
        {
            Lambda.AsSpan().Fill(1.0);
            Mu.AsSpan().Clear();
            lambda.CopyTo(Lambda);
            mu.CopyTo(Mu);
        }
    }
}
