using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using RateLab.Core.Contracts;
using RateLab.Core.Numerics;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// A learned score: the PIS-style network of <see cref="TimeStateMlp"/> with K = d outputs y(x, t) as the learned part
/// of a noise predictor ε̂(x, τ) = √τ x + √(1−τ) y(x, τ), and s(x, τ) = −ε̂/√τ = −x − √((1−τ)/τ) y, the
/// ε-parametrisation of diffusion models (X_τ = √(1−τ) X₀ + √τ Z, so ∇ log p_τ = −E[Z | X_τ]/√τ). The first term is
/// the exact ε̂ of N(0, I) data (which the VP noising leaves N(0, I)); the network's term is damped by √(1−τ) so that,
/// untrained, its pull over a whole reverse run stays O(1) (∫ √ᾱ dσ = asinh σ_max) rather than O(σ_max). The network's
/// time input is τ itself (τ ∈ (0, 1], the range its Fourier features ω ∈ [0.1, 100] were laid out for). Weights are
/// a snapshot of the network's θ at construction.
/// </summary>
/// <remarks>
/// <para><see cref="ScoreRows"/> evaluates a whole block of chains as matrix products (<see cref="MatrixKernels"/>),
/// in chunks of <see cref="Chunk"/> rows so the activations stay in cache, with scratch owned per thread (no
/// allocation per call once a thread has its workspace). All rows share τ, so the time branch
/// e_t = b₂ + b_s + W₂ GELU(W₁ φ(τ) + b₁) is computed once per τ and starts every row's x-product, which accumulates
/// onto it in the same order the full batched network (<see cref="TimeStateMlpBatch"/>) uses: the outputs are that
/// network's bits, at 57 % of its multiply-adds for W = H = 64.</para>
/// <para>Reproducibility: every entry of a matrix product sums over its inputs in increasing order whatever the tile
/// or row count, GELU and the features are lane-wise, so a row's score depends only on that row and τ. <see cref="Score"/>
/// is the same pass on one row, hence gives every row exactly the bits ScoreRows gives it, for any block split and
/// thread count.</para>
/// </remarks>
public sealed class NetworkScoreField : IScoreField, IDisposable
{
    /// <summary>Rows per pass through the layers.</summary>
    public const int Chunk = 64;
    readonly int d, hh, w, dP, hP, fP, wP, kP;
    readonly double[] omega, phase, bias0;
    readonly PackedLayer l1, l2, ls, la, lb, lo;
    readonly ThreadLocal<Workspace> workspaces;

