/// Bootstrap confidence intervals with reproducible resampling: every index is a counter-based uniform keyed by
/// (seed, replicate, position), so an interval depends only on its inputs and the seed.
module RateLab.Analysis.Stats.Bootstrap

open System
open RateLab.Core.Randomness
open RateLab.Core.Validation

/// An index uniform on 0 .. n−1 for position i of bootstrap replicate b.
let resampleIndex (seed: uint64) (b: int) (i: int) (n: int) =
    min (n - 1) (int (CounterRng.Uniform(seed, int64 b, 0L, i) * float n))

/// The q-quantile of sorted values with linear interpolation between order statistics (Hyndman–Fan type 7).
let quantileSorted (sorted: float[]) (q: float) =
    let h = float (sorted.Length - 1) * q
    let lo = int (floor h)
    let hi = min (sorted.Length - 1) (lo + 1)
    sorted.[lo] + (h - float lo) * (sorted.[hi] - sorted.[lo])

let private checkLevel (level: float) =
    Guard.InOpen(level, 0.0, 1.0, nameof level) |> ignore

/// Percentile intervals: the (1−level)/2 and (1+level)/2 quantiles of each component over the bootstrap draws.
let percentileIntervals (level: float) (draws: float[][]) : (float * float)[] =
    checkLevel level
    let k = draws.[0].Length

    Array.init k (fun j ->
        let sorted = draws |> Array.map (fun d -> d.[j]) |> Array.sort
        quantileSorted sorted ((1.0 - level) / 2.0), quantileSorted sorted ((1.0 + level) / 2.0))

/// The residual variance, relative to the data's, below which a resample's refit counts as exact.
[<Literal>]
let DegenerateVariance = 1e-12

/// Studentized residual-bootstrap (bootstrap-t) intervals for OLS coefficients: responses ŷ + e* with e* resampled
/// from the residuals, t* = (β* − β̂)/se*, interval [β̂ − t*₍₁₊ₗ₎/₂·se, β̂ − t*₍₁₋ₗ₎/₂·se]. Studentizing is what keeps
/// coverage near nominal with the few points of a rate fit; a plain percentile interval of β* behaves like a normal
/// interval and under-covers when n − p is small (t-quantile 4.30 versus 1.96 at two degrees of freedom). Replicates
/// whose resampled residuals are all equal are skipped: their refit is exact, so se* is round-off (at most 1e-12 of
/// the data's residual variance) and t* = (β* − β̂)/se* would be round-off divided by round-off, ±10¹² for the
/// intercept.
let residualBootstrapT (x: Ols.Design) (fit: Ols.OlsFit) (seed: uint64) (replicates: int) (level: float) =
    checkLevel level
    Guard.AtLeast(replicates, 99, nameof replicates) |> ignore
    let p = fit.Coefficients.Length

    if fit.Sigma2 = 0.0 then
        // An exact fit leaves nothing to resample: the data carry no noise, so the interval is the point.
        fit.Coefficients |> Array.map (fun b -> b, b)
    else
        let n = fit.Residuals.Length

        let fitted =
            Array.init n (fun t -> Array.fold2 (fun s xj bj -> s + xj * bj) 0.0 x.Rows.[t] fit.Coefficients)

        let ts =
            Array.init replicates (fun b ->
                let y =
                    Array.init n (fun i -> fitted.[i] + fit.Residuals.[resampleIndex seed b i n])

                let f = Ols.fitDesign x y

                if f.Sigma2 > DegenerateVariance * fit.Sigma2 then
                    Some(Array.init p (fun j -> (f.Coefficients.[j] - fit.Coefficients.[j]) / f.StdErrors.[j]))
                else
                    None)
            |> Array.choose id

        let tq = percentileIntervals level ts

        Array.init p (fun j ->
            let lo, hi = tq.[j]
            fit.Coefficients.[j] - hi * fit.StdErrors.[j], fit.Coefficients.[j] - lo * fit.StdErrors.[j])

/// Percentile intervals over replicates (seeds): each bootstrap draw resamples R of the R replicate indices with
/// replacement and evaluates the statistic on them.
let replicatePercentile (statistic: int[] -> float[]) (count: int) (seed: uint64) (replicates: int) (level: float) =
    Guard.AtLeast(count, 2, nameof count) |> ignore
    Guard.AtLeast(replicates, 99, nameof replicates) |> ignore

    Array.init replicates (fun b -> statistic (Array.init count (fun i -> resampleIndex seed b i count)))
    |> percentileIntervals level
