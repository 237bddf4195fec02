using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using RateLab.Core.Numerics;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// The batched forward and reverse mode of <see cref="TimeStateMlp"/>: every layer is one matrix product over a block
/// of rows (<see cref="MatrixKernels"/>), GELU is vectorised (<see cref="VectorGelu"/>). A row's outputs depend only
/// on that row, so the forward pass splits rows evenly over the threads (<see cref="RowBlocks"/>). The reverse pass
/// splits them into at most <see cref="Slots"/> blocks by a rule that depends only on the row count; blocks run in
/// parallel, each adds its weight gradient into its own buffer, and the buffers are summed in block order. So the
/// gradient is the same for any thread count, and every buffer is allocated once, here.
/// </summary>
sealed class TimeStateMlpBatch : ITimeStateBatch
{
    const int Slots = 16, Chunk = 64;
    readonly TimeStateMlp net;
    readonly int d, k, hh, dP, kP, wP, hP, fP;
    readonly PackedLayer l1, l2, ls, la, lb, lo;
    readonly PackedLayer[] layers;
    readonly double[] phase, bias0, packedTheta;
    bool packedValid;
    // Per-row activations h and GELU slopes s of each hidden layer, the padded input x, features and output y.
    readonly double[] x, feat, h1, s1, h0, s0, hA, sA, hB, sB, y;
    // Per-row adjoints.
    readonly double[] dy, dzB, dzA, dz0, dz1, dfeat, dx;
    readonly double[][] partials;
    readonly int phaseOffset;
    readonly Action<int> backwardSlot, reduceGroup;
    readonly Action<int, int> forwardBlock;
    int rowsInCall, rowsPerSlot, slotsUsed;
    bool wantInputGradients;

    public TimeStateMlpBatch(TimeStateMlp network, int capacity)
    {
        net = network;
        Capacity = Guard.AtLeast(capacity, 1, nameof(capacity));
        d = net.d; k = net.k; hh = net.hh;
        dP = PackedLayer.Pad(d); kP = PackedLayer.Pad(k); wP = PackedLayer.Pad(net.w); hP = PackedLayer.Pad(hh);
        fP = PackedLayer.Pad(2 * hh);
        int g = 0;
        l1 = Layer(net.oW1, hh, 2 * hh, ref g); l2 = Layer(net.oW2, net.w, hh, ref g);
        ls = Layer(net.oWs, net.w, d, ref g); la = Layer(net.oA1, net.w, net.w, ref g);
        lb = Layer(net.oA2, net.w, net.w, ref g); lo = Layer(net.oWo, k, net.w, ref g);
        layers = [l1, l2, ls, la, lb, lo];
        phaseOffset = g; g += hh;
        partials = new double[Slots][];
        for (int s = 0; s < Slots; s++) partials[s] = new double[g];
        phase = new double[hh]; bias0 = new double[wP]; packedTheta = new double[net.Parameters.Length];
        x = new double[capacity * dP]; feat = new double[capacity * fP];
        h1 = new double[capacity * hP]; s1 = new double[capacity * hP];
        h0 = new double[capacity * wP]; s0 = new double[capacity * wP];
        hA = new double[capacity * wP]; sA = new double[capacity * wP];
        hB = new double[capacity * wP]; sB = new double[capacity * wP];
        y = new double[capacity * kP]; dy = new double[capacity * kP];
        dzB = new double[capacity * wP]; dzA = new double[capacity * wP]; dz0 = new double[capacity * wP];
        dz1 = new double[capacity * hP]; dfeat = new double[capacity * fP]; dx = new double[capacity * dP];
        Inputs = new double[capacity * d]; Times = new double[capacity];
        Outputs = new double[capacity * k]; OutputGradients = new double[capacity * k];
        InputGradients = new double[capacity * d];
        forwardBlock = (start, end) => ForwardBlock(start, end - start); backwardSlot = BackwardSlot; reduceGroup = ReduceGroup;
    }

    static PackedLayer Layer(int offset, int rows, int cols, ref int gradientOffset)
    {
        var layer = new PackedLayer(offset, rows, cols, gradientOffset);
        gradientOffset += layer.GradientLength;
        return layer;
    }

