using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RateLab.Core.Contracts;
using RateLab.Core.Samplers;

namespace RateLab.Core.Exact;

/// <summary>
/// One coordinate block's laws from the step tables of <see cref="PolynomialSteps"/>: each coordinate keeps its
/// Chebyshev basis T₁(t) … T₄(t) at t = (p − c)/w and its constant term q = μ p, and runs all n steps of a draw with
/// its law in registers, one vector of coordinates at a time: per step it evaluates A(p), g(p) and Q(p) from the
/// step's row and applies μ' = A μ + g q, C' = A C Aᵀ + Q (the moment rule: each component, combined per step). The block's law arrays are read and written once per draw,
/// not once per step, and no kernel runs. Each coordinate's arithmetic depends on its own (p, q) and the tables only,
/// so the laws do not depend on the block split, the thread count or the vector width, bit for bit.
/// </summary>
/// <remarks>
/// The lanes are <see cref="Vector512{T}"/>, not <see cref="System.Numerics.Vector{T}"/> (256 bits by default even on
/// AVX-512 machines): the steps are arithmetic-bound, and 8 coordinates per instruction made Shen–Lee's d = 10⁶ law
/// about 1.6 times faster on the 2-core EPYC of reports/performance.md. Without AVX-512 the runtime runs each operation
/// as two 256-bit ones, with the same results, and that still beat 256-bit lanes (Shen–Lee at d = 10⁶ with
/// DOTNET_EnableAVX512=0: 2.7–3.2 s against 3.6–4.4 s): each broadcast table coefficient serves 8 coordinates, and
/// with 16 registers both widths spill.
/// </remarks>
sealed class PolynomialLanes
{
    readonly PolynomialSteps tables;
    readonly double[] basis, constant;
    readonly int d, m, padded;

    PolynomialLanes(PolynomialSteps tables, double[] basis, double[] constant, int d, int padded)
    {
        this.tables = tables;
        (this.basis, this.constant, this.d, m, this.padded) = (basis, constant, d, tables.Blocks, padded);
    }

    /// <summary>
    /// The lanes of <paramref name="problem"/>'s block, or null when its field is not the target's diagonal Gaussian
    /// score or a precision lies outside the tables' interval (the block is then probed).
    /// </summary>
    public static PolynomialLanes? For(PolynomialSteps tables, ExactProblem problem)
    {
        if (PolynomialSteps.BlockField(problem) is not { } field || problem.Kernel.Blocks != tables.Blocks
            || problem.Steps != tables.Steps)
            return null;
        var (mean, variance) = field.SharedMoments;
        int d = variance.Length, width = Vector512<double>.Count, padded = (d + width - 1) / width * width;
        const int degree = PolynomialSteps.Degree;
        var basis = new double[degree * padded];
        var constant = new double[padded];
        Span<double> t = stackalloc double[degree + 1];
        for (int i = 0; i < d; i++)
        {
            // p and q as the target's score forms them: 1/λ, and the constant of (μ − x)·p at x = 0.
            double p = 1 / variance[i], x = (p - tables.Centre) / tables.HalfWidth;
            // The tables' interval comes from the same divisions: only its centre and width round, by a few ulps.
            if (!(Math.Abs(x) <= 1 + 1e-12)) return null;
            ChebyshevSeries.Basis(Math.Clamp(x, -1, 1), t);
            for (int k = 1; k <= degree; k++) basis[(k - 1) * padded + i] = t[k];
            constant[i] = mean[i] * p;
        }
        return new PolynomialLanes(tables, basis, constant, d, padded);
    }

    /// <summary>
    /// The law of replicate <paramref name="replicate"/> as <see cref="ExactAnalysis.PropagateDraw"/> gives it: Init by
    /// <paramref name="propagator"/> (the start law is not polynomial in p), then the n tabled steps; the oracle
    /// counts are Init's plus the tabled steps'. A law that is not finite is traced step by step to the first step
    /// where it stopped being finite, reported as the sampler's divergence (chain = replicate).
    /// </summary>
    public void PropagateDraw(AffinePropagator propagator, INoiseSource source, long replicate, GaussianState law)
    {
        var rows = tables.Draw(replicate);
        propagator.Noise.UseDraw(source, replicate);
        propagator.Init(law);
        Run(rows, 0, tables.Steps, law);
        var (evaluations, rounds) = tables.Counts(replicate);
        propagator.AddCounts(evaluations, rounds);
        if (law.IsFinite) return;
        propagator.Noise.UseDraw(source, replicate);
        propagator.Init(law);
        if (!law.IsFinite) throw new SamplerDivergedException(propagator.Sampler, -1, replicate);
        for (long s = 0; s < tables.Steps; s++)
        {
            Run(rows, s, s + 1, law);
            if (!law.IsFinite) throw new SamplerDivergedException(propagator.Sampler, s, replicate);
        }
    }

