/// Maximum mean discrepancy with the Gaussian kernel k(x,y) = exp(−‖x−y‖²/(2ℓ²)) (docs/background.md). The value is the
/// unbiased U-statistic of MMD² — it can be negative, which is what makes it zero in expectation on identical laws.
module RateLab.Analysis.Metrics.Mmd

open RateLab.Core.Validation
open RateLab.Analysis.Metrics.SampleEstimate

let private squaredDistance (a: float[]) (b: float[]) =
    let mutable s = 0.0

    for i in 0 .. a.Length - 1 do
        let t = a.[i] - b.[i]
        s <- s + t * t

    s

/// Median heuristic: ℓ = median pairwise distance of a pooled sample (O(n²); pass a subsample). For rate fits compute
/// ℓ once from a large target sample and keep it fixed, so the metric does not change between runs.
let medianBandwidth (pooled: float[][]) =
    checkSample "pooled" 2 pooled |> ignore
    let n = pooled.Length

    let distances =
        [| for i in 0 .. n - 1 do
               for j in i + 1 .. n - 1 -> sqrt (squaredDistance pooled.[i] pooled.[j]) |]

    let sorted = Array.sort distances
    let m = sorted.Length

    let ell =
        if m % 2 = 1 then
            sorted.[m / 2]
        else
            0.5 * (sorted.[m / 2 - 1] + sorted.[m / 2])

    Guard.Positive(ell, "median pairwise distance of pooled") |> ignore
    ell

/// Unbiased MMD² between samples x and y at bandwidth ℓ, with jackknife standard error and floor.
let mmdSquared (ell: float) (x: float[][]) (y: float[][]) : SampleEstimate =
    Guard.Positive(ell, nameof ell) |> ignore
    let c = -0.5 / (ell * ell)

    TwoSampleU.estimate (fun a b -> exp (c * squaredDistance a b)) x y
    |> TwoSampleU.toSampleEstimate
