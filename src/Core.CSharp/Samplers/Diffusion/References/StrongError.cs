namespace RateLab.Core.Samplers.Diffusion.References;

/// <summary>
/// Strong error of a sampler against its coupled reference over C chains: squared errors eᶜ = ‖Yᶜ − Y*ᶜ‖², their mean
/// (with standard error sd(e)/√C), and RMS = √mean(e) with the delta-method standard error SE(mean)/(2·RMS).
/// </summary>
/// <param name="SquaredErrors">Per-chain ‖Y − Y*‖², indexed by chain (for paired comparisons and fits).</param>
public sealed record StrongError(double[] SquaredErrors)
{
    /// <summary>Mean of the squared errors.</summary>
    public double MeanSquare => SquaredErrors.Average();

    /// <summary>Standard error of <see cref="MeanSquare"/> across chains.</summary>
    public double MeanSquareStandardError
    {
        get
        {
            double m = MeanSquare, n = SquaredErrors.Length;
            double v = SquaredErrors.Sum(e => (e - m) * (e - m)) / (n - 1);
            return Math.Sqrt(v / n);
        }
    }

    /// <summary>RMS strong error √E‖Y − Y*‖².</summary>
    public double Rms => Math.Sqrt(MeanSquare);

    /// <summary>Standard error of <see cref="Rms"/> (delta method).</summary>
    public double RmsStandardError => MeanSquareStandardError / (2 * Rms);
}
