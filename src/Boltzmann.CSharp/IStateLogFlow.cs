using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// Learned state log-flows log Fₙ(x) for n &lt; N used by DB and SubTB (docs/algorithms.md); log F_N := log R is
/// supplied by the objective, not by the flow.
/// </summary>
public interface IStateLogFlow
{
    /// <summary>Trainable parameters (possibly empty).</summary>
    double[] Parameters { get; }
    /// <summary>Their gradient buffer.</summary>
    double[] Gradient { get; }
    /// <summary>log Fₙ(x) on the trajectory's grid.</summary>
    double LogFlow(ReadOnlySpan<double> x, int n, ReadOnlySpan<double> grid);
    /// <summary>Adds <paramref name="upstream"/>·∂ log Fₙ(x)/∂θ to <see cref="Gradient"/>.</summary>
    void Backward(ReadOnlySpan<double> x, int n, ReadOnlySpan<double> grid, double upstream);

    /// <summary>
    /// log Fₙ at every state n &lt; N of every trajectory b of <paramref name="batch"/>, into
    /// <paramref name="logFlow"/>[b·(N + 1) + n]; the entries n = N are left alone. Row by row unless a flow batches it.
    /// </summary>
    void LogFlows(TrajectoryBatch batch, Span<double> logFlow)
    {
        CheckLayout(batch, logFlow.Length, nameof(logFlow));
        int N = batch.Steps;
        for (int b = 0; b < batch.Size; b++)
            for (int n = 0; n < N; n++) logFlow[b * (N + 1) + n] = LogFlow(batch.State(b, n), n, batch.Grid(b));
    }

    /// <summary>
    /// Adds Σ_{b, n &lt; N} <paramref name="upstream"/>[b·(N + 1) + n]·∂ log Fₙ(x_{b,n})/∂θ to <see cref="Gradient"/>
    /// (the layout of <see cref="LogFlows"/>). Row by row unless a flow batches it.
    /// </summary>
    void BackwardAll(TrajectoryBatch batch, ReadOnlySpan<double> upstream)
    {
        CheckLayout(batch, upstream.Length, nameof(upstream));
        int N = batch.Steps;
        for (int b = 0; b < batch.Size; b++)
            for (int n = 0; n < N; n++)
                if (upstream[b * (N + 1) + n] != 0) Backward(batch.State(b, n), n, batch.Grid(b), upstream[b * (N + 1) + n]);
    }

    /// <summary>Refuses a null batch, or a buffer shorter than the B·(N + 1) entries of the batched layout.</summary>
    internal static void CheckLayout(TrajectoryBatch batch, int length, string name)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int needed = batch.Size * (batch.Steps + 1);
        if (length < needed)
            throw new ArgumentException($"{name}.Length = {length} is out of range; allowed: at least B·(N + 1) = {needed}.", name);
    }
}

/// <summary>
/// The forward-looking flow ([S24] eq. 13):
/// log Fₙ(x) = NN_F(x, tₙ) + (1 − tₙ) log N(x; 0, σ² t_{max(n,1)} I) + tₙ log R(x),
/// or NN_F(x, tₙ) alone when <c>forwardLooking</c> is false. Evaluated at the state it is indexed by: on backward
/// trajectories the public code evaluates the energy terms of index n at the later state xₙ₊₁ instead, a bug that is
/// not replicated.
/// </summary>
public sealed class ForwardLookingFlow : IStateLogFlow
{
    readonly ITimeStateFunction network;
    readonly ITarget target;
    readonly double sigma;
    readonly bool forwardLooking;

