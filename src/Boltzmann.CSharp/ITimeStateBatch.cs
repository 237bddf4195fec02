using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// A workspace that evaluates an <see cref="ITimeStateFunction"/> on many rows (xᵢ, tᵢ) at once. Callers fill
/// <see cref="Inputs"/> and <see cref="Times"/>, call <see cref="Forward"/>, then (with θ unchanged) fill
/// <see cref="OutputGradients"/> and call <see cref="Backward"/>. All buffers are owned here, so nothing is allocated
/// per call. Results do not depend on <see cref="MaxThreads"/>.
/// </summary>
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
    /// <summary>Upper bound on worker threads (≥ 1).</summary>
    int MaxThreads { get; set; }

    /// <summary>Outputs of the first <paramref name="rows"/> rows.</summary>
    void Forward(int rows);

    /// <summary>
    /// Reverse mode over the rows of the latest <see cref="Forward"/>: adds Σᵢ J_θ(xᵢ, tᵢ)ᵀ ḡᵢ to the function's
    /// gradient, and writes J_x(xᵢ, tᵢ)ᵀ ḡᵢ to <see cref="InputGradients"/> if <paramref name="inputGradients"/>.
    /// </summary>
    void Backward(int rows, bool inputGradients);
}

/// <summary>The row-by-row fallback for functions without a batched implementation (the analytic drifts).</summary>
sealed class PerSampleBatch(ITimeStateFunction function, int capacity) : ITimeStateBatch
{
    readonly int d = function.StateDimension, k = function.OutputDimension;

    public int Capacity { get; } = Guard.AtLeast(capacity, 1, nameof(capacity));
    public double[] Inputs { get; } = new double[capacity * function.StateDimension];
    public double[] Times { get; } = new double[capacity];
    public double[] Outputs { get; } = new double[capacity * function.OutputDimension];
    public double[] OutputGradients { get; } = new double[capacity * function.OutputDimension];
    public double[] InputGradients { get; } = new double[capacity * function.StateDimension];
    public int MaxThreads { get; set; } = 1;

    public void Forward(int rows)
    {
        for (int i = 0; i < rows; i++) function.Forward(Inputs.AsSpan(i * d, d), Times[i], Outputs.AsSpan(i * k, k));
    }

    public void Backward(int rows, bool inputGradients)
    {
        if (inputGradients) Array.Clear(InputGradients, 0, rows * d);
        for (int i = 0; i < rows; i++)
            function.Backward(Inputs.AsSpan(i * d, d), Times[i], OutputGradients.AsSpan(i * k, k),
                inputGradients ? InputGradients.AsSpan(i * d, d) : Span<double>.Empty);
    }
}
