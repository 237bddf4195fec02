using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// Loss values and hand-written gradients of the <see cref="Objective"/>s for one batch. Off-policy objectives
/// (TB, VarGrad, DB, SubTB) treat the states as data: gradients reach θ only through log π→ₙ at the stored transitions
/// and through the flow. KL backpropagates through the Euler–Maruyama steps (reparameterisation) and through ∇log R(x_N).
/// Gradients are added to the parameters' buffers; the caller clears them.
/// </summary>
public sealed class ObjectiveGradients
{
    readonly double[] coefficient, flowCoefficient, logFlow, work, diffWork, weightWork, adjoint;
    readonly int dimension;

    /// <summary>Workspace for batches of up to <paramref name="size"/> × <paramref name="steps"/> in dimension <paramref name="dimension"/>.</summary>
    public ObjectiveGradients(int size, int steps, int dimension)
    {
        Guard.AtLeast(size, 1, nameof(size)); Guard.AtLeast(steps, 1, nameof(steps)); Guard.AtLeast(dimension, 1, nameof(dimension));
        coefficient = new double[size * steps];
        flowCoefficient = new double[size * (steps + 1)];
        logFlow = new double[size * (steps + 1)];
        work = new double[steps + 2];
        diffWork = new double[steps + 2];
        weightWork = new double[steps + 2];
        adjoint = new double[size * dimension];
        this.dimension = dimension;
    }

    /// <summary>
    /// The loss of <paramref name="objective"/> on <paramref name="batch"/>; adds ∂L/∂θ to the drift's (and flow's)
    /// gradient buffer. <paramref name="logZ"/> is TB's log Z_θ and <paramref name="logZGradient"/> its gradient (0 otherwise).
    /// DB/SubTB need <paramref name="flow"/>; SubTB uses weights ∝ λ^{j−i} with λ = <paramref name="lambda"/> &gt; 0.
    /// KL needs a batch from <see cref="Trajectories.SampleForward"/> without exploration.
    /// </summary>
    public double Evaluate(Objective objective, EulerMaruyamaPolicy policy, ITarget target, TrajectoryBatch batch,
        IStateLogFlow? flow, double logZ, out double logZGradient, double lambda = 2.0)
    {
        ArgumentNullException.ThrowIfNull(policy); ArgumentNullException.ThrowIfNull(target); ArgumentNullException.ThrowIfNull(batch);
        Guard.Finite(logZ, nameof(logZ));
        Guard.Positive(lambda, nameof(lambda));
        if (batch.Size * batch.Steps > coefficient.Length || batch.Steps + 2 > work.Length
            || batch.Dimension != dimension)
            throw new ArgumentException($"batch ({batch.Size} × {batch.Steps}, d = {batch.Dimension}) does not fit this workspace.", nameof(batch));
        logZGradient = 0;
        switch (objective)
        {
            case Objective.TrajectoryBalance: return Balance(policy, batch, logZ, false, out logZGradient);
            case Objective.VarGrad: return Balance(policy, batch, 0, true, out _);
            case Objective.DetailedBalance: return Local(policy, batch, Require(flow), false, lambda);
            case Objective.SubTrajectoryBalance: return Local(policy, batch, Require(flow), true, lambda);
            case Objective.KullbackLeibler: return KullbackLeibler(policy, target, batch);
            default: throw new ArgumentOutOfRangeException(nameof(objective), $"objective = {objective} is out of range; allowed: {string.Join(", ", Enum.GetNames<Objective>())}.");
        }
    }

    static IStateLogFlow Require(IStateLogFlow? flow) =>
        flow ?? throw new ArgumentException("flow is null; allowed: a state log-flow for DB and SubTB.", nameof(flow));

    // TB: ∂L/∂δ_b = (log Z + δ_b)/B; VarGrad: (δ_b − δ̄)/B (the centring's own gradient sums to 0).
    double Balance(EulerMaruyamaPolicy policy, TrajectoryBatch batch, double logZ, bool centred, out double logZGradient)
    {
        int B = batch.Size, N = batch.Steps;
        double mean = 0;
        if (centred) { for (int b = 0; b < B; b++) mean += batch.Delta(b); mean /= B; }
        double loss = 0; logZGradient = 0;
        for (int b = 0; b < B; b++)
        {
            double r = centred ? batch.Delta(b) - mean : logZ + batch.Delta(b);
            loss += 0.5 * r * r / B;
            logZGradient += r / B;
            for (int n = 0; n < N; n++) coefficient[b * N + n] = r / B;
        }
        PolicyBackward(policy, batch);
        return loss;
    }

