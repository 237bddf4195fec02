using System.Numerics.Tensors;
using RateLab.Core.Contracts;

namespace RateLab.Core.Samplers.Langevin;

/// <summary>
/// The start shared by the underdamped kernels: x₀ from the start law (normal role 0) and v₀ ~ N(0, u I) from role 1,
/// or v₀ = 0 for chains started at rest (then only role 0 is drawn).
/// </summary>
internal static class UnderdampedStart
{
    /// <summary>Normal roles the start draws.</summary>
    public static int NormalRoles(bool zeroVelocity) => zeroVelocity ? 1 : 2;

    /// <summary>Writes (x₀, v₀) into the first 2d entries of <paramref name="state"/>; v₀ has standard deviation √u.</summary>
    public static void Draw(ref StepContext ctx, StartLaw start, double sqrtU, bool zeroVelocity, int d, Span<double> state)
    {
        start.Draw(ref ctx, 0, state[..d]);
        var v = state.Slice(d, d);
        if (zeroVelocity) { v.Clear(); return; }
        ctx.Normals(1, v);
        TensorPrimitives.Multiply(v, sqrtU, v);
    }
}
