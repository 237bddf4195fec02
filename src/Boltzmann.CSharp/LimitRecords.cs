using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>One point of a limit series: the maximal step of the grid family, the value and its standard error.</summary>
/// <param name="MaxStep">Largest step (1/N for uniform grids; the mean over paths of max Δ for random grids).</param>
/// <param name="Steps">N (or, for the DB study, 1/h rounded).</param>
/// <param name="Value">Estimated value.</param>
/// <param name="StandardError">Its Monte Carlo standard error (batch means over 20 groups, or iid).</param>
public sealed record LimitPoint(double MaxStep, int Steps, double Value, double StandardError);

/// <summary>
/// A series converging (or not) to <paramref name="Reference"/> as the step shrinks; the F# layer fits the rate of
/// |Value − Reference| (or of Value itself for error quantities, whose reference is 0).
/// </summary>
/// <param name="Quantity">What is measured, e.g. "logvar-objective".</param>
/// <param name="Drift">Which drift: zero, linear, optimal, random-network.</param>
/// <param name="Grid">Grid scheme.</param>
/// <param name="Reference">The continuous-time value (closed form where <paramref name="ReferenceIsExact"/>, else a fine-grid estimate).</param>
/// <param name="ReferenceStandardError">Standard error of the reference (0 when exact).</param>
/// <param name="ReferenceIsExact">Whether the reference is a closed form.</param>
/// <param name="Points">The series, coarsest first.</param>
public sealed record LimitSeries(string Quantity, string Drift, GridKind Grid, double Reference, double ReferenceStandardError,
    bool ReferenceIsExact, IReadOnlyList<LimitPoint> Points);

/// <summary>Size of a limit study.</summary>
public sealed record LimitProfile
{
    /// <summary>Validated profile: <paramref name="paths"/> Brownian paths (multiple of 20), coarse step counts, a fine
    /// uniform reference grid of <paramref name="fineSteps"/> ≥ 2ρ·max N steps, DB step sizes h = 2^−k.</summary>
    public LimitProfile(int paths, int[] stepCounts, int fineSteps, double ratio, int[] dbExponents, int dbPairs, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(stepCounts);
        ArgumentNullException.ThrowIfNull(dbExponents);
        Paths = Guard.AtLeast(paths, 40, nameof(paths));
        if (paths % Groups != 0) throw new ArgumentOutOfRangeException(nameof(paths), $"paths = {paths} is out of range; allowed: multiples of {Groups}.");
        Guard.AtLeast(stepCounts.Length, 1, "stepCounts.Length");
        foreach (var n in stepCounts) Guard.AtLeast(n, 1, nameof(stepCounts));
        Ratio = Guard.InClosed(ratio, 1, double.MaxValue, nameof(ratio));
        FineSteps = Guard.AtLeast(fineSteps, (int)Math.Ceiling(2 * ratio * stepCounts.Max()), nameof(fineSteps));
        foreach (var k in dbExponents) Guard.AtLeast(k, 1, nameof(dbExponents));
        DbPairs = Guard.AtLeast(dbPairs, 2, nameof(dbPairs));
        StepCounts = (int[])stepCounts.Clone();
        DbExponents = (int[])dbExponents.Clone();
        Seed = seed;
    }

    /// <summary>Number of batch-means groups used for standard errors.</summary>
    public const int Groups = 20;
    /// <summary>Brownian paths per grid and step count.</summary>
    public int Paths { get; }
    /// <summary>Coarse N values.</summary>
    public int[] StepCounts { get; }
    /// <summary>Fine reference grid size M.</summary>
    public int FineSteps { get; }
    /// <summary>ρ of the random grids.</summary>
    public double Ratio { get; }
    /// <summary>DB study step sizes h = 2^−k.</summary>
    public int[] DbExponents { get; }
    /// <summary>Antithetic pairs per DB step size.</summary>
    public int DbPairs { get; }
    /// <summary>Seed.</summary>
    public ulong Seed { get; }

    /// <summary>A few seconds on one core.</summary>
    public static LimitProfile Quick { get; } = new(200, [2, 4, 8, 16, 32], 1024, 4, [3, 5, 7, 9], 4000, 2026);
    /// <summary>The study size for reports (minutes).</summary>
    public static LimitProfile Full { get; } = new(2000, [2, 4, 8, 16, 32, 64, 128], 8192, 10, [3, 5, 7, 9, 11, 13], 100000, 2026);
}