    /// <summary>
    /// The moment-matched law as <see cref="ExactAnalysis.PropagateMoments"/> gives it: per step the rule's
    /// components from the current law, combined by West's weighted update as <see cref="MomentAccumulator"/> does.
    /// Moments that stop being finite are the sampler's divergence (chain <see cref="ExactAnalysis.MomentLawChain"/>).
    /// </summary>
    public void PropagateMoments(AffinePropagator propagator, GaussianState law)
    {
        propagator.Noise.UseNodes([]);
        propagator.Init(law);
        Run(tables.Moments, 0, tables.Steps, law, matched: true);
        if (law.IsFinite) return;
        propagator.Noise.UseNodes([]);
        propagator.Init(law);
        for (long s = 0; s < tables.Steps; s++)
        {
            Run(tables.Moments, s, s + 1, law, matched: true);
            if (!law.IsFinite) throw new SamplerDivergedException(propagator.Sampler, s, ExactAnalysis.MomentLawChain);
        }
    }

    // Steps from … to − 1 applied in place: of one draw's rows, or of the moment rule's (`matched`).
    void Run(ReadOnlySpan<double> rows, long from, long to, GaussianState law, bool matched = false)
    {
        int width = Vector512<double>.Count, row = PolynomialSteps.RowLength(m), combinations = matched ? tables.Combinations : 1;
        ref double first = ref Unsafe.Add(ref MemoryMarshal.GetReference(rows), (nint)(from * combinations * row));
        for (int i = 0; i < d; i += width)
        {
            int count = Math.Min(width, d - i);
            var lanes = Load(law, i, count);
            lanes = (m, matched) switch
            {
                (1, false) => DrawOne(lanes, ref first, to - from),
                (2, false) => DrawTwo(lanes, ref first, to - from),
                (1, true) => MatchedOne(lanes, ref first, to - from),
                _ => MatchedTwo(lanes, ref first, to - from),
            };
            Store(lanes, law, i, count);
        }
    }


    // The steps of one draw with the law in registers, m = 1.
    static Lanes DrawOne(Lanes l, ref double row, long steps)
    {
        var (t1, t2, t3, t4, q, x, c) = (l.T1, l.T2, l.T3, l.T4, l.Q, l.X0, l.S00);
        for (long s = 0; s < steps; s++, row = ref Unsafe.Add(ref row, RowOne))
            (x, c) = StepOne(ref row, t1, t2, t3, t4, q, x, c);
        return Result(x, c);
    }

    static Lanes DrawTwo(Lanes l, ref double row, long steps)
    {
        var (t1, t2, t3, t4, q) = (l.T1, l.T2, l.T3, l.T4, l.Q);
        var (x0, x1, c00, c01, c11) = (l.X0, l.X1, l.S00, l.S01, l.S11);
        for (long s = 0; s < steps; s++, row = ref Unsafe.Add(ref row, RowTwo))
            (x0, x1, c00, c01, c11) = StepTwo(ref row, t1, t2, t3, t4, q, x0, x1, c00, c01, c11);
        return Result(x0, x1, c00, c01, c11);
    }

    // Per step, the rule's components from the current law, added by West's update with the tables' scalar factors
    // (MomentAccumulator's, whose final division becomes a product with 1/W here).
    Lanes MatchedOne(Lanes l, ref double row, long steps)
    {
        ReadOnlySpan<double> weights = tables.Weights, shares = tables.Shares, spreads = tables.SpreadFactors;
        var (t1, t2, t3, t4, q, x, c) = (l.T1, l.T2, l.T3, l.T4, l.Q, l.X0, l.S00);
        var inverse = Vector512.Create(1 / tables.TotalWeight);
        for (long s = 0; s < steps; s++)
        {
            Vector512<double> mean = default, within = default, spread = default;
            for (int k = 0; k < weights.Length; k++, row = ref Unsafe.Add(ref row, RowOne))
            {
                var (x1, c1) = StepOne(ref row, t1, t2, t3, t4, q, x, c);
                within = Vector512.FusedMultiplyAdd(c1, Vector512.Create(weights[k]), within);
                var delta = x1 - mean;
                mean = Vector512.FusedMultiplyAdd(delta, Vector512.Create(shares[k]), mean);
                spread = Vector512.FusedMultiplyAdd(delta * delta, Vector512.Create(spreads[k]), spread);
            }
            (x, c) = (mean, (within + spread) * inverse);
        }
        return Result(x, c);
    }

