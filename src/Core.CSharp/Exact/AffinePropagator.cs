using System.Numerics;
using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Exact;

/// <summary>
/// Exact one-step propagation of a Gaussian law through a real kernel by probing (docs/background.md): given the
/// draws ω, a step is Y' = A Y + c + Σₖ bₖ ξₖ per coordinate, so with Y ~ N(μ, C) the next law is N(μ', C') with
/// μ' = F(μ, 0) on the real score field, A's columns F₀(eⱼ, 0) and bₖ = F₀(0, 1ₖ) on the centred field (F₀ has no
/// constant term), and C' = A C Aᵀ + Σₖ bₖbₖᵀ (the roles' normals are independent). The zero-noise Init and the
/// mean probe of each step run the real kernel on the real score with the draw's uniforms, so their score calls are
/// exactly those of a real chain with these draws (kernels never branch on normals): <see cref="Evaluations"/> and
/// <see cref="Rounds"/> count only those; the column probes are not counted.
/// </summary>
public sealed class AffinePropagator
{
    readonly ISamplerKernel kernel;
    readonly ScoreOracle real, centred;
    readonly double[] probe, scratch, aux, auxNext, columns, noiseColumns;
    readonly int d, m, roles;
    // Packed probing (null when not used): one step of `packed` on `copies` side-by-side copies of the coordinates
    // runs the mean probe (copy 0), the m column probes and the noise probes at once.
    readonly ISamplerKernel? packed;
    readonly ScoreOracle? packedOracle;
    readonly double[] packedState = [], packedScratch = [];
    readonly int copies;

    /// <summary>
    /// A propagator for <paramref name="kernel"/> on the affine score <paramref name="realField"/>; the
    /// <paramref name="centredField"/> must be the same field with its constant term removed (e.g. mean 0).
    /// </summary>
    public AffinePropagator(ISamplerKernel kernel, IScoreField realField, IScoreField centredField, ProbeNoise noise)
    {
        this.kernel = kernel ?? throw new ArgumentNullException(nameof(kernel));
        ArgumentNullException.ThrowIfNull(realField);
        ArgumentNullException.ThrowIfNull(centredField);
        Noise = noise ?? throw new ArgumentNullException(nameof(noise));
        if (!kernel.IsAffineOnGaussians)
            throw new ArgumentException($"sampler '{kernel.Name}' is not affine on Gaussian targets (e.g. Metropolis-adjusted); " +
                                        "the exact analysis cannot propagate it.", nameof(kernel));
        Guard.InClosed(kernel.Blocks, 1, 2, "kernel.Blocks");
        Guard.Length(realField.Dimension, kernel.Dimension, "realField dimension");
        Guard.Length(centredField.Dimension, kernel.Dimension, "centredField dimension");
        d = kernel.Dimension; m = kernel.Blocks; roles = Math.Max(kernel.NormalRoles, kernel.InitNormalRoles);
        real = new ScoreOracle(realField, 1);
        centred = new ScoreOracle(centredField, 1);
        probe = new double[kernel.StateLength];
        scratch = new double[Math.Max(1, kernel.ScratchLength)];
        aux = new double[kernel.AuxLength];
        auxNext = new double[kernel.AuxLength];
        columns = new double[m * m * d];
        noiseColumns = new double[roles * m * d];
    }

    /// <summary>
    /// A propagator that probes each step in one run of <paramref name="packedKernel"/>: the same sampler with the same
    /// settings built on <see cref="PackedCopies"/>(kernel) side-by-side copies of the coordinates. A kernel of small d
    /// costs mostly its per-call overhead, which the 1 + m + roles probes of a step then pay once. The kernel acts
    /// coordinate-wise with the same operations at any width, so the laws are those of separate probes, bit for bit.
    /// </summary>
    public AffinePropagator(ISamplerKernel kernel, IScoreField realField, IScoreField centredField, ProbeNoise noise,
        ISamplerKernel packedKernel) : this(kernel, realField, centredField, noise)
    {
        ArgumentNullException.ThrowIfNull(packedKernel);
        copies = PackedCopies(kernel);
        Guard.Length(packedKernel.Dimension, copies * d, "packed kernel dimension");
        Guard.Length(packedKernel.Blocks, m, "packed kernel blocks");
        Guard.Length(packedKernel.AuxLength, kernel.AuxLength, "packed kernel aux length");
        Guard.Length(packedKernel.NormalRoles, kernel.NormalRoles, "packed kernel normal roles");
        packed = packedKernel;
        packedOracle = new ScoreOracle(new ProbeCopiesField(realField, centredField, copies), 1);
        packedState = new double[packedKernel.StateLength];
        packedScratch = new double[Math.Max(1, packedKernel.ScratchLength)];
    }

