using RateLab.Core.Contracts;

namespace RateLab.Core.Exact;

/// <summary>
/// One step of the real kernel, given the draws ω, at a few precisions pⱼ (the interpolation nodes of
/// <see cref="PolynomialSteps"/>) instead of at every coordinate. Per coordinate a step on the score q − p x is
/// Y' = A(p) Y + g(p) q + Σₖ bₖ(p) ξₖ; the kernel runs once on <see cref="AffinePropagator.PackedCopies"/> side-by-side
/// copies of the nodes, as packed probing does: copy 0 starts at zero on the score with q = 1 (its image is g(pⱼ)),
/// copy 1 + j at eⱼ and copy 1 + m + k at zero with role k's normals set to ones, both on q = 0 (A's columns and bₖ).
/// The call pattern depends on the draws only, so the oracle's counts are those of a real chain's step.
/// </summary>
sealed class NodeProbe
{
    readonly ISamplerKernel kernel;
    readonly ScoreOracle oracle;
    readonly double[] state, scratch, aux;
    readonly int n, m, roles, copies, wide;

    /// <summary>A probe of <paramref name="nodeKernel"/>, built on <paramref name="copies"/> copies of the
    /// <paramref name="precisions"/>.Length nodes, whose probes draw from <paramref name="noise"/>.</summary>
    public NodeProbe(ISamplerKernel nodeKernel, int copies, double[] precisions, ProbeNoise noise)
    {
        kernel = nodeKernel;
        Noise = noise;
        (n, m, roles, this.copies) = (precisions.Length, nodeKernel.Blocks, nodeKernel.NormalRoles, copies);
        wide = copies * n;
        var negated = new double[wide];
        var constant = new double[wide];
        for (int c = 0; c < copies; c++)
            for (int j = 0; j < n; j++) negated[c * n + j] = -precisions[j];
        constant.AsSpan(0, n).Fill(1.0);
        oracle = new ScoreOracle(new PrecisionProbeField(negated, constant), 1);
        state = new double[nodeKernel.StateLength];
        scratch = new double[Math.Max(1, nodeKernel.ScratchLength)];
        aux = new double[nodeKernel.AuxLength];
    }

    /// <summary>The probe noise whose uniforms fix ω.</summary>
    public ProbeNoise Noise { get; }

    /// <summary>Blocks m of the kernel.</summary>
    public int Blocks => m;

    /// <summary>Entries of one probed step per node: A (m², column-major), g (m) and Q = Σₖ bₖbₖᵀ (packed upper
    /// triangle).</summary>
    public int Entries => m * m + m + GaussianState.PackedEntries(m);

    /// <summary>Runs Init for the aux state it leaves (the positions are the start law's, not probed here).</summary>
    public void Init()
    {
        Array.Clear(state);
        Noise.RoleLimit = kernel.InitNormalRoles;
        Noise.ProbedRole = -1;
        var ctx = new StepContext(0, -1, Noise, oracle, scratch);
        kernel.Init(ref ctx, state);
        oracle.Reset();
        state.AsSpan(m * wide).CopyTo(aux);
    }

    /// <summary>
    /// Probes step <paramref name="step"/> from the current aux state and writes entry e at node j to
    /// <paramref name="values"/>[e·n + j]; returns the step's score evaluations and rounds. The aux state the step
    /// leaves is adopted only by <see cref="CommitAux"/> (several draws are probed from one state).
    /// </summary>
    public (long Evaluations, long Rounds) Step(long step, Span<double> values)
    {
        var blocks = state.AsSpan(0, m * wide);
        blocks.Clear();
        for (int b = 0; b < m; b++) blocks.Slice(b * wide + (1 + b) * n, n).Fill(1.0);
        aux.CopyTo(state.AsSpan(m * wide));
        Noise.RoleLimit = roles;
        (Noise.CopyLength, Noise.Copies, Noise.FirstNoiseCopy) = (n, copies, 1 + m);
        try
        {
            var ctx = new StepContext(0, step, Noise, oracle, scratch);
            kernel.Step(ref ctx, state);
        }
        finally { Noise.CopyLength = 0; }
        var counts = (oracle.Evaluations(0), oracle.Rounds(0));
        oracle.Reset();
        Extract(values);
        return counts;
    }

    /// <summary>Adopts the aux state left by the last <see cref="Step"/>.</summary>
    public void CommitAux() => state.AsSpan(m * wide).CopyTo(aux);

    // Copy c of block b at node j lies at b·wide + c·n + j.
    void Extract(Span<double> values)
    {
        for (int b = 0; b < m; b++)
        {
            for (int j = 0; j < m; j++) Copy(b, 1 + j, values.Slice((j * m + b) * n, n));
            Copy(b, 0, values.Slice((m * m + b) * n, n));
        }
        int entry = m * m + m;
        for (int p = 0; p < m; p++)
            for (int q = p; q < m; q++, entry++)
            {
                var sum = values.Slice(entry * n, n);
                sum.Clear();
                for (int k = 0; k < roles; k++)
                {
                    var bp = state.AsSpan(p * wide + (1 + m + k) * n, n);
                    var bq = state.AsSpan(q * wide + (1 + m + k) * n, n);
                    for (int j = 0; j < n; j++) sum[j] = Math.FusedMultiplyAdd(bp[j], bq[j], sum[j]);
                }
            }
    }

    void Copy(int block, int copy, Span<double> destination) =>
        state.AsSpan(block * wide + copy * n, n).CopyTo(destination);
}
