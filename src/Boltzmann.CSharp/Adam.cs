using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>A parameter group: a flat parameter array, its gradient buffer, its learning rate and the first entry it
/// owns (the entries before it belong to another group, see <see cref="SharedTrunk"/>).</summary>
public sealed record ParameterGroup
{
    /// <summary>Group over <paramref name="parameters"/> / <paramref name="gradient"/> (same length) from entry
    /// <paramref name="start"/> on, with step size <paramref name="learningRate"/> &gt; 0.</summary>
    public ParameterGroup(double[] parameters, double[] gradient, double learningRate, int start = 0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradient);
        Guard.Length(gradient.Length, parameters.Length, nameof(gradient));
        Parameters = parameters; Gradient = gradient;
        LearningRate = Guard.Positive(learningRate, nameof(learningRate));
        Start = Guard.InRange(start, 0, parameters.Length, nameof(start));
    }

    /// <summary>θ.</summary>
    public double[] Parameters { get; }
    /// <summary>∂L/∂θ.</summary>
    public double[] Gradient { get; }
    /// <summary>Step size.</summary>
    public double LearningRate { get; }
    /// <summary>First entry the optimiser updates.</summary>
    public int Start { get; }
}

/// <summary>
/// Adam (Kingma &amp; Ba; PyTorch defaults β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸, no weight decay) over parameter groups with
/// their own learning rates (docs/algorithms.md): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// θ ← θ − lr · (m/(1−β₁ᵏ)) / (√(v/(1−β₂ᵏ)) + ε).
/// </summary>
public sealed class Adam
{
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    /// <summary>Optimiser over <paramref name="groups"/>, with zero moments.</summary>
    public Adam(IReadOnlyList<ParameterGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Groups = groups;
        FirstMoments = groups.Select(g => new double[g.Parameters.Length]).ToArray();
        SecondMoments = groups.Select(g => new double[g.Parameters.Length]).ToArray();
    }

    /// <summary>The groups.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }
    /// <summary>m per group (part of a checkpoint).</summary>
    public double[][] FirstMoments { get; }
    /// <summary>v per group (part of a checkpoint).</summary>
    public double[][] SecondMoments { get; }
    /// <summary>Number of steps k taken.</summary>
    public long StepCount { get; set; }

    /// <summary>Sets every gradient buffer to 0.</summary>
    public void ZeroGradients() { foreach (var g in Groups) Array.Clear(g.Gradient); }

    /// <summary>One Adam step from the current gradients.</summary>
    public void Step()
    {
        StepCount++;
        double c1 = 1 - Math.Pow(Beta1, StepCount), c2 = 1 - Math.Pow(Beta2, StepCount);
        for (int k = 0; k < Groups.Count; k++)
        {
            var p = Groups[k].Parameters; var g = Groups[k].Gradient; var m = FirstMoments[k]; var v = SecondMoments[k];
            double lr = Groups[k].LearningRate;
            for (int i = Groups[k].Start; i < p.Length; i++)
            {
                m[i] = Beta1 * m[i] + (1 - Beta1) * g[i];
                v[i] = Beta2 * v[i] + (1 - Beta2) * g[i] * g[i];
                p[i] -= lr * (m[i] / c1) / (Math.Sqrt(v[i] / c2) + Epsilon);
            }
        }
    }
}
