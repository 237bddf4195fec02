namespace RateLab.Boltzmann;

/// <summary>
/// Training objectives of docs/algorithms.md with one fixed scale convention: every loss is a batch
/// mean, and squared residuals carry a factor ½. TB = mean ½(log Z_θ + δ)²; VarGrad = mean ½(δ − δ̄)²;
/// DB = mean ½ Σₙ rₙ²; SubTB = mean ½ Σ_{i&lt;j} w_ij r_ij² with w normalised to sum 1 (the public code's SubTB is
/// 2B times this); KL (PIS) = mean δ / d.
/// </summary>
public enum Objective
{
    /// <summary>Trajectory balance with a learned scalar log Z.</summary>
    TrajectoryBalance,
    /// <summary>VarGrad / log-variance: TB with log Z at its batch optimum −δ̄.</summary>
    VarGrad,
    /// <summary>Detailed balance with a learned state flow.</summary>
    DetailedBalance,
    /// <summary>Sub-trajectory balance with λ-geometric weights.</summary>
    SubTrajectoryBalance,
    /// <summary>Reverse KL via reparameterised simulation (PIS).</summary>
    KullbackLeibler,
}