    /// <summary>Copies a packed kernel for <paramref name="kernel"/> runs on: the mean probe, m columns and one per
    /// normal role of a step.</summary>
    public static int PackedCopies(ISamplerKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return 1 + kernel.Blocks + kernel.NormalRoles;
    }

    /// <summary>The probe noise whose uniforms fix the draw ω.</summary>
    public ProbeNoise Noise { get; }
    /// <summary>The kernel's aux state after the last Init/Step (e.g. the schedule drawn by a Li–Jiao kernel).</summary>
    public ReadOnlySpan<double> Aux => aux;
    /// <summary>Score evaluations of the real chain since the last <see cref="Init"/> (meaningful when every step is
    /// probed with one draw, as in <see cref="Step"/>).</summary>
    public long Evaluations { get; private set; }
    /// <summary>Sequential evaluation rounds of the real chain since the last <see cref="Init"/>.</summary>
    public long Rounds { get; private set; }
    /// <summary>Blocks m of the kernel.</summary>
    public int Blocks => m;
    /// <summary>Coordinates d of the kernel.</summary>
    public int Dimension => d;

    /// <summary>Writes the start law of Init (at step −1) into <paramref name="law"/> and keeps Init's aux state.</summary>
    public void Init(GaussianState law)
    {
        Check(law);
        Noise.RoleLimit = kernel.InitNormalRoles;
        var blocks = probe.AsSpan(0, m * d);
        (Evaluations, Rounds) = (0, 0);
        RunInit(-1);
        CountReal();
        blocks.CopyTo(law.Mean);
        probe.AsSpan(m * d).CopyTo(aux);
        for (int k = 0; k < kernel.InitNormalRoles; k++)
        {
            RunInit(k);
            // Init has no centred variant: bₖ is the difference to the zero-noise start.
            TensorPrimitives.Subtract(blocks, law.Mean, noiseColumns.AsSpan(k * m * d, m * d));
        }
        law.Covariance.AsSpan().Clear();
        AddNoise(kernel.InitNormalRoles, law.Covariance);
        Noise.ProbedRole = -1;
    }

    /// <summary>Replaces <paramref name="law"/> by its exact image under step <paramref name="step"/> given ω.</summary>
    public void Step(long step, GaussianState law)
    {
        Check(law);
        var mean = new Span<double>(law.Mean);
        Probe(step, law.Mean, law.Covariance, mean, law.Covariance);
        CommitAux();
    }

    /// <summary>
    /// The image of N(<paramref name="mean"/>, <paramref name="covariance"/>) under step <paramref name="step"/> given
    /// ω, without advancing the aux state (so several draws can be probed from one state; see
    /// <see cref="CommitAux"/>). Outputs may alias the inputs.
    /// </summary>
    public void Probe(long step, ReadOnlySpan<double> mean, ReadOnlySpan<double> covariance, Span<double> meanOut,
        Span<double> covarianceOut)
    {
        Guard.Length(mean.Length, m * d, nameof(mean));
        Guard.Length(covariance.Length, GaussianState.PackedEntries(m) * d, nameof(covariance));
        Guard.Length(meanOut.Length, m * d, nameof(meanOut));
        Guard.Length(covarianceOut.Length, GaussianState.PackedEntries(m) * d, nameof(covarianceOut));
        var blocks = probe.AsSpan(0, m * d);
        if (packed is null)
        {
            ProbeLinear(step);
            mean.CopyTo(blocks);
            RunStep(step, real, -1);
            CountReal();
            probe.AsSpan(m * d).CopyTo(auxNext);
        }
        else ProbePacked(step, mean, blocks);
        Transform(covariance, covarianceOut);
        AddNoise(kernel.NormalRoles, covarianceOut);
        blocks.CopyTo(meanOut);
    }