    public int Capacity { get; }
    public double[] Inputs { get; }
    public double[] Times { get; }
    public double[] Outputs { get; }
    public double[] OutputGradients { get; }
    public double[] InputGradients { get; }
    public int MaxThreads
    {
        get => parallel.MaxDegreeOfParallelism;
        // One options object per setting, not one per parallel region (several hundred per training iteration).
        set => parallel = new ParallelOptions { MaxDegreeOfParallelism = Guard.AtLeast(value, 1, nameof(MaxThreads)) };
    }
    ParallelOptions parallel = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    public void Forward(int rows)
    {
        Guard.InRange(rows, 0, Capacity, nameof(rows));
        Prepare();
        RowBlocks.For(rows, MaxThreads, forwardBlock);
    }

    public void Prepare()
    {
        // Callers prepare before every pass, mostly with an unchanged θ: re-pack only when θ differs from the packed copy.
        var theta = net.Parameters;
        if (packedValid && theta.AsSpan().SequenceEqual(packedTheta)) return;
        foreach (var layer in layers) layer.Pack(theta);
        Array.Copy(theta, net.oPhase, phase, 0, hh);
        for (int i = 0; i < net.w; i++) bias0[i] = l2.Bias[i] + ls.Bias[i];
        theta.CopyTo(packedTheta, 0);
        packedValid = true;
    }

    public void ForwardBlock(int first, int rows)
    {
        Guard.InRange(first, 0, Capacity, nameof(first));
        Guard.InRange(rows, 0, Capacity - first, nameof(rows));
        // Chunks of Chunk rows keep one chunk's activations in cache from layer to layer.
        for (int r0 = first; r0 < first + rows; r0 += Chunk)
        {
            int m = Math.Min(Chunk, first + rows - r0);
            for (int r = r0; r < r0 + m; r++) Array.Copy(Inputs, r * d, x, r * dP, d);
            ForwardRows(r0, m);
            for (int r = r0; r < r0 + m; r++) Array.Copy(y, r * kP, Outputs, r * k, k);
        }
    }

    public void Backward(int rows, bool inputGradients)
    {
        Guard.InRange(rows, 0, Capacity, nameof(rows));
        wantInputGradients = inputGradients;
        Run(rows, backwardSlot);
        if (slotsUsed <= 1) for (int group = 0; group <= layers.Length; group++) ReduceGroup(group);
        else Each(layers.Length + 1, reduceGroup);
    }

    // Adds the used slots' partial gradients of one parameter group (a layer, or the phases as the last group) to the
    // network's gradient in slot order. The groups are disjoint, so running them side by side changes no bit.
    void ReduceGroup(int group)
    {
        var gradient = net.Gradient;
        for (int s = 0; s < slotsUsed; s++)
        {
            var p = partials[s];
            if (group < layers.Length) layers[group].AddTo(p, gradient);
            else
            {
                var phaseGradient = gradient.AsSpan(net.oPhase, hh);
                TensorPrimitives.Add(phaseGradient, p.AsSpan(phaseOffset, hh), phaseGradient);
            }
        }
    }

    // Blocks of a multiple of 4 rows (the kernels' register tile), at most Slots of them; a function of rows only.
    void Run(int rows, Action<int> slot)
    {
        rowsInCall = rows;
        rowsPerSlot = (((rows + Slots - 1) / Slots) + 3) & ~3;
        slotsUsed = rowsPerSlot == 0 ? 0 : (rows + rowsPerSlot - 1) / rowsPerSlot;
        Each(slotsUsed, slot);
    }

    // body(0 … count − 1), on up to MaxThreads threads.
    void Each(int count, Action<int> body)
    {
        if (MaxThreads == 1 || count <= 1) for (int i = 0; i < count; i++) body(i);
        else Parallel.For(0, count, parallel, body);
    }

    void ForwardRows(int r0, int m)
    {
        Features(r0, m);
        Dense(l1, m, feat, r0, fP, h1, hP, l1.Bias, false);
        Gelu(h1, s1, r0, m, hP);
        Dense(l2, m, h1, r0, hP, h0, wP, bias0, false);
        Dense(ls, m, x, r0, dP, h0, wP, bias0, true);
        Gelu(h0, s0, r0, m, wP);
        Dense(la, m, h0, r0, wP, hA, wP, la.Bias, false);
        Gelu(hA, sA, r0, m, wP);
        Dense(lb, m, hA, r0, wP, hB, wP, lb.Bias, false);
        Gelu(hB, sB, r0, m, wP);
        Dense(lo, m, hB, r0, wP, y, kP, lo.Bias, false);
    }

