namespace RateLab.Core.Samplers;

/// <summary>The states of a set of chains as one contiguous chains × StateLength array of doubles.</summary>
public sealed class ChainBatch
{
    /// <summary>Allocates zeroed state for chains [firstChain, firstChain + chains).</summary>
    public ChainBatch(int chains, int stateLength, int dimension, long firstChain = 0)
    {
        Validation.Guard.AtLeast(chains, 1, nameof(chains));
        Chains = chains; StateLength = stateLength; Dimension = dimension; FirstChain = firstChain;
        States = new double[(long)chains * stateLength];
    }

    /// <summary>Number of chains.</summary>
    public int Chains { get; }
    /// <summary>Global index of the first chain (batches of one run cover disjoint ranges).</summary>
    public long FirstChain { get; }
    /// <summary>Doubles per chain.</summary>
    public int StateLength { get; }
    /// <summary>Dimension d.</summary>
    public int Dimension { get; }
    /// <summary>All states, row-major.</summary>
    public double[] States { get; }

    /// <summary>The whole state of local chain <paramref name="c"/>.</summary>
    public Span<double> State(int c) => States.AsSpan(c * StateLength, StateLength);

    /// <summary>The position block of local chain <paramref name="c"/>.</summary>
    public Span<double> Position(int c) => States.AsSpan(c * StateLength, Dimension);

    /// <summary>Copies the positions into a new chains × d array.</summary>
    public double[] Positions()
    {
        var x = new double[Chains * Dimension];
        for (int c = 0; c < Chains; c++) Position(c).CopyTo(x.AsSpan(c * Dimension, Dimension));
        return x;
    }
}
