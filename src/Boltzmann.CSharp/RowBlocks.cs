namespace RateLab.Boltzmann;

/// <summary>
/// Runs independent per-row work (network rows, log-densities, output gradients, Euler–Maruyama updates) as one
/// contiguous block of rows per thread; every row is computed the same way wherever it runs, so results do not depend
/// on the thread count. One block per thread, of nearly equal size, because the callers' blocks are few and even: a
/// finer split left one thread with a block more than the other at every join (300 rows in blocks of 64 ran 192 rows
/// against 108).
/// </summary>
static class RowBlocks
{
    // Block sizes are multiples of the matrix kernels' 4-row register tile where the rows allow it.
    const int Tile = 4;

    /// <summary>body(start, end) over at most <paramref name="maxThreads"/> consecutive blocks covering [0, <paramref name="count"/>).</summary>
    public static void For(int count, int maxThreads, Action<int, int> body)
    {
        int tiles = (count + Tile - 1) / Tile, blocks = Math.Min(maxThreads, tiles);
        if (blocks <= 1) { if (count > 0) body(0, count); return; }
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = blocks },
            k => body(Math.Min(count, Tile * (tiles * k / blocks)), Math.Min(count, Tile * (tiles * (k + 1) / blocks))));
    }
}