    void BackwardSlot(int s)
    {
        int r0 = s * rowsPerSlot, m = Math.Min(rowsInCall, r0 + rowsPerSlot) - r0;
        var g = partials[s];
        Array.Clear(g);
        for (int r = r0; r < r0 + m; r++) Array.Copy(OutputGradients, r * k, dy, r * kP, k);
        Reverse(lo, m, r0, dy, hB, g, dzB, sB);
        Reverse(lb, m, r0, dzB, hA, g, dzA, sA);
        Reverse(la, m, r0, dzA, h0, g, dz0, s0);
        // e_t and e_x are summed, so both branches receive ∂L/∂z₀.
        Reverse(ls, m, r0, dz0, x, g, wantInputGradients ? dx : null, null);
        Reverse(l2, m, r0, dz0, h1, g, dz1, s1);
        Reverse(l1, m, r0, dz1, feat, g, dfeat, null);
        // feat = (sin u, cos u) with u = ω t + φ₀, so ∂L/∂φ₀ = ∂L/∂sin · cos − ∂L/∂cos · sin.
        for (int r = r0; r < r0 + m; r++)
        {
            int row = r * fP;
            for (int j = 0; j < hh; j++)
                g[phaseOffset + j] += dfeat[row + j] * feat[row + hh + j] - dfeat[row + hh + j] * feat[row + j];
        }
        if (wantInputGradients) for (int r = r0; r < r0 + m; r++) Array.Copy(dx, r * dP, InputGradients, r * d, d);
    }

    void Features(int r0, int m)
    {
        var omega = net.omega;
        for (int r = r0; r < r0 + m; r++)
        {
            double t = Times[r];
            int row = r * fP, j = 0;
            for (; j + 8 <= hh; j += 8)
            {
                var u = Vector512.FusedMultiplyAdd(Vector512.Create(omega, j), Vector512.Create(t),
                    Vector512.Create(phase, j));
                (var sin, var cos) = VectorMath.SinCos(u);
                sin.CopyTo(feat, row + j); cos.CopyTo(feat, row + hh + j);
            }
            for (; j < hh; j++) (feat[row + j], feat[row + hh + j]) = Math.SinCos(omega[j] * t + phase[j]);
        }
    }

    // out[r] = bias + in[r] · Aᵀ (or += in[r] · Aᵀ) for the m rows from r0.
    static void Dense(PackedLayer layer, int m, double[] input, int r0, int ldIn, double[] output, int ldOut,
        double[] bias, bool accumulate)
    {
        if (!accumulate)
            for (int r = r0; r < r0 + m; r++) Array.Copy(bias, 0, output, r * ldOut, layer.RowsP);
        MatrixKernels.Multiply(m, layer.RowsP, layer.ColsP, input, r0 * ldIn, ldIn, 1,
            layer.Transposed, 0, layer.RowsP, output, r0 * ldOut, ldOut, true);
    }

    // Given ḡ = ∂L/∂(layer output) on m rows: ∂L/∂A += ḡᵀ in, ∂L/∂b += Σ ḡ, and if asked, dIn = ḡ A, times the
    // GELU slope of the layer below when there is one.
    static void Reverse(PackedLayer layer, int m, int r0, double[] upstream, double[] input, double[] g,
        double[]? dIn, double[]? slope)
    {
        int ldUp = layer.RowsP, ldIn = layer.ColsP;
        MatrixKernels.Multiply(layer.RowsP, layer.ColsP, m, upstream, r0 * ldUp, 1, ldUp,
            input, r0 * ldIn, ldIn, g, layer.GradientOffset, ldIn, true);
        var bias = g.AsSpan(layer.GradientOffset + layer.RowsP * layer.ColsP, layer.RowsP);
        for (int r = r0; r < r0 + m; r++)
            System.Numerics.Tensors.TensorPrimitives.Add(bias, upstream.AsSpan(r * ldUp, ldUp), bias);
        if (dIn is null) return;
        MatrixKernels.Multiply(m, layer.ColsP, layer.RowsP, upstream, r0 * ldUp, ldUp, 1,
            layer.Weights, 0, layer.ColsP, dIn, r0 * ldIn, ldIn, false);
        if (slope is not null)
        {
            var block = dIn.AsSpan(r0 * ldIn, m * ldIn);
            System.Numerics.Tensors.TensorPrimitives.Multiply(block, slope.AsSpan(r0 * ldIn, m * ldIn), block);
        }
    }

    static void Gelu(double[] h, double[] slope, int r0, int m, int ld)
    {
        if (m == 0) return;
        var z = h.AsSpan(r0 * ld, m * ld);
        VectorGelu.Apply(z, z, slope.AsSpan(r0 * ld, m * ld));
    }
}
