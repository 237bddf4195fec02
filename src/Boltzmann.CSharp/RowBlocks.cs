namespace RateLab.Boltzmann;

/// <summary>
/// Runs independent per-row work (log-densities, output gradients, Euler–Maruyama updates) in fixed blocks of rows on
/// up to a given number of threads; every row is computed the same way wherever it runs, so results do not depend on
/// the thread count. Without it the per-row scalar work would stay serial next to the parallel network.
/// </summary>
static class RowBlocks
{
    const int Block = 64;

    /// <summary>body(start, end) over consecutive blocks covering [0, <paramref name="count"/>).</summary>
    public static void For(int count, int maxThreads, Action<int, int> body)
    {
        int blocks = (count + Block - 1) / Block;
        if (maxThreads == 1 || blocks <= 1) { if (count > 0) body(0, count); return; }
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = maxThreads },
            k => body(k * Block, Math.Min(count, (k + 1) * Block)));
    }
}
