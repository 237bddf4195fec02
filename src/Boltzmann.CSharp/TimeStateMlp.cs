using RateLab.Core.Randomness;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// The PIS-style network of docs/algorithms.md with hand-written reverse mode:
/// time features φ(t) = [sin(ω t + φ₀), cos(ω t + φ₀)], ω = linspace(0.1, 100, H), learnable phase φ₀;
/// e_t = Linear(H, W)(GELU(Linear(2H, H)(φ(t)))), e_x = Linear(d, W)(x); h₀ = GELU(e_t + e_x);
/// h_{k+1} = GELU(Linear(W, W) h_k) twice; y = Linear(W, K) h₂ (benchmark W = H = 64).
/// Weights and biases start as PyTorch's U(±1/√fan_in), the phase as N(0, 1), all from Philox keyed by the seed.
/// </summary>
public sealed class TimeStateMlp : IDriftModel
{
    internal readonly int d, w, hh, k;
    internal readonly double[] omega;
    // Offsets of the parameter tensors inside θ.
    internal readonly int oPhase, oW1, oB1, oW2, oB2, oWs, oBs, oA1, oC1, oA2, oC2, oWo, oBo;
    // Workspace of one forward pass, reused by the backward pass.
    readonly double[] feat, z1, g1, z0, h0, zA, hA, zB, hB, dh, dz, dz2, dfeat;
    // Φ(z) of each GELU layer from the forward pass.
    readonly double[] c1, c0, cA, cB;
    // Inputs of the latest forward pass; Backward at the same (x, t) reuses its activations (see the interface contract).
    readonly double[] cachedX;
    double cachedT = double.NaN;

    TimeStateMlp(int stateDimension, int outputs, int width, int harmonics, ulong seed, bool zeroHead, double headScale)
    {
        d = Guard.AtLeast(stateDimension, 1, nameof(stateDimension));
        k = Guard.AtLeast(outputs, 1, nameof(outputs));
        w = Guard.AtLeast(width, 1, nameof(width));
        hh = Guard.AtLeast(harmonics, 1, nameof(harmonics));
        Guard.Finite(headScale, nameof(headScale));
        omega = new double[hh];
        for (int j = 0; j < hh; j++) omega[j] = hh == 1 ? 0.1 : 0.1 + (100 - 0.1) * j / (hh - 1);
        int o = 0;
        oPhase = o; o += hh;
        oW1 = o; o += hh * 2 * hh; oB1 = o; o += hh;
        oW2 = o; o += w * hh; oB2 = o; o += w;
        oWs = o; o += w * d; oBs = o; o += w;
        oA1 = o; o += w * w; oC1 = o; o += w;
        oA2 = o; o += w * w; oC2 = o; o += w;
        oWo = o; o += k * w; oBo = o; o += k;
        Parameters = new double[o];
        Gradient = new double[o];
        feat = new double[2 * hh]; dfeat = new double[2 * hh]; z1 = new double[hh]; g1 = new double[hh];
        z0 = new double[w]; h0 = new double[w]; zA = new double[w]; hA = new double[w]; zB = new double[w]; hB = new double[w];
        cachedX = new double[d];
        c1 = new double[hh]; c0 = new double[w]; cA = new double[w]; cB = new double[w];
        dh = new double[Math.Max(w, 2 * hh)]; dz = new double[Math.Max(w, hh)]; dz2 = new double[w];
        CounterRng.Normals(seed, 0, 0, 0, Parameters.AsSpan(oPhase, hh));
        InitLinear(seed, 1, oW1, hh, 2 * hh);
        InitLinear(seed, 2, oW2, w, hh);
        InitLinear(seed, 3, oWs, w, d);
        InitLinear(seed, 4, oA1, w, w);
        InitLinear(seed, 5, oA2, w, w);
        if (!zeroHead)
        {
            InitLinear(seed, 6, oWo, k, w);
            for (int i = oWo; i < oBo + k; i++) Parameters[i] *= headScale;
        }
    }

    /// <summary>The policy network: K = 2d, zero-initialised head (so the initial drift is 0).</summary>
    public static TimeStateMlp Drift(int d, ulong seed, int width = 64, int harmonics = 64) => new(d, 2 * d, width, harmonics, seed, true, 1);

    /// <summary>The flow network NN_F: same shape, K = 1, head not zero-initialised; in training its trunk is the
    /// policy's (<see cref="SharedTrunk"/>).</summary>
    public static TimeStateMlp Flow(int d, ulong seed, int width = 64, int harmonics = 64) => new(d, 1, width, harmonics, seed, false, 1);

    /// <summary>A fixed random drift for the limit studies: K = 2d with a random head scaled by <paramref name="headScale"/>.</summary>
    public static TimeStateMlp FixedRandomDrift(int d, ulong seed, double headScale = 1.0, int width = 64, int harmonics = 64) =>
        new(d, 2 * d, width, harmonics, seed, false, headScale);

    /// <summary>
    /// A noise predictor ε̂(x, t) for a learned-score workload (<see cref="NetworkScoreField"/>): K = d, every layer
    /// (head included) at PyTorch's default initialisation, so the untrained network's output is O(1) like a trained
    /// one's.
    /// </summary>
    public static TimeStateMlp NoisePredictor(int d, ulong seed, int width = 64, int harmonics = 64) =>
        new(d, d, width, harmonics, seed, false, 1);

