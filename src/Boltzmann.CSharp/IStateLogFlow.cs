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
}

/// <summary>
/// The forward-looking flow (§5, [S24] eq. 13): log Fₙ(x) = NN_F(x, tₙ) + (1 − tₙ) log N(x; 0, σ² t_{max(n,1)} I) + tₙ log R(x),
/// or NN_F(x, tₙ) alone when <c>forwardLooking</c> is false. Evaluated at the state it is indexed by (the §12.3 bug of
/// the backward pass is not replicated).
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
        double t = grid[n];
        network.Forward(x, t, y);
        if (!forwardLooking) return y[0];
        double v = sigma * sigma * grid[Math.Max(n, 1)], s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i] * x[i];
        double logRef = -0.5 * x.Length * (EulerMaruyamaPolicy.Log2Pi + Math.Log(v)) - 0.5 * s / v;
        return y[0] + (1 - t) * logRef + (t == 0 ? 0 : t * target.LogDensity(x));
    }

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<double> x, int n, ReadOnlySpan<double> grid, double upstream)
    {
        Span<double> g = [upstream];
        network.Backward(x, grid[n], g, Span<double>.Empty);
    }
}
