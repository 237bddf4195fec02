using RateLab.Core.Contracts;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// Batched simulation and bookkeeping (docs/algorithms.md, 'Trained samplers (Berner et al.)'). Trajectory b of a
/// batch has the global key firstTrajectory + b: its grid comes from that key's uniforms, forward step n uses the
/// normals (key, n, role 0) and backward step n the normals (key, n, role 1), so results do not depend on batch layout.
/// </summary>
public static class Trajectories
{
    /// <summary>
    /// Samples x₀ = 0 → x_N with π→ (optionally with extra per-step exploration variance f², the public code's `main`
    /// formula; its `stagger` branch scales the added log-variance wrongly, which makes exploration negligible for
    /// f &lt; 1, and that bug is not replicated) and fills log π→ (at the policy's own variance), log π←, log R.
    /// </summary>
    public static void SampleForward(EulerMaruyamaPolicy policy, ITarget target, TimeGrid grid, INoiseSource noise,
        long firstTrajectory, TrajectoryBatch batch, double exploration = 0)
    {
        Check(policy, target, grid, batch);
        ArgumentNullException.ThrowIfNull(noise);
        Guard.NonNegative(exploration, nameof(exploration));
        int d = batch.Dimension, N = batch.Steps;
        double s2 = policy.Sigma * policy.Sigma;
        var net = policy.DriftBatch;
        for (int b0 = 0; b0 < batch.Size; b0 += net.Capacity)
        {
            int m = Math.Min(net.Capacity, batch.Size - b0), first = b0;
            net.Prepare();
            // Trajectories are independent, so each worker carries its block through all N steps: no join per step.
            RowBlocks.For(m, net.MaxThreads, (start, end) =>
            {
                for (int b = first + start; b < first + end; b++)
                {
                    grid.Fill(noise, firstTrajectory + b, batch.Grid(b));
                    batch.State(b, 0).Clear();
                }
                for (int n = 0; n < N; n++)
                {
                    for (int b = first + start; b < first + end; b++)
                    {
                        batch.State(b, n).CopyTo(net.Inputs.AsSpan((b - first) * d, d));
                        net.Times[b - first] = batch.Grid(b)[n];
                    }
                    net.ForwardBlock(start, end - start);
                    for (int b = first + start; b < first + end; b++)
                    {
                        var t = batch.Grid(b);
                        double delta = t[n + 1] - t[n];
                        var x = batch.State(b, n); var next = batch.State(b, n + 1);
                        // Keyed by (trajectory, step), so drawing them here, in parallel, gives the same numbers.
                        var eps = batch.Normal(b, n);
                        noise.Normals(firstTrajectory + b, n, 0, eps);
                        var y = net.Outputs.AsSpan((b - first) * 2 * d, 2 * d);
                        for (int i = 0; i < d; i++)
                        {
                            double v = delta * s2 * Math.Exp(policy.LogVarianceCorrection(y, i))
                                + exploration * exploration;
                            next[i] = x[i] + delta * y[i] + Math.Sqrt(v) * eps[i];
                        }
                        batch.LogForward[b * N + n] = policy.LogForward(x, next, delta, y);
                        batch.LogBackward[b * N + n] = policy.LogBackward(x, next, t[n], t[n + 1]);
                    }
                }
            });
            for (int b = b0; b < b0 + m; b++) batch.LogReward[b] = target.LogDensity(batch.State(b, N));
        }
    }