    /// <summary>Entries of θ before the first joint layer: the phase, the time MLP and the state layer (the trunk a flow
    /// head shares, <see cref="SharedTrunk"/>).</summary>
    internal int TrunkLength => oA1;

    /// <inheritdoc/>
    public int StateDimension => d;
    /// <inheritdoc/>
    public int OutputDimension => k;
    /// <inheritdoc/>
    public double[] Parameters { get; }
    /// <inheritdoc/>
    public double[] Gradient { get; }

    void InitLinear(ulong seed, long tensor, int offset, int rows, int cols)
    {
        double bound = 1 / Math.Sqrt(cols);
        int n = rows * cols + rows;  // weights then the bias that follows them in the layout
        for (int i = 0; i < n; i++) Parameters[offset + i] = bound * (2 * CounterRng.Uniform(seed, 0, tensor, i) - 1);
    }

    // y = A x + b for A stored row-major at offset a (rows × cols) and b right after it.
    void Affine(int a, ReadOnlySpan<double> x, Span<double> y, int rows, int cols, bool accumulate)
    {
        var p = Parameters;
        for (int r = 0; r < rows; r++)
        {
            double s = p[a + rows * cols + r];
            int row = a + r * cols;
            for (int c = 0; c < cols; c++) s += p[row + c] * x[c];
            y[r] = accumulate ? y[r] + s : s;
        }
    }

    // Reverse of Affine: θ-gradient += g ⊗ x (and bias += g); dx = Aᵀ g (overwritten, or skipped if empty).
    void AffineBack(int a, ReadOnlySpan<double> x, ReadOnlySpan<double> g, Span<double> dx, int rows, int cols)
    {
        var p = Parameters; var gr = Gradient;
        if (!dx.IsEmpty) dx[..cols].Clear();
        for (int r = 0; r < rows; r++)
        {
            double gv = g[r];
            if (gv == 0) continue;
            gr[a + rows * cols + r] += gv;
            int row = a + r * cols;
            for (int c = 0; c < cols; c++) gr[row + c] += gv * x[c];
            if (!dx.IsEmpty) for (int c = 0; c < cols; c++) dx[c] += p[row + c] * gv;
        }
    }

    static void GeluInto(ReadOnlySpan<double> z, Span<double> h, Span<double> cdf)
    {
        for (int i = 0; i < z.Length; i++) { cdf[i] = Gelu.Cdf(z[i]); h[i] = z[i] * cdf[i]; }
    }

    /// <inheritdoc/>
    public ITimeStateBatch CreateBatch(int capacity) => new TimeStateMlpBatch(this, capacity);

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<double> x, double t, Span<double> output)
    {
        Guard.Length(x.Length, d, nameof(x));
        Guard.Length(output.Length, k, nameof(output));
        for (int j = 0; j < hh; j++)
        {
            (double s, double c) = Math.SinCos(omega[j] * t + Parameters[oPhase + j]);
            feat[j] = s; feat[hh + j] = c;
        }
        Affine(oW1, feat, z1, hh, 2 * hh, false);
        GeluInto(z1, g1, c1);
        Affine(oW2, g1, z0, w, hh, false);
        Affine(oWs, x, z0, w, d, true);
        GeluInto(z0, h0, c0);
        Affine(oA1, h0, zA, w, w, false);
        GeluInto(zA, hA, cA);
        Affine(oA2, hA, zB, w, w, false);
        GeluInto(zB, hB, cB);
        Affine(oWo, hB, output, k, w, false);
        x.CopyTo(cachedX);
        cachedT = t;
    }

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<double> x, double t, ReadOnlySpan<double> outputGradient, Span<double> stateGradient)
    {
        Guard.Length(outputGradient.Length, k, nameof(outputGradient));
        if (cachedT != t || !x.SequenceEqual(cachedX))
        {
            Span<double> y = stackalloc double[k];
            Forward(x, t, y);
        }
        var dhw = dh.AsSpan(0, w);
        AffineBack(oWo, hB, outputGradient, dhw, k, w);
        for (int i = 0; i < w; i++) dz[i] = dhw[i] * Gelu.Derivative(zB[i], cB[i]);
        AffineBack(oA2, hA, dz.AsSpan(0, w), dhw, w, w);
        for (int i = 0; i < w; i++) dz[i] = dhw[i] * Gelu.Derivative(zA[i], cA[i]);
        AffineBack(oA1, h0, dz.AsSpan(0, w), dhw, w, w);
        for (int i = 0; i < w; i++) dz2[i] = dhw[i] * Gelu.Derivative(z0[i], c0[i]);
        // e_t and e_x are summed, so both receive ∂L/∂z₀.
        if (stateGradient.IsEmpty) AffineBack(oWs, x, dz2, Span<double>.Empty, w, d);
        else
        {
            Span<double> dx = stackalloc double[d];
            AffineBack(oWs, x, dz2, dx, w, d);
            for (int i = 0; i < d; i++) stateGradient[i] += dx[i];
        }
        var dg = dh.AsSpan(0, hh);
        AffineBack(oW2, g1, dz2, dg, w, hh);
        for (int i = 0; i < hh; i++) dz[i] = dg[i] * Gelu.Derivative(z1[i], c1[i]);
        AffineBack(oW1, feat, dz.AsSpan(0, hh), dfeat, hh, 2 * hh);
        for (int j = 0; j < hh; j++) Gradient[oPhase + j] += dfeat[j] * feat[hh + j] - dfeat[hh + j] * feat[j];
    }
}
