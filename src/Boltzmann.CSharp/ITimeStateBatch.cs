using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// A workspace that evaluates an <see cref="ITimeStateFunction"/> on many rows (xᵢ, tᵢ) at once. Callers fill
/// <see cref="Inputs"/> and <see cref="Times"/>, call <see cref="Forward"/>, then (with θ unchanged) fill
/// <see cref="OutputGradients"/> and call <see cref="Backward"/>. All buffers are owned here, so nothing is allocated
/// per call. Results do not depend on <see cref="MaxThreads"/>, and a row's outputs depend only on that row.
/// </summary>
/// <remarks>
/// Callers that carry their own blocks of rows through many calls (a worker stepping its trajectories through every
/// time step) use <see cref="Prepare"/> once and then <see cref="ForwardBlock"/> from up to <see cref="MaxThreads"/>
/// threads on disjoint rows, so that no step waits for the slowest block of the batch.
/// </remarks>
public interface ITimeStateBatch
{
    /// <summary>Most rows per call.</summary>
    int Capacity { get; }
    /// <summary>Row-major xᵢ (Capacity × d).</summary>
    double[] Inputs { get; }
    /// <summary>tᵢ (Capacity).</summary>
    double[] Times { get; }
    /// <summary>Row-major yᵢ (Capacity × K), written by <see cref="Forward"/>.</summary>
    double[] Outputs { get; }
    /// <summary>Row-major ∂L/∂yᵢ (Capacity × K), read by <see cref="Backward"/>.</summary>
    double[] OutputGradients { get; }
    /// <summary>Row-major ∂L/∂xᵢ (Capacity × d), overwritten by <see cref="Backward"/> when asked for.</summary>
    double[] InputGradients { get; }
    /// <summary>Upper bound on worker threads (≥ 1), including callers' concurrent <see cref="ForwardBlock"/> calls.</summary>
    int MaxThreads { get; set; }

    /// <summary>Outputs of the first <paramref name="rows"/> rows.</summary>
    void Forward(int rows);

    /// <summary>Readies the current θ for <see cref="ForwardBlock"/>; call it after θ changes and before the blocks.</summary>
    void Prepare();

    /// <summary>
    /// Outputs of rows <paramref name="first"/> … <paramref name="first"/> + <paramref name="rows"/> − 1 on the calling
    /// thread, the same bits <see cref="Forward"/> gives them. Calls on disjoint rows may run concurrently.
    /// </summary>
    void ForwardBlock(int first, int rows);

    /// <summary>
    /// Reverse mode over the rows of the latest <see cref="Forward"/>: adds Σᵢ J_θ(xᵢ, tᵢ)ᵀ ḡᵢ to the function's
    /// gradient, and writes J_x(xᵢ, tᵢ)ᵀ ḡᵢ to <see cref="InputGradients"/> if <paramref name="inputGradients"/>.
    /// </summary>
    void Backward(int rows, bool inputGradients);
}

/// <summary>
/// The row-by-row fallback for functions without a batched implementation (the analytic drifts). It runs on one
/// thread whatever <see cref="MaxThreads"/> is asked for: a function keeps one workspace (<see cref="ITimeStateFunction"/>).
/// </summary>
sealed class PerSampleBatch(ITimeStateFunction function, int capacity) : ITimeStateBatch
{
    readonly int d = function.StateDimension, k = function.OutputDimension;

    public int Capacity { get; } = Guard.AtLeast(capacity, 1, nameof(capacity));
    public double[] Inputs { get; } = new double[capacity * function.StateDimension];
    public double[] Times { get; } = new double[capacity];
    public double[] Outputs { get; } = new double[capacity * function.OutputDimension];
    public double[] OutputGradients { get; } = new double[capacity * function.OutputDimension];
    public double[] InputGradients { get; } = new double[capacity * function.StateDimension];
    public int MaxThreads { get => 1; set => Guard.AtLeast(value, 1, nameof(MaxThreads)); }

    public void Forward(int rows) => ForwardBlock(0, rows);

    public void Prepare() { }

    public void ForwardBlock(int first, int rows)
    {
        Guard.InRange(first, 0, Capacity, nameof(first));
        Guard.InRange(rows, 0, Capacity - first, nameof(rows));
        for (int i = first; i < first + rows; i++) function.Forward(Inputs.AsSpan(i * d, d), Times[i], Outputs.AsSpan(i * k, k));
    }

    public void Backward(int rows, bool inputGradients)
    {
        if (inputGradients) Array.Clear(InputGradients, 0, rows * d);
        for (int i = 0; i < rows; i++)
            function.Backward(Inputs.AsSpan(i * d, d), Times[i], OutputGradients.AsSpan(i * k, k),
                inputGradients ? InputGradients.AsSpan(i * d, d) : Span<double>.Empty);
    }
}
