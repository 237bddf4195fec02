using RateLab.Core.Randomness;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Core.Boltzmann;

/// <summary>
/// Batched simulation and bookkeeping (boltzmann-samplers.md §2–§4, §13.1–3). Trajectory b of a batch has the global key
/// firstTrajectory + b: its grid comes from that key's uniforms, forward step n uses the normals (key, n, role 0) and
/// backward step n the normals (key, n, role 1), so results do not depend on batch layout.
/// </summary>
public static class Trajectories
{
    /// <summary>
    /// Samples x₀ = 0 → x_N with π→ (optionally with extra per-step exploration variance f², §2, the `main` formula
    /// — the `stagger` scaling bug of §12.1 is not replicated) and fills log π→ (at the policy's own variance), log π←, log R.
    /// </summary>
    public static void SampleForward(EulerMaruyamaPolicy policy, ITarget target, TimeGrid grid, INoiseSource noise,
        long firstTrajectory, TrajectoryBatch batch, double exploration = 0)
    {
        Check(policy, target, grid, batch);
        ArgumentNullException.ThrowIfNull(noise);
        Guard.NonNegative(exploration, nameof(exploration));
        int d = batch.Dimension, N = batch.Steps;
        double s2 = policy.Sigma * policy.Sigma;
        Span<double> y = stackalloc double[2 * d];
        for (int b = 0; b < batch.Size; b++)
        {
            long key = firstTrajectory + b;
            var t = batch.Grid(b);
            grid.Fill(noise, key, t);
            batch.State(b, 0).Clear();
            for (int n = 0; n < N; n++)
            {
                double delta = t[n + 1] - t[n];
                var x = batch.State(b, n); var next = batch.State(b, n + 1); var eps = batch.Normal(b, n);
                noise.Normals(key, n, 0, eps);
                policy.Drift.Forward(x, t[n], y);
                for (int i = 0; i < d; i++)
                {
                    double v = delta * s2 * Math.Exp(policy.LogVarianceCorrection(y, i)) + exploration * exploration;
                    next[i] = x[i] + delta * y[i] + Math.Sqrt(v) * eps[i];
                }
                batch.LogForward[b * N + n] = policy.LogForward(x, next, delta, y);
                batch.LogBackward[b * N + n] = policy.LogBackward(x, next, t[n], t[n + 1]);
            }
            batch.LogReward[b] = target.LogDensity(batch.State(b, N));
        }
    }

    /// <summary>
    /// Backward trajectories (§3): x_N = row b of <paramref name="terminal"/>, xₙ ~ π←ₙ(· | xₙ₊₁) down to x₀ = 0; fills
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
        Span<double> z = stackalloc double[d];
        for (int b = 0; b < batch.Size; b++)
        {
            long key = firstTrajectory + b;
            var t = batch.Grid(b);
            grid.Fill(noise, key, t);
            terminal.Slice(b * d, d).CopyTo(batch.State(b, N));
            for (int n = N - 1; n >= 1; n--)
            {
                double c = t[n] / t[n + 1], sd = policy.Sigma * Math.Sqrt((t[n + 1] - t[n]) * c);
                noise.Normals(key, n, 1, z);
                var next = batch.State(b, n + 1); var x = batch.State(b, n);
                for (int i = 0; i < d; i++) x[i] = c * next[i] + sd * z[i];
            }
            batch.State(b, 0).Clear();
        }
        Score(policy, target, batch);
    }

    /// <summary>Recomputes log π→, log π← and log R from the stored grids and states (§13.3).</summary>
    public static void Score(EulerMaruyamaPolicy policy, ITarget target, TrajectoryBatch batch)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(batch);
        int N = batch.Steps;
        Span<double> y = stackalloc double[2 * batch.Dimension];
        for (int b = 0; b < batch.Size; b++)
        {
            var t = batch.Grid(b);
            for (int n = 0; n < N; n++)
            {
                var x = batch.State(b, n); var next = batch.State(b, n + 1);
                policy.Drift.Forward(x, t[n], y);
                batch.LogForward[b * N + n] = policy.LogForward(x, next, t[n + 1] - t[n], y);
                batch.LogBackward[b * N + n] = policy.LogBackward(x, next, t[n], t[n + 1]);
            }
            batch.LogReward[b] = target.LogDensity(batch.State(b, N));
        }
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
