using System.Numerics.Tensors;
using RateLab.Core.Contracts;

namespace RateLab.Core.Exact;

/// <summary>
/// The score the polynomial probes run on: s(x) = q − p ⊙ x, a diagonal Gaussian score N(q/p, diag 1/p) given by its
/// precisions p and its constant term q = p μ themselves, so the probed precisions are exactly the interpolation
/// nodes (no 1/(1/p) round trip) and a unit constant term needs no μ = 1/p. Time-homogeneous: τ is ignored.
/// </summary>
sealed class PrecisionProbeField(double[] negatedPrecision, double[] constant) : IScoreField
{
    public string Name => "precision probe";

    public int Dimension => negatedPrecision.Length;

    public void Score(ReadOnlySpan<double> x, double tau, Span<double> score) =>
        TensorPrimitives.MultiplyAdd(x, negatedPrecision, constant, score);
}
