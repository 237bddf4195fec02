using MathNet.Numerics.LinearAlgebra;
using RateLab.Core.Randomness;
using RateLab.Core.Validation;

namespace RateLab.Core.Targets;

/// <summary>
/// Haar-distributed orthogonal matrices for rotation-equivariance tests (docs/algorithms.md item 12): Q from the QR
/// factorisation G = QR of a d × d matrix of standard normals, with each column of Q multiplied by sign(R_jj). Without
/// that sign fix Q would depend on the QR routine's sign convention and would not be Haar (Mezzadri 2007).
/// </summary>
public static class RandomRotation
{
    /// <summary>
    /// Q (d × d, row-major) from the normals of <see cref="CounterRng"/> keyed by (<paramref name="seed"/>, chain j,
    /// step 0, role 0) for column j of G, so the same seed always gives the same rotation.
    /// </summary>
    public static double[] Create(int d, ulong seed)
    {
        Guard.AtLeast(d, 1, nameof(d));
        var g = Matrix<double>.Build.Dense(d, d);
        var column = new double[d];
        for (int j = 0; j < d; j++)
        {
            CounterRng.Normals(seed, j, 0, 0, column);
            for (int i = 0; i < d; i++) g[i, j] = column[i];
        }
        var qr = g.QR();
        var q = new double[d * d];
        for (int j = 0; j < d; j++)
        {
            double sign = qr.R[j, j] < 0 ? -1 : 1;
            for (int i = 0; i < d; i++) q[i * d + j] = sign * qr.Q[i, j];
        }
        return q;
    }
}
