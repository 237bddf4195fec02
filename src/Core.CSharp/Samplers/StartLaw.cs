using System.Numerics.Tensors;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers;

/// <summary>
/// The Gaussian start law N(m, diag(s²)) of a chain's position; s = 0 gives a point mass. It is part of the algorithm,
/// so the exact analysis propagates it as such.
/// </summary>
public sealed class StartLaw
{
    readonly double[] mean, sd;

    /// <summary>N(mean, diag(sd²)).</summary>
    public StartLaw(double[] mean, double[] sd)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(sd);
        Guard.Length(sd.Length, mean.Length, nameof(sd));
        Guard.AllFinite(mean, nameof(mean));
        Guard.AllNonNegative(sd, nameof(sd));
        this.mean = (double[])mean.Clone();
        this.sd = (double[])sd.Clone();
    }

    /// <summary>The point mass at x₀.</summary>
    public static StartLaw Point(double[] x0) => new(x0, new double[x0.Length]);

    /// <summary>N(0, s² I_d).</summary>
    public static StartLaw Isotropic(int d, double s) =>
        new(new double[Guard.AtLeast(d, 1, nameof(d))], Enumerable.Repeat(Guard.NonNegative(s, nameof(s)), d).ToArray());

    /// <summary>Mean m.</summary>
    public ReadOnlySpan<double> Mean => mean;
    /// <summary>Standard deviations s.</summary>
    public ReadOnlySpan<double> Sd => sd;

    internal void CheckDimension(int d) => Guard.Length(mean.Length, d, "start law dimension");

    /// <summary>Draws x = m + s ⊙ ξ with ξ the normals of <paramref name="role"/> at the context's step.</summary>
    public void Draw(ref StepContext ctx, int role, Span<double> x)
    {
        ctx.Normals(role, x);
        TensorPrimitives.MultiplyAdd(x, sd, mean, x);
    }
}
