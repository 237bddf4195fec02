namespace RateLab.Boltzmann;

/// <summary>
/// A differentiable map (x, t) ↦ y ∈ ℝᴷ with parameters θ in one flat array and a gradient buffer of the same length.
/// Implementations keep a private workspace, so one instance must not be used from two threads at once.
/// </summary>
public interface ITimeStateFunction
{
    /// <summary>State dimension d.</summary>
    int StateDimension { get; }

    /// <summary>Output dimension K.</summary>
    int OutputDimension { get; }

    /// <summary>θ (possibly empty).</summary>
    double[] Parameters { get; }

    /// <summary>∂L/∂θ, accumulated by <see cref="Backward"/>; the caller clears it.</summary>
    double[] Gradient { get; }

    /// <summary>y = f_θ(x, t).</summary>
    void Forward(ReadOnlySpan<double> x, double t, Span<double> output);

    /// <summary>
    /// Reverse mode at (x, t) for upstream ḡ = ∂L/∂y: adds J_θᵀḡ to <see cref="Gradient"/> and, if
    /// <paramref name="stateGradient"/> is non-empty, adds J_xᵀḡ to it (the input gradient PIS needs).
    /// Implementations may reuse the activations of the latest <see cref="Forward"/> when it was at the same (x, t), so
    /// θ must not change between a Forward and the Backward that follows it.
    /// </summary>
    void Backward(ReadOnlySpan<double> x, double t, ReadOnlySpan<double> outputGradient, Span<double> stateGradient);

    /// <summary>A workspace for up to <paramref name="capacity"/> rows a call (row by row unless overridden).</summary>
    ITimeStateBatch CreateBatch(int capacity) => new PerSampleBatch(this, capacity);
}

/// <summary>
/// The forward policy's network m_θ (docs/algorithms.md): K = 2d outputs, the drift m (first d, no σ² factor)
/// and the raw log-variance correction (last d, used as ℓ = 4 tanh(raw) only with learned variance).
/// </summary>
public interface IDriftModel : ITimeStateFunction;