    // One packed step: copy 0 starts at the mean (real field, no noise), copy 1 + j at eⱼ and copy 1 + m + k at zero
    // with role k's normals set to ones; block b of copy c lies at b·D + c·d with D = copies·d. The mean image goes to
    // `meanImage`, the columns and noise columns to their arrays, as the separate probes would write them.
    void ProbePacked(long step, ReadOnlySpan<double> mean, Span<double> meanImage)
    {
        int wide = copies * d;
        var state = packedState.AsSpan();
        state[..(m * wide)].Clear();
        for (int b = 0; b < m; b++)
        {
            mean.Slice(b * d, d).CopyTo(state.Slice(b * wide, d));
            state.Slice(b * wide + (1 + b) * d, d).Fill(1.0);
        }
        aux.CopyTo(state[(m * wide)..]);
        Noise.RoleLimit = kernel.NormalRoles;
        (Noise.CopyLength, Noise.Copies, Noise.FirstNoiseCopy) = (d, copies, 1 + m);
        try
        {
            var ctx = new StepContext(0, step, Noise, packedOracle!, packedScratch);
            packed!.Step(ref ctx, state);
        }
        finally { Noise.CopyLength = 0; }
        Evaluations += packedOracle!.Evaluations(0);
        Rounds += packedOracle.Rounds(0);
        packedOracle.Reset();
        for (int b = 0; b < m; b++)
        {
            state.Slice(b * wide, d).CopyTo(meanImage.Slice(b * d, d));
            for (int j = 0; j < m; j++)
                state.Slice(b * wide + (1 + j) * d, d).CopyTo(columns.AsSpan(j * m * d + b * d, d));
            for (int k = 0; k < kernel.NormalRoles; k++)
                state.Slice(b * wide + (1 + m + k) * d, d).CopyTo(noiseColumns.AsSpan(k * m * d + b * d, d));
        }
        state[(m * wide)..].CopyTo(auxNext);
    }

    /// <summary>Adopts the aux state left by the last <see cref="Probe"/> (aux depends only on the step, not on
    /// the state or the normals).</summary>
    public void CommitAux() => auxNext.CopyTo(aux, 0);

    /// <summary>True when the kernel declares <see cref="ITimeHomogeneous"/>, so <see cref="Power"/> applies.</summary>
    public bool IsTimeHomogeneous => kernel is ITimeHomogeneous && kernel.AuxLength == 0;

    /// <summary>The sampler's name.</summary>
    public string Sampler => kernel.Name;

    /// <summary>
    /// Replaces <paramref name="law"/> by its image under <paramref name="steps"/> steps of a time-homogeneous kernel:
    /// one step, probed once, is Φ(μ, C) = (A μ + c, A C Aᵀ + Q) per coordinate, and Φⁿ is applied by repeated squaring,
    /// Φ² = (A², A c + c, A Q Aᵀ + Q), in O(d log n). The real step from the zero state gives c, so the oracle counts
    /// one step's calls; every step makes the same calls (the kernel is the same map), so the chain's count is n times
    /// that. Rounding differs from n probed steps only in the last digits (tested to 1e-12 relative).
    /// </summary>
    public void Power(long steps, GaussianState law)
    {
        Check(law);
        Guard.AtLeast(steps, 0, nameof(steps));
        if (!IsTimeHomogeneous)
            throw new InvalidOperationException($"sampler '{kernel.Name}' is not time-homogeneous (ITimeHomogeneous, no aux state); propagate it step by step.");
        if (steps == 0) return;
        long drawn = Noise.UniformDraws;
        ProbeLinear(0);
        var shift = probe.AsSpan(0, m * d);
        shift.Clear();
        RunStep(0, real, -1);
        if (Noise.UniformDraws != drawn)
            throw new InvalidOperationException($"sampler '{kernel.Name}' declares ITimeHomogeneous but draws uniforms; its steps are not one map.");
        (long evaluations, long rounds) = (real.Evaluations(0), real.Rounds(0));
        real.Reset();
        // Checked: a count that wrapped around would be a wrong cost, not a large one.
        Evaluations = checked(Evaluations + steps * evaluations);
        Rounds = checked(Rounds + steps * rounds);
        int width = Vector<double>.Count;
        for (int i = 0; i < d; i += width) PowerLanes(i, Math.Min(width, d - i), steps, shift, law);
    }