    /// <summary>Flow from the scalar network <paramref name="network"/> (K = 1).</summary>
    public ForwardLookingFlow(ITimeStateFunction network, ITarget target, double sigma, bool forwardLooking = true)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(target);
        Guard.Length(network.OutputDimension, 1, "network.OutputDimension");
        Guard.Length(network.StateDimension, target.Dimension, "network.StateDimension");
        this.network = network; this.target = target;
        this.sigma = Guard.Positive(sigma, nameof(sigma));
        this.forwardLooking = forwardLooking;
    }

    /// <inheritdoc/>
    public double[] Parameters => network.Parameters;
    /// <inheritdoc/>
    public double[] Gradient => network.Gradient;

    /// <inheritdoc/>
    public double LogFlow(ReadOnlySpan<double> x, int n, ReadOnlySpan<double> grid)
    {
        Span<double> y = stackalloc double[1];
        network.Forward(x, grid[n], y);
        return Complete(y[0], x, n, grid);
    }

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<double> x, int n, ReadOnlySpan<double> grid, double upstream)
    {
        Span<double> g = [upstream];
        network.Backward(x, grid[n], g, Span<double>.Empty);
    }

    /// <summary>
    /// All B·N states through the network's batched mode (<see cref="ITimeStateBatch"/>) in blocks of
    /// <see cref="EulerMaruyamaPolicy.ChunkRows"/> rows, as the drift goes: per state one row of a matrix product rather
    /// than a matrix–vector loop. The same values as <see cref="LogFlow"/> to rounding.
    /// </summary>
    public void LogFlows(TrajectoryBatch batch, Span<double> logFlow)
    {
        IStateLogFlow.CheckLayout(batch, logFlow.Length, nameof(logFlow));
        int N = batch.Steps, total = batch.Size * N;
        var net = Rows;
        for (int q0 = 0; q0 < total; q0 += net.Capacity)
        {
            int m = Math.Min(net.Capacity, total - q0);
            Forward(net, batch, q0, m);
            // The energies run in row order on this thread: the counting target is not thread-safe.
            for (int r = 0; r < m; r++)
            {
                int q = q0 + r, b = q / N, n = q % N;
                logFlow[b * (N + 1) + n] = Complete(net.Outputs[r], batch.State(b, n), n, batch.Grid(b));
            }
        }
    }

    /// <summary>The batched reverse mode of <see cref="Backward"/> over all B·N states, in the blocks of <see cref="LogFlows"/>.</summary>
    public void BackwardAll(TrajectoryBatch batch, ReadOnlySpan<double> upstream)
    {
        IStateLogFlow.CheckLayout(batch, upstream.Length, nameof(upstream));
        int N = batch.Steps, total = batch.Size * N;
        var net = Rows;
        for (int q0 = 0; q0 < total; q0 += net.Capacity)
        {
            int m = Math.Min(net.Capacity, total - q0);
            // Backward reads the activations of the latest forward pass, so each block is run forward again.
            Forward(net, batch, q0, m);
            for (int r = 0; r < m; r++) net.OutputGradients[r] = upstream[(q0 + r) / N * (N + 1) + (q0 + r) % N];
            net.Backward(m, false);
        }
    }

    ITimeStateBatch Rows => rows ??= network.CreateBatch(EulerMaruyamaPolicy.ChunkRows);
    ITimeStateBatch? rows;

    static void Forward(ITimeStateBatch net, TrajectoryBatch batch, int first, int m)
    {
        net.Prepare();
        RowBlocks.For(m, net.MaxThreads, (start, end) => Trajectories.ForwardRows(net, batch, first, start, end));
    }

    // log Fₙ(x) from the network's output y = NN_F(x, tₙ): the forward-looking terms added.
    double Complete(double y, ReadOnlySpan<double> x, int n, ReadOnlySpan<double> grid)
    {
        if (!forwardLooking) return y;
        double t = grid[n], v = sigma * sigma * grid[Math.Max(n, 1)], s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i] * x[i];
        double logRef = -0.5 * x.Length * (EulerMaruyamaPolicy.Log2Pi + Math.Log(v)) - 0.5 * s / v;
        return y + (1 - t) * logRef + (t == 0 ? 0 : t * target.LogDensity(x));
    }
}
