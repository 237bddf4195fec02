using MathNet.Numerics.LinearAlgebra;
using RateLab.Core.Randomness;
using RateLab.Core.Validation;

namespace RateLab.Core.Diffusion;

/// <summary>
/// A fixed smooth vector field of random Fourier features, e_i(x) = √(2/M) Σ_k c_ik cos(ω w_k·x + b_k) with
/// w_k ~ N(0, I_d), b_k ~ U(0, 2π), c_ik ~ N(0, 1) drawn once from a seed. It is bounded (|e_i| ≤ √(2/M) Σ_k |c_ik|),
/// its Lipschitz constant is at most ω √(2/M) ‖C‖₂ ‖W‖₂ (the Jacobian is −√(2/M) C diag(sin θ) W ω), and its second
/// moment under any Gaussian mixture is closed form because E cos(v·X + a) = cos(v·m + a) e^{−vᵀCv/2} for X ~ N(m, C).
/// </summary>
public sealed class RandomFeatureField
{
    readonly double[] w, b, c; // w: M×d, b: M, c: d×M
    readonly double unitLipschitz;

    /// <summary>M = <paramref name="features"/> features in dimension d, drawn from <paramref name="seed"/>.</summary>
    public RandomFeatureField(int dimension, int features, ulong seed)
    {
        Dimension = Guard.AtLeast(dimension, 1, nameof(dimension));
        Features = Guard.AtLeast(features, 1, nameof(features));
        w = new double[features * dimension];
        b = new double[features];
        c = new double[dimension * features];
        for (int k = 0; k < features; k++)
        {
            CounterRng.Normals(seed, 0, k, 0, w.AsSpan(k * dimension, dimension));
            b[k] = 2 * Math.PI * CounterRng.Uniform(seed, 0, k, 0);
        }
        for (int i = 0; i < dimension; i++) CounterRng.Normals(seed, 1, i, 0, c.AsSpan(i * features, features));
        double cNorm = Matrix<double>.Build.DenseOfRowMajor(dimension, features, c).L2Norm();
        double wNorm = Matrix<double>.Build.DenseOfRowMajor(features, dimension, w).L2Norm();
        unitLipschitz = Math.Sqrt(2.0 / features) * cNorm * wNorm;
    }

    /// <summary>Dimension d.</summary>
    public int Dimension { get; }
    /// <summary>Number of features M.</summary>
    public int Features { get; }

    /// <summary>Upper bound on the Lipschitz constant of e at frequency scale ω.</summary>
    public double LipschitzBound(double omega) => omega * unitLipschitz;

    /// <summary>Adds <paramref name="scale"/>·e(x) at frequency scale <paramref name="omega"/> to <paramref name="output"/>.</summary>
    public void AddTo(ReadOnlySpan<double> x, double omega, double scale, Span<double> output)
    {
        int d = Dimension, m = Features;
        double amp = scale * Math.Sqrt(2.0 / m);
        for (int k = 0; k < m; k++)
        {
            double t = 0;
            for (int i = 0; i < d; i++) t += w[k * d + i] * x[i];
            double f = amp * Math.Cos(omega * t + b[k]);
            for (int i = 0; i < d; i++) output[i] += c[i * m + k] * f;
        }
    }

    /// <summary>
    /// E_{p_τ} ‖e(X)‖² in closed form: Σ_{k,l} G_kl E[cos θ_k cos θ_l] with G = (2/M) CᵀC and
    /// cos θ_k cos θ_l = ½[cos(θ_k − θ_l) + cos(θ_k + θ_l)], each a Gaussian characteristic-function term per component.
    /// </summary>
    public double SecondMoment(INoisedData data, double tau, double omega)
    {
        ArgumentNullException.ThrowIfNull(data);
        Guard.Length(data.Dimension, Dimension, "data dimension");
        int d = Dimension, m = Features;
        var means = new double[data.Components * d];
        for (int j = 0; j < data.Components; j++) data.ComponentMean(j, tau, means.AsSpan(j * d, d));
        var v = new double[d];
        double total = 0;
        for (int k = 0; k < m; k++)
            for (int l = 0; l < m; l++)
            {
                double g = 0;
                for (int i = 0; i < d; i++) g += c[i * m + k] * c[i * m + l];
                g *= 2.0 / m;
                double e = 0;
                foreach (int sign in (ReadOnlySpan<int>)[-1, 1])
                {
                    for (int i = 0; i < d; i++) v[i] = omega * (w[k * d + i] + sign * w[l * d + i]);
                    double phase = b[k] + sign * b[l];
                    for (int j = 0; j < data.Components; j++)
                    {
                        double vm = 0;
                        for (int i = 0; i < d; i++) vm += v[i] * means[j * d + i];
                        e += 0.5 * data.Weight(j) * Math.Cos(vm + phase) * Math.Exp(-0.5 * data.QuadraticForm(j, tau, v));
                    }
                }
                total += g * e;
            }
        return total;
    }
}