    // Φⁿ for the coordinates i … i + count − 1, one per vector lane (a lane past d is zero and discarded); m = 1 is
    // the 2 × 2 case with the velocity entries zero.
    void PowerLanes(int i, int count, long steps, ReadOnlySpan<double> shift, GaussianState law)
    {
        Vector<double> a00 = Lane(columns, Block(0), i, count), a10 = Lane(columns, Block(1), i, count);
        Vector<double> a01 = Lane(columns, Block(2), i, count), a11 = Lane(columns, Block(3), i, count);
        Vector<double> c0 = Lane(shift, Block(0), i, count), c1 = Lane(shift, Block(1), i, count);
        Vector<double> q00 = Vector<double>.Zero, q01 = Vector<double>.Zero, q11 = Vector<double>.Zero;
        for (int k = 0; k < kernel.NormalRoles; k++)
        {
            var b = noiseColumns.AsSpan(k * m * d, m * d);
            Vector<double> b0 = Lane(b, Block(0), i, count), b1 = Lane(b, Block(1), i, count);
            (q00, q01, q11) = (q00 + b0 * b0, q01 + b0 * b1, q11 + b1 * b1);
        }
        Vector<double> x0 = Lane(law.Mean, Block(0), i, count), x1 = Lane(law.Mean, Block(1), i, count);
        Vector<double> s00 = Lane(law.Covariance, Block(0), i, count), s01 = Lane(law.Covariance, Block(1), i, count);
        Vector<double> s11 = Lane(law.Covariance, Block(2), i, count);
        for (long n = steps; ;)
        {
            if ((n & 1) != 0)
            {
                (x0, x1) = (a00 * x0 + a01 * x1 + c0, a10 * x0 + a11 * x1 + c1);
                var (t00, t01, t11) = Congruence(a00, a10, a01, a11, s00, s01, s11);
                (s00, s01, s11) = (t00 + q00, t01 + q01, t11 + q11);
            }
            n >>= 1;
            if (n == 0) break;
            (c0, c1) = (a00 * c0 + a01 * c1 + c0, a10 * c0 + a11 * c1 + c1);
            var (u00, u01, u11) = Congruence(a00, a10, a01, a11, q00, q01, q11);
            (q00, q01, q11) = (u00 + q00, u01 + q01, u11 + q11);
            (a00, a01, a10, a11) = (a00 * a00 + a01 * a10, a00 * a01 + a01 * a11, a10 * a00 + a11 * a10, a10 * a01 + a11 * a11);
        }
        Store(x0, law.Mean, 0, i, count);
        Store(s00, law.Covariance, 0, i, count);
        if (m == 1) return;
        Store(x1, law.Mean, d, i, count);
        Store(s01, law.Covariance, d, i, count);
        Store(s11, law.Covariance, 2 * d, i, count);
    }

    // Offset of the k-th block of d values in a per-coordinate 2 × 2 layout; −1 (absent, read as zero) beyond the
    // first block when m = 1.
    int Block(int k) => m == 2 || k == 0 ? k * d : -1;

    // The lanes of source[offset + i …], zero-padded past count; a negative offset is an absent (zero) entry.
    internal static Vector<double> Lane(ReadOnlySpan<double> source, int offset, int i, int count)
    {
        if (offset < 0) return Vector<double>.Zero;
        if (count == Vector<double>.Count) return new Vector<double>(source[(offset + i)..]);
        Span<double> padded = stackalloc double[Vector<double>.Count];
        padded.Clear();
        source.Slice(offset + i, count).CopyTo(padded);
        return new Vector<double>(padded);
    }

    internal static void Store(Vector<double> value, Span<double> destination, int offset, int i, int count)
    {
        if (count == Vector<double>.Count)
        {
            value.CopyTo(destination[(offset + i)..]);
            return;
        }
        Span<double> lanes = stackalloc double[Vector<double>.Count];
        value.CopyTo(lanes);
        lanes[..count].CopyTo(destination[(offset + i)..]);
    }

    // A's columns F₀(eⱼ, 0) and the noise columns bₖ = F₀(0, 1ₖ) of step `step`, on the centred field.
    void ProbeLinear(long step)
    {
        Noise.RoleLimit = kernel.NormalRoles;
        var blocks = probe.AsSpan(0, m * d);
        for (int j = 0; j < m; j++)
        {
            blocks.Clear();
            blocks.Slice(j * d, d).Fill(1.0);
            RunStep(step, centred, -1);
            blocks.CopyTo(columns.AsSpan(j * m * d, m * d));
        }
        for (int k = 0; k < kernel.NormalRoles; k++)
        {
            blocks.Clear();
            RunStep(step, centred, k);
            blocks.CopyTo(noiseColumns.AsSpan(k * m * d, m * d));
        }
    }