    Lanes MatchedTwo(Lanes l, ref double row, long steps)
    {
        ReadOnlySpan<double> weights = tables.Weights, shares = tables.Shares, spreads = tables.SpreadFactors;
        var (t1, t2, t3, t4, q) = (l.T1, l.T2, l.T3, l.T4, l.Q);
        var (x0, x1, c00, c01, c11) = (l.X0, l.X1, l.S00, l.S01, l.S11);
        var inverse = Vector512.Create(1 / tables.TotalWeight);
        for (long s = 0; s < steps; s++)
        {
            Vector512<double> mean0 = default, mean1 = default, within00 = default, within01 = default, within11 = default;
            Vector512<double> spread00 = default, spread01 = default, spread11 = default;
            for (int k = 0; k < weights.Length; k++, row = ref Unsafe.Add(ref row, RowTwo))
            {
                var (y0, y1, d00, d01, d11) = StepTwo(ref row, t1, t2, t3, t4, q, x0, x1, c00, c01, c11);
                var (w, share, f) = (Vector512.Create(weights[k]), Vector512.Create(shares[k]), Vector512.Create(spreads[k]));
                within00 = Vector512.FusedMultiplyAdd(d00, w, within00);
                within01 = Vector512.FusedMultiplyAdd(d01, w, within01);
                within11 = Vector512.FusedMultiplyAdd(d11, w, within11);
                Vector512<double> delta0 = y0 - mean0, delta1 = y1 - mean1;
                mean0 = Vector512.FusedMultiplyAdd(delta0, share, mean0);
                mean1 = Vector512.FusedMultiplyAdd(delta1, share, mean1);
                spread00 = Vector512.FusedMultiplyAdd(delta0 * delta0, f, spread00);
                spread01 = Vector512.FusedMultiplyAdd(delta0 * delta1, f, spread01);
                spread11 = Vector512.FusedMultiplyAdd(delta1 * delta1, f, spread11);
            }
            (x0, x1) = (mean0, mean1);
            (c00, c01, c11) = ((within00 + spread00) * inverse, (within01 + spread01) * inverse, (within11 + spread11) * inverse);
        }
        return Result(x0, x1, c00, c01, c11);
    }

    // The loops' results, built from plain values: returning a `with` copy of the input made the JIT keep the loops'
    // locals in memory (a store and a reload on every step's latency chain) instead of registers.
    static Lanes Result(Vector512<double> x, Vector512<double> c) => Result(x, default, c, default, default);

    static Lanes Result(Vector512<double> x0, Vector512<double> x1, Vector512<double> c00, Vector512<double> c01, Vector512<double> c11) =>
        new(default, default, default, default, default, x0, x1, c00, c01, c11);

    // Row layouts (PolynomialSteps.RowLength): A column-major, each entry c₀ c₁ c₂; g, each c₀ c₁; Q packed, each c₀ … c₄.
    const int RowOne = 3 + 2 + 5, RowTwo = 4 * 3 + 2 * 2 + 3 * 5;

