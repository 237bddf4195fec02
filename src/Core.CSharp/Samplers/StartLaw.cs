using System.Numerics.Tensors;
using RateLab.Core.Contracts;
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
    public StartLaw(double[] mean, double[] sd) : this(Checked(mean, sd, copy: true))
    {
    }

    StartLaw((double[] Mean, double[] Sd) parameters) => (mean, sd) = parameters;

    static (double[], double[]) Checked(double[] mean, double[] sd, bool copy)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(sd);
        Guard.Length(sd.Length, mean.Length, nameof(sd));
        Guard.AllFinite(mean, nameof(mean));
        Guard.AllNonNegative(sd, nameof(sd));
        return copy ? ((double[])mean.Clone(), (double[])sd.Clone()) : (mean, sd);
    }

    // The factories below keep the arrays they are given or make rather than copying them (at d = 10⁶ a copy is 8 MB).

    /// <summary>The law on arrays the caller gives up (validated, not copied).</summary>
    internal static StartLaw Adopt(double[] mean, double[] sd) => new(Checked(mean, sd, copy: false));

    /// <summary>The coordinates in <paramref name="range"/> (the start law of a block of the exact analysis).</summary>
    internal StartLaw Slice(Range range) => new((mean[range], sd[range]));

    /// <summary>The point mass at x₀.</summary>
    public static StartLaw Point(double[] x0)
    {
        ArgumentNullException.ThrowIfNull(x0);
        return Adopt((double[])x0.Clone(), new double[x0.Length]);
    }

    /// <summary>N(0, s² I_d).</summary>
    public static StartLaw Isotropic(int d, double s)
    {
        var sd = new double[Guard.AtLeast(d, 1, nameof(d))];
        Array.Fill(sd, Guard.NonNegative(s, nameof(s)));
        return Adopt(new double[d], sd);
    }

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