    /// <summary>
    /// Backward trajectories: x_N = row b of <paramref name="terminal"/>, xₙ ~ π←ₙ(· | xₙ₊₁) down to x₀ = 0; fills
    /// log π→, log π←, log R. The forward normals are set to 0.
    /// </summary>
    public static void SampleBackward(EulerMaruyamaPolicy policy, ITarget target, TimeGrid grid, INoiseSource noise,
        long firstTrajectory, ReadOnlySpan<double> terminal, TrajectoryBatch batch)
    {
        Check(policy, target, grid, batch);
        ArgumentNullException.ThrowIfNull(noise);
        int d = batch.Dimension, N = batch.Steps;
        Guard.Length(terminal.Length, batch.Size * d, nameof(terminal));
        Array.Clear(batch.Normals);
        for (int b = 0; b < batch.Size; b++) terminal.Slice(b * d, d).CopyTo(batch.State(b, N));
        // Each trajectory is its own bridge walk from its own keys, so the walks run side by side with the same bits.
        RowBlocks.For(batch.Size, policy.DriftBatch.MaxThreads, (start, end) =>
        {
            Span<double> z = stackalloc double[d];
            for (int b = start; b < end; b++)
            {
                long key = firstTrajectory + b;
                var t = batch.Grid(b);
                grid.Fill(noise, key, t);
                for (int n = N - 1; n >= 1; n--)
                {
                    double c = t[n] / t[n + 1], sd = policy.Sigma * Math.Sqrt((t[n + 1] - t[n]) * c);
                    noise.Normals(key, n, 1, z);
                    var next = batch.State(b, n + 1); var x = batch.State(b, n);
                    for (int i = 0; i < d; i++) x[i] = c * next[i] + sd * z[i];
                }
                batch.State(b, 0).Clear();
            }
        });
        Score(policy, target, batch);
    }

    /// <summary>
    /// Runs the drift network on trajectory rows q0 + start … q0 + end − 1 (row q = b·N + n: state n of trajectory b at
    /// its grid time) in workspace rows start … end − 1, on the calling thread, after <see cref="ITimeStateBatch.Prepare"/>;
    /// scoring and the gradient's backward pass read the same outputs for the same rows.
    /// </summary>
    internal static void ForwardRows(ITimeStateBatch net, TrajectoryBatch batch, int q0, int start, int end)
    {
        int N = batch.Steps, d = batch.Dimension;
        for (int q = q0 + start; q < q0 + end; q++)
        {
            batch.State(q / N, q % N).CopyTo(net.Inputs.AsSpan((q - q0) * d, d));
            net.Times[q - q0] = batch.Grid(q / N)[q % N];
        }
        net.ForwardBlock(start, end - start);
    }

    /// <summary>Recomputes log π→, log π← and log R from the stored grids and states.</summary>
    public static void Score(EulerMaruyamaPolicy policy, ITarget target, TrajectoryBatch batch)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(batch);
        int N = batch.Steps, d = batch.Dimension, rows = batch.Size * N;
        var net = policy.DriftBatch;
        for (int q0 = 0; q0 < rows; q0 += net.Capacity)
        {
            int m = Math.Min(net.Capacity, rows - q0), first = q0;
            net.Prepare();
            RowBlocks.For(m, net.MaxThreads, (start, end) =>
            {
                ForwardRows(net, batch, first, start, end);
                for (int q = first + start; q < first + end; q++)
                {
                    int b = q / N, n = q % N;
                    var t = batch.Grid(b); var x = batch.State(b, n); var next = batch.State(b, n + 1);
                    var y = net.Outputs.AsSpan((q - first) * 2 * d, 2 * d);
                    batch.LogForward[q] = policy.LogForward(x, next, t[n + 1] - t[n], y);
                    batch.LogBackward[q] = policy.LogBackward(x, next, t[n], t[n + 1]);
                }
            });
        }
        for (int b = 0; b < batch.Size; b++) batch.LogReward[b] = target.LogDensity(batch.State(b, N));
    }

    static void Check(EulerMaruyamaPolicy policy, ITarget target, TimeGrid grid, TrajectoryBatch batch)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(batch);
        Guard.Length(target.Dimension, policy.Dimension, "target.Dimension");
        Guard.Length(batch.Dimension, policy.Dimension, "batch.Dimension");
        Guard.Length(batch.Steps, grid.Steps, "batch.Steps");
    }
}