    /// <summary>Adds the counts of steps run elsewhere with this draw (the tabled steps of
    /// <see cref="PolynomialLanes"/>) to those since the last <see cref="Init"/>.</summary>
    internal void AddCounts(long evaluations, long rounds)
    {
        Evaluations = checked(Evaluations + evaluations);
        Rounds = checked(Rounds + rounds);
    }

    void CountReal()
    {
        Evaluations += real.Evaluations(0);
        Rounds += real.Rounds(0);
        real.Reset();
    }

    void RunStep(long step, ScoreOracle oracle, int role)
    {
        aux.CopyTo(probe.AsSpan(m * d));
        Noise.ProbedRole = role;
        var ctx = new StepContext(0, step, Noise, oracle, scratch);
        kernel.Step(ref ctx, probe);
        Noise.ProbedRole = -1;
    }

    void RunInit(int role)
    {
        Array.Clear(probe);
        Noise.ProbedRole = role;
        var ctx = new StepContext(0, -1, Noise, real, scratch);
        kernel.Init(ref ctx, probe);
        Noise.ProbedRole = -1;
    }

    // C' = A C Aᵀ per coordinate; A's column j is columns[j·m·d ..], its row p at offset p·d inside the column.
    void Transform(ReadOnlySpan<double> cov, Span<double> result)
    {
        if (m == 1)
        {
            // Element-wise a·(a·C), so the result may alias the input.
            var a = columns.AsSpan(0, d);
            TensorPrimitives.Multiply(a, cov, result);
            TensorPrimitives.Multiply(a, result, result);
            return;
        }
        int width = Vector<double>.Count;
        for (int i = 0; i < d; i += width)
        {
            // Every lane is loaded before any is stored (result may alias cov); the tail is zero-padded, so it rounds
            // exactly as full vectors do.
            int count = Math.Min(width, d - i);
            var (r00, r01, r11) = Congruence(Lane(columns, 0, i, count), Lane(columns, d, i, count),
                Lane(columns, 2 * d, i, count), Lane(columns, 3 * d, i, count),
                Lane(cov, 0, i, count), Lane(cov, d, i, count), Lane(cov, 2 * d, i, count));
            Store(r00, result, 0, i, count);
            Store(r01, result, d, i, count);
            Store(r11, result, 2 * d, i, count);
        }
    }

    // The packed upper triangle of A C Aᵀ, lane-wise: (A C) by rows, then times Aᵀ.
    internal static (Vector<double> C00, Vector<double> C01, Vector<double> C11) Congruence(Vector<double> a00, Vector<double> a10,
        Vector<double> a01, Vector<double> a11, Vector<double> c00, Vector<double> c01, Vector<double> c11)
    {
        var r00 = a00 * c00 + a01 * c01;
        var r01 = a00 * c01 + a01 * c11;
        var r10 = a10 * c00 + a11 * c01;
        var r11 = a10 * c01 + a11 * c11;
        return (r00 * a00 + r01 * a01, r00 * a10 + r01 * a11, r10 * a10 + r11 * a11);
    }

    // C' += Σₖ bₖ bₖᵀ over the first `count` noise columns.
    void AddNoise(int count, Span<double> cov)
    {
        for (int k = 0; k < count; k++)
        {
            var b = noiseColumns.AsSpan(k * m * d, m * d);
            if (m == 1) { TensorPrimitives.FusedMultiplyAdd(b, b, cov, cov); continue; }
            Span<double> b0 = b[..d], b1 = b.Slice(d, d);
            TensorPrimitives.FusedMultiplyAdd(b0, b0, cov[..d], cov[..d]);
            TensorPrimitives.FusedMultiplyAdd(b0, b1, cov.Slice(d, d), cov.Slice(d, d));
            TensorPrimitives.FusedMultiplyAdd(b1, b1, cov.Slice(2 * d, d), cov.Slice(2 * d, d));
        }
    }

    void Check(GaussianState law)
    {
        ArgumentNullException.ThrowIfNull(law);
        Guard.Length(law.Blocks, m, "law blocks");
        Guard.Length(law.Dimension, d, "law dimension");
    }
}
