using System.Diagnostics;
using System.Globalization;
using RateLab.Core.Randomness;

namespace RateLab.Bench;

/// <summary>
/// Normal generation against the sustained memory-write bandwidth for the same bytes: both fill one buffer far larger
/// than the caches (default 256 MiB), best of several passes each, alternated so machine drift hits both alike. The
/// normals are written in chunks of 2¹⁶ per (chain, step, role) key, as samplers request them.
/// </summary>
public static class BandwidthWorkload
{
    const int Chunk = 1 << 16;

    /// <summary>Runs <paramref name="passes"/> alternated passes over a buffer of <paramref name="mebibytes"/> MiB.</summary>
    public static string Run(int mebibytes, int passes)
    {
        var buffer = new double[(long)mebibytes * 1024 * 1024 / sizeof(double)];
        buffer.AsSpan().Clear();   // touch every page before timing
        double fill = double.PositiveInfinity, normals = double.PositiveInfinity;
        for (int p = 0; p < passes; p++)
        {
            var clock = Stopwatch.StartNew();
            buffer.AsSpan().Fill(1.5 + p);
            fill = Math.Min(fill, clock.Elapsed.TotalSeconds);
            clock.Restart();
            for (int c = 0; c * Chunk < buffer.Length; c++)
            {
                int start = c * Chunk;
                CounterRng.Normals(7, c, p, 0, buffer.AsSpan(start, Math.Min(Chunk, buffer.Length - start)));
            }
            normals = Math.Min(normals, clock.Elapsed.TotalSeconds);
        }
        double bytes = buffer.Length * (double)sizeof(double);
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"bytes\": {bytes:R}, \"write_GBps\": {bytes / fill / 1e9:R}, \"normals_GBps\": {bytes / normals / 1e9:R}, \"normals_per_second\": {buffer.Length / normals:R}, \"ratio\": {normals / fill:R}}}");
    }
}
