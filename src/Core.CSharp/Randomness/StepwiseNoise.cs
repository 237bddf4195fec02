using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Validation;

namespace RateLab.Core.Randomness;

/// <summary>
/// Brownian increments built step by step from the draws of an <see cref="INoiseSource"/>: the step's total increment
/// is √h·ξ₀ (role 0) and each cut point is inserted by the Brownian bridge between the points already known,
/// W_s = W_a + (s−a)/(b−a)·(W_b − W_a) + √((s−a)(b−s)/(b−a))·ξ_j (role j). Because the interior points are
/// conditioned on the endpoint, a run that only looks at whole steps sees exactly the same path.
/// </summary>
public static class StepwiseNoise
{
    /// <summary>The bridge construction described on the type, from <paramref name="source"/>'s normals.</summary>
    public static void BridgeIncrements(INoiseSource source, long chain, long step, double h,
        ReadOnlySpan<double> cuts, Span<double> increments)
    {
        int pieces = cuts.Length + 1, d = increments.Length / pieces;
        Guard.Length(increments.Length, pieces * d, nameof(increments));
        var total = increments.Slice(cuts.Length * d, d);
        source.Normals(chain, step, 0, total);
        double sqrtH = Math.Sqrt(h);
        TensorPrimitives.Multiply(total, sqrtH, total);
        // Insert cut points left to right: the last block holds W(1·h) − W(a) of the not-yet-split remainder [a, 1].
        double a = 0;
        for (int j = 0; j < cuts.Length; j++)
        {
            double s = cuts[j];
            if (!(s > a && s < 1)) throw new ArgumentException($"cuts[{j}] = {s} must increase strictly inside (0, 1).", nameof(cuts));
            var left = increments.Slice(j * d, d);
            source.Normals(chain, step, j + 1, left);
            double w = (s - a) / (1 - a), sd = Math.Sqrt((s - a) * (1 - s) / (1 - a) * h);
            // The piece w·total + sd·ξⱼ is formed in place of ξⱼ, then taken off the remainder.
            TensorPrimitives.Multiply(left, sd, left);
            TensorPrimitives.MultiplyAdd(total, w, left, left);
            TensorPrimitives.Subtract(total, left, total);
            a = s;
        }
    }
}
