using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// B trajectories of N steps in contiguous arrays: grids tₙ (B × (N+1)), states xₙ (B × (N+1) × d), the standard normals
/// εₙ of forward sampling (B × N × d), log π→ₙ and log π←ₙ (B × N) and log R(x_N) (B).
/// </summary>
public sealed class TrajectoryBatch
{
    /// <summary>Storage for <paramref name="size"/> trajectories of <paramref name="steps"/> steps in dimension <paramref name="dimension"/>.</summary>
    public TrajectoryBatch(int size, int steps, int dimension)
    {
        Size = Guard.AtLeast(size, 1, nameof(size));
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
        Dimension = Guard.AtLeast(dimension, 1, nameof(dimension));
        Times = new double[size * (steps + 1)];
        States = new double[size * (steps + 1) * dimension];
        Normals = new double[size * steps * dimension];
        LogForward = new double[size * steps];
        LogBackward = new double[size * steps];
        LogReward = new double[size];
    }

    /// <summary>B.</summary>
    public int Size { get; }
    /// <summary>N.</summary>
    public int Steps { get; }
    /// <summary>d.</summary>
    public int Dimension { get; }
    /// <summary>Grids, row b = (t₀, …, t_N).</summary>
    public double[] Times { get; }
    /// <summary>States, trajectory b, step n at offset (b(N+1) + n)d.</summary>
    public double[] States { get; }
    /// <summary>Forward-sampling normals εₙ (zero for backward trajectories).</summary>
    public double[] Normals { get; }
    /// <summary>log π→ₙ(xₙ₊₁ | xₙ).</summary>
    public double[] LogForward { get; }
    /// <summary>log π←ₙ(xₙ | xₙ₊₁).</summary>
    public double[] LogBackward { get; }
    /// <summary>log R(x_N).</summary>
    public double[] LogReward { get; }

    /// <summary>Grid of trajectory b.</summary>
    public Span<double> Grid(int b) => Times.AsSpan(b * (Steps + 1), Steps + 1);
    /// <summary>xₙ of trajectory b.</summary>
    public Span<double> State(int b, int n) => States.AsSpan((b * (Steps + 1) + n) * Dimension, Dimension);
    /// <summary>εₙ of trajectory b.</summary>
    public Span<double> Normal(int b, int n) => Normals.AsSpan((b * Steps + n) * Dimension, Dimension);

    /// <summary>
    /// δ_b = Σ log π→ − Σ log π← − log R(x_N) (docs/algorithms.md, 'Trained samplers (Berner et al.)'); −δ_b is the log
    /// importance weight.
    /// </summary>
    public double Delta(int b)
    {
        double s = -LogReward[b];
        for (int n = 0; n < Steps; n++) s += LogForward[b * Steps + n] - LogBackward[b * Steps + n];
        return s;
    }
}
