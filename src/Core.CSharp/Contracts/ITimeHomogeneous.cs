namespace RateLab.Core.Contracts;

/// <summary>
/// Optional declaration by a kernel that every Step is the same map: its coefficients do not depend on the step index,
/// it draws no uniforms and it has no aux state. On a Gaussian problem one step is then one affine-Gaussian map Φ
/// per coordinate, and n steps are Φⁿ, which the exact analysis forms by repeated squaring in O(d log n)
/// (<c>Exact.AffinePropagator.Power</c>) instead of n probed steps.
/// </summary>
public interface ITimeHomogeneous;