    // DB: rₙ = log Fₙ(xₙ) + log π→ₙ − log Fₙ₊₁(xₙ₊₁) − log π←ₙ, log F_N = log R(x_N).
    // SubTB: r_ij = log Fᵢ − log Fⱼ + Σ_{i≤k<j}(log π→_k − log π←_k), weights w_ij = λ^{j−i}/Σ λ^{j'−i'}.
    double Local(EulerMaruyamaPolicy policy, TrajectoryBatch batch, IStateLogFlow flow, bool sub, double lambda)
    {
        int B = batch.Size, N = batch.Steps;
        double norm = 0;
        if (sub) for (int len = 1; len <= N; len++) norm += (N - len + 1) * Math.Pow(lambda, len);
        // w[len] = λ^len / Σ, once per call rather than once per pair (N²/2 pairs per trajectory).
        var w = weightWork;
        if (sub) for (int len = 1; len <= N; len++) w[len] = Math.Pow(lambda, len) / norm;
        double loss = 0;
        var a = work;  // a[n] = Σ_{k<n}(log π→_k − log π←_k)
        flow.LogFlows(batch, logFlow);
        for (int b = 0; b < B; b++)
        {
            var lf = logFlow.AsSpan(b * (N + 1), N + 1); var fc = flowCoefficient.AsSpan(b * (N + 1), N + 1);
            var pc = coefficient.AsSpan(b * N, N);
            lf[N] = batch.LogReward[b];
            fc.Clear(); pc.Clear();
            a[0] = 0;
            for (int n = 0; n < N; n++) a[n + 1] = a[n] + batch.LogForward[b * N + n] - batch.LogBackward[b * N + n];
            if (!sub)
            {
                for (int n = 0; n < N; n++)
                {
                    double r = lf[n] - lf[n + 1] + a[n + 1] - a[n];
                    loss += 0.5 * r * r / B;
                    fc[n] += r / B; fc[n + 1] -= r / B; pc[n] = r / B;
                }
            }
            else
            {
                // Difference array: pair (i, j) adds g to every k in [i, j).
                var diff = diffWork.AsSpan(0, N + 1);
                diff.Clear();
                for (int i = 0; i < N; i++)
                    for (int j = i + 1; j <= N; j++)
                    {
                        double r = lf[i] - lf[j] + a[j] - a[i], g = w[j - i] * r / B;
                        loss += 0.5 * w[j - i] * r * r / B;
                        fc[i] += g; fc[j] -= g; diff[i] += g; diff[j] -= g;
                    }
                double run = 0;
                for (int k = 0; k < N; k++) { run += diff[k]; pc[k] = run; }
            }
        }
        flow.BackwardAll(batch, flowCoefficient);
        PolicyBackward(policy, batch);
        return loss;
    }

    // Adds Σ c_{b,n} ∂ log π→ₙ/∂θ through the drift network's output, all (b, n) rows at once.
    void PolicyBackward(EulerMaruyamaPolicy policy, TrajectoryBatch batch)
    {
        if (policy.Drift.Parameters.Length == 0) return;
        int N = batch.Steps, d = batch.Dimension, rows = batch.Size * N;
        var net = policy.DriftBatch;
        for (int q0 = 0; q0 < rows; q0 += net.Capacity)
        {
            int m = Math.Min(net.Capacity, rows - q0), first = q0;
            net.Prepare();
            RowBlocks.For(m, net.MaxThreads, (start, end) =>
            {
                Trajectories.ForwardRows(net, batch, first, start, end);
                for (int q = first + start; q < first + end; q++)
                {
                    int b = q / N, n = q % N;
                    var t = batch.Grid(b);
                    policy.LogForwardOutputGradient(batch.State(b, n), batch.State(b, n + 1), t[n + 1] - t[n],
                        net.Outputs.AsSpan((q - first) * 2 * d, 2 * d), coefficient[q],
                        net.OutputGradients.AsSpan((q - first) * 2 * d, 2 * d));
                }
            });
            net.Backward(m, false);
        }
    }

