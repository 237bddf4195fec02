using RateLab.Core.Contracts;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>A Monte Carlo mean with its standard error.</summary>
/// <param name="Value">Sample mean.</param>
/// <param name="StandardError">s/√K.</param>
public readonly record struct Estimate(double Value, double StandardError);

/// <summary>
/// log Z estimators of docs/algorithms.md from trajectories with log weights log w = −δ
/// (= log R(x_N) + Σ log π← − Σ log π→).
/// </summary>
public static class Estimators
{
    /// <summary>log((1/K) Σ exp(aₖ)), computed stably around the maximum.</summary>
    public static double LogMeanExp(ReadOnlySpan<double> a)
    {
        if (a.IsEmpty) throw new ArgumentException("a is empty; allowed: at least one value.", nameof(a));
        double max = double.NegativeInfinity;
        foreach (var x in a) max = Math.Max(max, x);
        if (double.IsNegativeInfinity(max)) return max;
        double s = 0;
        foreach (var x in a) s += Math.Exp(x - max);
        return max + Math.Log(s / a.Length);
    }

    /// <summary>Log weights −δ_b of a forward batch.</summary>
    public static double[] LogWeights(TrajectoryBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var w = new double[batch.Size];
        for (int b = 0; b < batch.Size; b++) w[b] = -batch.Delta(b);
        return w;
    }

    /// <summary>Mean and standard error.</summary>
    public static Estimate Mean(ReadOnlySpan<double> a)
    {
        if (a.Length < 2) throw new ArgumentException($"a has length {a.Length}; allowed: at least 2 values.", nameof(a));
        double m = 0;
        foreach (var x in a) m += x;
        m /= a.Length;
        double v = 0;
        foreach (var x in a) v += (x - m) * (x - m);
        return new Estimate(m, Math.Sqrt(v / (a.Length - 1) / a.Length));
    }

    /// <summary>ELBO log Ẑ = mean log w over forward trajectories: E = log Z − KL(P→‖P←) ≤ log Z.</summary>
    public static Estimate Elbo(TrajectoryBatch forward) => Mean(LogWeights(forward));

    /// <summary>Importance-weighted log Ẑ^RW = log mean w (lower bound in expectation, consistent as K → ∞).</summary>
    public static double ImportanceWeighted(TrajectoryBatch forward) => LogMeanExp(LogWeights(forward));

    /// <summary>
    /// EUBO = E_{x~p, τ~π←(·|x)}[log R(x) + Σ log π← − Σ log π→] = log Z + KL(P←‖P→) ≥ log Z, from
    /// <paramref name="samples"/> exact target draws (chains firstKey.., step 0 of <paramref name="noise"/>) and one
    /// backward trajectory each (keys firstKey..).
    /// </summary>
    public static Estimate Eubo(EulerMaruyamaPolicy policy, ITarget target, IExactSampler exact, TimeGrid grid,
        INoiseSource noise, long firstKey, int samples)
    {
        ArgumentNullException.ThrowIfNull(exact);
        ArgumentNullException.ThrowIfNull(target);
        Guard.AtLeast(samples, 2, nameof(samples));
        int d = target.Dimension;
        var x = new double[samples * d];
        for (int k = 0; k < samples; k++) exact.SampleExact(noise, firstKey + k, 0, x.AsSpan(k * d, d));
        var batch = new TrajectoryBatch(samples, grid.Steps, d);
        Trajectories.SampleBackward(policy, target, grid, noise, firstKey, x, batch);
        // The EUBO summand log R + Σ log π← − Σ log π→ is −δ of the backward trajectory.
        return Mean(LogWeights(batch));
    }
}
