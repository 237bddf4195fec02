using System.Numerics.Tensors;

namespace RateLab.Boltzmann;

/// <summary>
/// One dense layer y = A x + b of <see cref="TimeStateMlp"/> (A row-major at θ[Offset], b right after it), copied
/// with zero padding to multiples of 8 rows and columns, as stored (for ∂L/∂x = Aᵀ ḡ) and transposed (for the
/// forward product), so the kernels never need a tail. The zero padding keeps padded lanes at exactly 0.
/// </summary>
sealed class PackedLayer
{
    /// <summary>Layer at θ offset <paramref name="offset"/>, <paramref name="rows"/> × <paramref name="cols"/>; its
    /// gradient lives at <paramref name="gradientOffset"/> of a slot's partial gradient.</summary>
    public PackedLayer(int offset, int rows, int cols, int gradientOffset)
    {
        Offset = offset; Rows = rows; Cols = cols; RowsP = Pad(rows); ColsP = Pad(cols);
        GradientOffset = gradientOffset;
        Weights = new double[RowsP * ColsP]; Transposed = new double[ColsP * RowsP]; Bias = new double[RowsP];
    }

    /// <summary>n rounded up to a multiple of 8 (one Vector512 of doubles).</summary>
    public static int Pad(int n) => (n + 7) & ~7;

    public int Offset { get; }
    public int Rows { get; }
    public int Cols { get; }
    public int RowsP { get; }
    public int ColsP { get; }
    public int GradientOffset { get; }
    /// <summary>Padded gradient length in a slot's partial: weights RowsP × ColsP, then bias RowsP.</summary>
    public int GradientLength => RowsP * ColsP + RowsP;
    public double[] Weights { get; }
    public double[] Transposed { get; }
    public double[] Bias { get; }

    /// <summary>Copies the current θ in.</summary>
    public void Pack(double[] theta)
    {
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Cols; c++)
            {
                double v = theta[Offset + r * Cols + c];
                Weights[r * ColsP + c] = v; Transposed[c * RowsP + r] = v;
            }
        Array.Copy(theta, Offset + Rows * Cols, Bias, 0, Rows);
    }

    /// <summary>
    /// gradient[θ] += the unpadded part of <paramref name="partial"/>, a row at a time as vector adds: each element
    /// gets the same one addition as a scalar loop would give it, so the sums over slots keep their bits.
    /// </summary>
    public void AddTo(double[] partial, double[] gradient)
    {
        for (int r = 0; r < Rows; r++)
        {
            var row = gradient.AsSpan(Offset + r * Cols, Cols);
            TensorPrimitives.Add(row, partial.AsSpan(GradientOffset + r * ColsP, Cols), row);
        }
        var bias = gradient.AsSpan(Offset + Rows * Cols, Rows);
        TensorPrimitives.Add(bias, partial.AsSpan(GradientOffset + RowsP * ColsP, Rows), bias);
    }
}