    // L = (1/(dB)) Σ_b δ_b with x_{n+1} = xₙ + Δm + √Δ σ e^{ℓ/2} ε (ε fixed). Adjoint Gₙ = dL/dxₙ, swept from n = N:
    // G_N = w(−∇log R(x_N) − ∂ log π←_{N−1}/∂x_N); through step n the network gets ∂L/∂m = ΔG_{n+1} and
    // ∂L/∂ℓ = G_{n+1}⊙(s ε/2) − w/2 (the log-determinant of π→ₙ; the quadratic −|ε|²/2 does not depend on θ), and
    // Gₙ = G_{n+1} + J_xᵀ(...) − w ∂(log π←ₙ + log π←ₙ₋₁)/∂xₙ. The sweep runs over n with all trajectories batched.
    double KullbackLeibler(EulerMaruyamaPolicy policy, ITarget target, TrajectoryBatch batch)
    {
        int B = batch.Size, N = batch.Steps, d = batch.Dimension;
        double w = 1.0 / (d * B), loss = 0, s2 = policy.Sigma * policy.Sigma;
        for (int b = 0; b < B; b++)
        {
            loss += w * batch.Delta(b);
            var t = batch.Grid(b); var g = adjoint.AsSpan(b * d, d);
            target.Score(batch.State(b, N), g);
            for (int i = 0; i < d; i++) g[i] *= -w;
            policy.LogBackwardStateGradient(batch.State(b, N - 1), batch.State(b, N), t[N - 1], t[N], -w, Span<double>.Empty, g);
        }
        var net = policy.DriftBatch;
        for (int n = N - 1; n >= 0; n--)
            for (int b0 = 0; b0 < B; b0 += net.Capacity)
            {
                int m = Math.Min(net.Capacity, B - b0);
                for (int b = b0; b < b0 + m; b++)
                {
                    batch.State(b, n).CopyTo(net.Inputs.AsSpan((b - b0) * d, d));
                    net.Times[b - b0] = batch.Grid(b)[n];
                }
                net.Forward(m);
                for (int b = b0; b < b0 + m; b++)
                {
                    var t = batch.Grid(b); var g = adjoint.AsSpan(b * d, d); var eps = batch.Normal(b, n);
                    var output = net.Outputs.AsSpan((b - b0) * 2 * d, 2 * d);
                    var outputGradient = net.OutputGradients.AsSpan((b - b0) * 2 * d, 2 * d);
                    double delta = t[n + 1] - t[n];
                    for (int i = 0; i < d; i++)
                    {
                        outputGradient[i] = delta * g[i];
                        if (policy.LearnedVariance)
                        {
                            double th = Math.Tanh(output[d + i]), l = EulerMaruyamaPolicy.LogVarianceRange * th;
                            double scale = Math.Sqrt(delta * s2 * Math.Exp(l));
                            double dl = EulerMaruyamaPolicy.LogVarianceRange * (1 - th * th);
                            outputGradient[d + i] = (g[i] * 0.5 * scale * eps[i] - 0.5 * w) * dl;
                        }
                        else outputGradient[d + i] = 0;
                    }
                }
                net.Backward(m, n > 0);
                if (n == 0) continue;
                for (int b = b0; b < b0 + m; b++)
                {
                    var t = batch.Grid(b); var g = adjoint.AsSpan(b * d, d); var x = batch.State(b, n);
                    var jx = net.InputGradients.AsSpan((b - b0) * d, d);
                    for (int i = 0; i < d; i++) g[i] += jx[i];
                    var none = Span<double>.Empty;
                    policy.LogBackwardStateGradient(x, batch.State(b, n + 1), t[n], t[n + 1], -w, g, none);
                    policy.LogBackwardStateGradient(batch.State(b, n - 1), x, t[n - 1], t[n], -w, none, g);
                }
            }
        return loss;
    }
}