    /// <summary>The field of <paramref name="network"/> (a noise predictor, K = d), its θ copied now.</summary>
    public NetworkScoreField(TimeStateMlp network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.k != network.d)
            throw new ArgumentException(
                $"network outputs K = {network.k} values; allowed: K = d = {network.d} (a noise predictor).",
                nameof(network));
        Network = network;
        d = network.d; hh = network.hh; w = network.w;
        dP = PackedLayer.Pad(d); hP = PackedLayer.Pad(hh); fP = PackedLayer.Pad(2 * hh); wP = PackedLayer.Pad(w);
        kP = dP;
        var theta = network.Parameters;
        l1 = Packed(theta, network.oW1, hh, 2 * hh); l2 = Packed(theta, network.oW2, w, hh);
        ls = Packed(theta, network.oWs, w, d); la = Packed(theta, network.oA1, w, w);
        lb = Packed(theta, network.oA2, w, w); lo = Packed(theta, network.oWo, d, w);
        omega = (double[])network.omega.Clone();
        phase = new double[hh];
        Array.Copy(theta, network.oPhase, phase, 0, hh);
        bias0 = new double[wP];
        for (int i = 0; i < w; i++) bias0[i] = l2.Bias[i] + ls.Bias[i];
        workspaces = new ThreadLocal<Workspace>(() => new Workspace(this));
    }

    static PackedLayer Packed(double[] theta, int offset, int rows, int cols)
    {
        var layer = new PackedLayer(offset, rows, cols, 0);
        layer.Pack(theta);
        return layer;
    }

    /// <summary>The field of <see cref="TimeStateMlp.NoisePredictor"/>(d, seed): the network's own initialisation.</summary>
    public static NetworkScoreField FromSeed(int d, ulong seed, int width = 64, int harmonics = 64) =>
        new(TimeStateMlp.NoisePredictor(d, seed, width, harmonics));

    /// <summary>
    /// The field whose θ is read from <paramref name="path"/>: θ in <see cref="TimeStateMlp"/>'s layout (φ₀, then each
    /// layer's weight, out × in row-major, and bias) as little-endian float64, nothing else; the format
    /// <see cref="WriteWeights"/> writes and bench/peers/torch_score_peer.py reads.
    /// </summary>
    public static NetworkScoreField FromFile(string path, int d, int width = 64, int harmonics = 64)
    {
        var net = TimeStateMlp.NoisePredictor(d, 0, width, harmonics);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != 8 * net.Parameters.Length)
            throw new ArgumentException(
                $"{path} holds {bytes.Length} bytes; allowed: {8 * net.Parameters.Length} (θ of d = {d}, W = {width}, " +
                $"H = {harmonics}, as float64).", nameof(path));
        for (int i = 0; i < net.Parameters.Length; i++)
            net.Parameters[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(8 * i, 8));
        return new NetworkScoreField(net);
    }

    /// <summary>Writes θ in the format <see cref="FromFile"/> reads.</summary>
    public void WriteWeights(string path)
    {
        var theta = Network.Parameters;
        var bytes = new byte[8 * theta.Length];
        for (int i = 0; i < theta.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i, 8), theta[i]);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The network (its θ may have changed since; the field keeps the copy taken at construction).</summary>
    public TimeStateMlp Network { get; }
    /// <inheritdoc/>
    public string Name => $"network-score(d={d},W={w},H={hh})";
    /// <inheritdoc/>
    public int Dimension => d;

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<double> x, double tau, Span<double> score)
    {
        Guard.Length(x.Length, d, nameof(x));
        Guard.Length(score.Length, d, nameof(score));
        Evaluate(x, tau, score, 1);
    }

    /// <summary>s(x_r, τ) for every row, bit-identical to <see cref="Score"/> on each row (see the remarks).</summary>
    public void ScoreRows(ReadOnlySpan<double> rows, double tau, Span<double> scores)
    {
        int n = rows.Length / d;
        if (rows.Length != n * d)
            throw new ArgumentException($"rows.Length = {rows.Length} is not a multiple of d = {d}.", nameof(rows));
        Guard.Length(scores.Length, rows.Length, nameof(scores));
        Evaluate(rows, tau, scores, n);
    }

    void Evaluate(ReadOnlySpan<double> rows, double tau, Span<double> scores, int n)
    {
        if (!(tau > 0 && tau <= 1))
            throw new ArgumentOutOfRangeException(nameof(tau), $"tau = {tau:R} is out of range; allowed: (0, 1].");
        var ws = workspaces.Value!;
        if (ws.Tau != tau) TimeBranch(ws, tau);
        // s = −x − r y, r = √(1−τ)/√τ; bench/peers/torch_score_peer.py forms it the same way.
        double r = Math.Sqrt(1 - tau) / Math.Sqrt(tau);
        for (int r0 = 0; r0 < n; r0 += Chunk)
        {
            int m = Math.Min(Chunk, n - r0);
            for (int i = 0; i < m; i++)
            {
                rows.Slice((r0 + i) * d, d).CopyTo(ws.X.AsSpan(i * dP, d));
                Array.Copy(ws.TimeEmbedding, 0, ws.H0, i * wP, wP);
            }
            MatrixKernels.Multiply(m, wP, dP, ws.X, 0, dP, 1, ls.Transposed, 0, wP, ws.H0, 0, wP, true);
            Gelu(ws.H0, ws.Slope, m * wP);
            Dense(la, m, ws.H0, wP, ws.HA, wP);
            Gelu(ws.HA, ws.Slope, m * wP);
            Dense(lb, m, ws.HA, wP, ws.HB, wP);
            Gelu(ws.HB, ws.Slope, m * wP);
            Dense(lo, m, ws.HB, wP, ws.Y, kP);
            for (int i = 0; i < m; i++)
            {
                var score = scores.Slice((r0 + i) * d, d);
                TensorPrimitives.Multiply(ws.Y.AsSpan(i * kP, d), -r, score);
                TensorPrimitives.Subtract(score, rows.Slice((r0 + i) * d, d), score);
            }
        }
    }

    // e_t = b₂ + b_s + W₂ GELU(W₁ φ(τ) + b₁), with the features, products and GELU of TimeStateMlpBatch's forward.
    void TimeBranch(Workspace ws, double tau)
    {
        int j = 0;
        for (; j + 8 <= hh; j += 8)
        {
            var u = Vector512.FusedMultiplyAdd(Vector512.Create(omega, j), Vector512.Create(tau),
                Vector512.Create(phase, j));
            (var sin, var cos) = VectorMath.SinCos(u);
            sin.CopyTo(ws.Features, j); cos.CopyTo(ws.Features, hh + j);
        }
        for (; j < hh; j++) (ws.Features[j], ws.Features[hh + j]) = Math.SinCos(omega[j] * tau + phase[j]);
        Array.Copy(l1.Bias, ws.H1, hP);
        MatrixKernels.Multiply(1, hP, fP, ws.Features, 0, fP, 1, l1.Transposed, 0, hP, ws.H1, 0, hP, true);
        Gelu(ws.H1, ws.Slope, hP);
        Array.Copy(bias0, ws.TimeEmbedding, wP);
        MatrixKernels.Multiply(1, wP, hP, ws.H1, 0, hP, 1, l2.Transposed, 0, wP, ws.TimeEmbedding, 0, wP, true);
        ws.Tau = tau;
    }

    // out[r] = bias + in[r] · Aᵀ for the first m rows.
    static void Dense(PackedLayer layer, int m, double[] input, int ldIn, double[] output, int ldOut)
    {
        for (int r = 0; r < m; r++) Array.Copy(layer.Bias, 0, output, r * ldOut, layer.RowsP);
        MatrixKernels.Multiply(m, layer.RowsP, layer.ColsP, input, 0, ldIn, 1, layer.Transposed, 0, layer.RowsP,
            output, 0, ldOut, true);
    }

    static void Gelu(double[] h, double[] slope, int count)
    {
        if (count == 0) return;
        var z = h.AsSpan(0, count);
        VectorGelu.Apply(z, z, slope.AsSpan(0, count));
    }

    /// <summary>Releases the per-thread workspaces.</summary>
    public void Dispose() => workspaces.Dispose();

    // One thread's activations for a chunk of rows; padded columns stay 0 (never written).
    sealed class Workspace(NetworkScoreField f)
    {
        public double Tau = double.NaN;
        public readonly double[] Features = new double[f.fP], H1 = new double[f.hP], TimeEmbedding = new double[f.wP];
        public readonly double[] X = new double[Chunk * f.dP], H0 = new double[Chunk * f.wP],
            HA = new double[Chunk * f.wP], HB = new double[Chunk * f.wP], Y = new double[Chunk * f.kP],
            Slope = new double[Chunk * Math.Max(f.wP, f.hP)];
    }
}
