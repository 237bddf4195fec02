using MathNet.Numerics.LinearAlgebra;

namespace RateLab.Core.Exact;

/// <summary>
/// Closed forms between full-covariance Gaussians P = N(a, A), Q = N(b, B) (docs/background.md), for laws that do
/// not reduce to a product (e.g. the joint (x, v) law of a kinetic sampler, or checks of the diagonal forms).
/// </summary>
public static class FullGaussianDistances
{
    /// <summary>
    /// KL(P‖Q) = ½ Σᵢ (rᵢ − log1p(rᵢ)) + ½ (a−b)ᵀB⁻¹(a−b), with rᵢ the eigenvalues of L⁻¹(A − B)L⁻ᵀ (B = LLᵀ), i.e.
    /// λᵢ(B^{−½}AB^{−½}) − 1 taken from the covariance difference so that nearby laws lose no digits.
    /// </summary>
    public static double Kl(Vector<double> a, Matrix<double> covA, Vector<double> b, Matrix<double> covB)
    {
        Check(a, covA, b, covB);
        (covA, covB) = (Dense(covA), Dense(covB));
        var chol = covB.Cholesky();
        var l = chol.Factor;
        var half = l.Solve(covA - covB);
        var m = l.Solve(half.Transpose());
        var r = Symmetrise(m).Evd(Symmetricity.Symmetric).EigenValues;
        double s = 0;
        foreach (var ri in r) s += GaussianDistances.RMinusLog1p(ri.Real);
        var z = l.Solve(a - b);
        return 0.5 * (s + z.DotProduct(z));
    }

    /// <summary>W₂²(P, Q) = ‖a−b‖² + tr(A + B − 2(A^{½}BA^{½})^{½}) (Bures).</summary>
    public static double W2Squared(Vector<double> a, Matrix<double> covA, Vector<double> b, Matrix<double> covB)
    {
        Check(a, covA, b, covB);
        (covA, covB) = (Dense(covA), Dense(covB));
        var rootA = SquareRoot(covA);
        var cross = SquareRoot(rootA * covB * rootA);
        var diff = a - b;
        return diff.DotProduct(diff) + Math.Max(0, (covA + covB - 2 * cross).Trace());
    }

    /// <summary>
    /// log BC = ¼ log det A + ¼ log det B − ½ log det S − ⅛ (a−b)ᵀS⁻¹(a−b), S = (A + B)/2 (Bhattacharyya coefficient).
    /// </summary>
    public static double LogBhattacharyya(Vector<double> a, Matrix<double> covA, Vector<double> b, Matrix<double> covB)
    {
        Check(a, covA, b, covB);
        (covA, covB) = (Dense(covA), Dense(covB));
        var s = 0.5 * (covA + covB);
        var chol = s.Cholesky();
        var z = chol.Factor.Solve(a - b);
        return 0.25 * covA.Cholesky().DeterminantLn + 0.25 * covB.Cholesky().DeterminantLn - 0.5 * chol.DeterminantLn
               - z.DotProduct(z) / 8;
    }

    /// <summary>
    /// Gaussian-kernel MMD² = E_PP + E_QQ − 2E_PQ with E k(X, Y) = det(I + (A+B)/ℓ²)^{−½} exp(−½ δᵀ(ℓ²I + A + B)⁻¹δ).
    /// </summary>
    public static double MmdSquared(Vector<double> a, Matrix<double> covA, Vector<double> b, Matrix<double> covB,
        double lengthScale)
    {
        Check(a, covA, b, covB);
        (covA, covB) = (Dense(covA), Dense(covB));
        Validation.Guard.Positive(lengthScale, nameof(lengthScale));
        double l2 = lengthScale * lengthScale;
        return Math.Exp(LogKernelMean(2 * covA, null, l2)) + Math.Exp(LogKernelMean(2 * covB, null, l2))
               - 2 * Math.Exp(LogKernelMean(covA + covB, a - b, l2));
    }

    static double LogKernelMean(Matrix<double> sum, Vector<double>? delta, double l2)
    {
        var shifted = sum + l2 * Matrix<double>.Build.DenseIdentity(sum.RowCount);
        var chol = shifted.Cholesky();
        // det(I + S/ℓ²) = det(ℓ²I + S)/ℓ^{2d}.
        double logDet = chol.DeterminantLn - sum.RowCount * Math.Log(l2);
        double quad = 0;
        if (delta is not null) { var z = chol.Factor.Solve(delta); quad = z.DotProduct(z); }
        return -0.5 * logDet - 0.5 * quad;
    }

    // Dense copies: MathNet 5's sparse products (taken for diagonal inputs) can fail, and these matrices are small.
    static Matrix<double> Dense(Matrix<double> m) => Matrix<double>.Build.DenseOfMatrix(m);

    static Matrix<double> Symmetrise(Matrix<double> m) => 0.5 * (m + m.Transpose());

    static Matrix<double> SquareRoot(Matrix<double> spd)
    {
        var evd = Symmetrise(spd).Evd(Symmetricity.Symmetric);
        var v = Dense(evd.EigenVectors);
        var scaled = v.Clone();
        // Round-off can leave tiny negative eigenvalues of a semidefinite matrix; their root is 0.
        for (int j = 0; j < v.ColumnCount; j++) scaled.SetColumn(j, v.Column(j) * Math.Sqrt(Math.Max(0, evd.EigenValues[j].Real)));
        return scaled * v.Transpose();
    }

    static void Check(Vector<double> a, Matrix<double> covA, Vector<double> b, Matrix<double> covB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(covA);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(covB);
        int d = a.Count;
        Validation.Guard.Length(b.Count, d, nameof(b));
        Validation.Guard.Length(covA.RowCount, d, "covA rows");
        Validation.Guard.Length(covA.ColumnCount, d, "covA columns");
        Validation.Guard.Length(covB.RowCount, d, "covB rows");
        Validation.Guard.Length(covB.ColumnCount, d, "covB columns");
    }
}