    // m = 1: μ' = a μ + g q and C' = a² C + Q, one rounding per step on each moment's latency chain.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector512<double> X, Vector512<double> C) StepOne(ref double row, Vector512<double> t1, Vector512<double> t2,
        Vector512<double> t3, Vector512<double> t4, Vector512<double> q, Vector512<double> x, Vector512<double> c)
    {
        var a = Series2(ref row, t1, t2);
        var g = Series1(ref Unsafe.Add(ref row, 3), t1);
        var n = Series4(ref Unsafe.Add(ref row, 5), t1, t2, t3, t4);
        return (Vector512.FusedMultiplyAdd(a, x, g * q), Vector512.FusedMultiplyAdd(a * a, c, n));
    }

    // m = 2: μ' = A μ + g q and C' = (A C) Aᵀ + Q: the product B = A C first (4 products, 4 fused steps), then the
    // three entries of B Aᵀ + Q (6 fused steps), 14 operations where expanding cᵢⱼ' = Σ aᵢₖ aⱼₗ cₖₗ takes 20.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector512<double>, Vector512<double>, Vector512<double>, Vector512<double>, Vector512<double>) StepTwo(ref double row,
        Vector512<double> t1, Vector512<double> t2, Vector512<double> t3, Vector512<double> t4, Vector512<double> q, Vector512<double> x0,
        Vector512<double> x1, Vector512<double> c00, Vector512<double> c01, Vector512<double> c11)
    {
        var a00 = Series2(ref row, t1, t2);
        var a10 = Series2(ref Unsafe.Add(ref row, 3), t1, t2);
        var a01 = Series2(ref Unsafe.Add(ref row, 6), t1, t2);
        var a11 = Series2(ref Unsafe.Add(ref row, 9), t1, t2);
        var g0 = Series1(ref Unsafe.Add(ref row, 12), t1);
        var g1 = Series1(ref Unsafe.Add(ref row, 14), t1);
        var n00 = Series4(ref Unsafe.Add(ref row, 16), t1, t2, t3, t4);
        var n01 = Series4(ref Unsafe.Add(ref row, 21), t1, t2, t3, t4);
        var n11 = Series4(ref Unsafe.Add(ref row, 26), t1, t2, t3, t4);
        var b00 = Vector512.FusedMultiplyAdd(a01, c01, a00 * c00);
        var b01 = Vector512.FusedMultiplyAdd(a01, c11, a00 * c01);
        var b10 = Vector512.FusedMultiplyAdd(a11, c01, a10 * c00);
        var b11 = Vector512.FusedMultiplyAdd(a11, c11, a10 * c01);
        return (Vector512.FusedMultiplyAdd(a01, x1, Vector512.FusedMultiplyAdd(a00, x0, g0 * q)),
            Vector512.FusedMultiplyAdd(a11, x1, Vector512.FusedMultiplyAdd(a10, x0, g1 * q)),
            Vector512.FusedMultiplyAdd(b01, a01, Vector512.FusedMultiplyAdd(b00, a00, n00)),
            Vector512.FusedMultiplyAdd(b11, a01, Vector512.FusedMultiplyAdd(b10, a00, n01)),
            Vector512.FusedMultiplyAdd(b11, a11, Vector512.FusedMultiplyAdd(b10, a10, n11)));
    }

    // Σₖ cₖ Tₖ(t) for the coefficients from c on, in ChebyshevSeries.Evaluate's order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> Series1(ref double c, Vector512<double> t1) =>
        Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref c, 1)), t1, Vector512.Create(c));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> Series2(ref double c, Vector512<double> t1, Vector512<double> t2) =>
        Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref c, 2)), t2, Series1(ref c, t1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> Series4(ref double c, Vector512<double> t1, Vector512<double> t2, Vector512<double> t3, Vector512<double> t4) =>
        Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref c, 4)), t4,
            Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref c, 3)), t3, Series2(ref c, t1, t2)));

    // The law, constant and basis of coordinates i … i + count − 1 (lanes past d are zero and discarded).
    Lanes Load(GaussianState law, int i, int count)
    {
        Vector512<double> Basis(int k) => Vector512.Create<double>(basis.AsSpan((k - 1) * padded + i));
        bool two = m == 2;
        return new Lanes(Vector512.Create<double>(constant.AsSpan(i)), Basis(1), Basis(2), Basis(3), Basis(4),
            Lane(law.Mean, 0, i, count), two ? Lane(law.Mean, d, i, count) : default,
            Lane(law.Covariance, 0, i, count), two ? Lane(law.Covariance, d, i, count) : default,
            two ? Lane(law.Covariance, 2 * d, i, count) : default);
    }

    void Store(Lanes lanes, GaussianState law, int i, int count)
    {
        Store(lanes.X0, law.Mean, 0, i, count);
        Store(lanes.S00, law.Covariance, 0, i, count);
        if (m == 1) return;
        Store(lanes.X1, law.Mean, d, i, count);
        Store(lanes.S01, law.Covariance, d, i, count);
        Store(lanes.S11, law.Covariance, 2 * d, i, count);
    }

    // Entries offset + i … offset + i + count − 1 of a law array as one vector, zero-padded past count.
    static Vector512<double> Lane(ReadOnlySpan<double> source, int offset, int i, int count)
    {
        if (count == Vector512<double>.Count) return Vector512.Create<double>(source[(offset + i)..]);
        Span<double> padded = stackalloc double[Vector512<double>.Count];
        padded.Clear();
        source.Slice(offset + i, count).CopyTo(padded);
        return Vector512.Create<double>(padded);
    }

    static void Store(Vector512<double> value, Span<double> destination, int offset, int i, int count)
    {
        if (count == Vector512<double>.Count)
        {
            value.CopyTo(destination[(offset + i)..]);
            return;
        }
        Span<double> padded = stackalloc double[Vector512<double>.Count];
        value.CopyTo(padded);
        padded[..count].CopyTo(destination.Slice(offset + i, count));
    }

    // A vector of coordinates: constant term q, basis T₁ … T₄, law (mean (x₀, x₁), packed covariance).
    readonly record struct Lanes(Vector512<double> Q, Vector512<double> T1, Vector512<double> T2, Vector512<double> T3,
        Vector512<double> T4, Vector512<double> X0, Vector512<double> X1, Vector512<double> S00, Vector512<double> S01, Vector512<double> S11);
}
