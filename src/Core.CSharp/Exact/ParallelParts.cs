using System.Runtime.ExceptionServices;

namespace RateLab.Core.Exact;

/// <summary>
/// Independent parts of an exact computation (coordinate blocks, chunks of draw replicates) on up to a given number of
/// threads. Each part writes only its own slots, so the results do not depend on the thread count; an error is the
/// lowest failing part's own exception whatever the thread timing (e.g. the sampler's divergence, not an
/// AggregateException), so a single-threaded rerun reproduces it.
/// </summary>
static class ParallelParts
{
    /// <summary>Runs <paramref name="part"/>(0 … <paramref name="count"/> − 1) on up to <paramref name="maxThreads"/>
    /// threads (−1: all cores).</summary>
    public static void For(int count, int maxThreads, Action<int> part)
    {
        var errors = new Exception?[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = maxThreads }, i =>
        {
            try
            {
                part(i);
            }
            catch (Exception e) { errors[i] = e; }
        });
        if (Array.Find(errors, e => e is not null) is { } first) ExceptionDispatchInfo.Capture(first).Throw();
    }
}
