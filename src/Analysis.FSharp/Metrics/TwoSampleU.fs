/// Two-sample U-statistics  D = mean_{i≠j} k(xᵢ,xⱼ) + mean_{i≠j} k(yᵢ,yⱼ) − 2·mean_{i,j} k(xᵢ,yⱼ), the common form of
/// MMD² (Gaussian kernel) and energy distance (k = −‖x − y‖). Both are unbiased, hence zero in expectation on identical
/// laws, and their standard error is the two-sample delete-one jackknife (Arvesen 1969):
/// V = (n−1)/n·Σᵢ(D₍ᵢ₎ − D̄ₓ)² + (m−1)/m·Σⱼ(D₍ⱼ₎ − D̄ᵧ)², computed in O(1) per deletion from kernel row sums.
/// The jackknife is consistent when the laws differ; on identical laws the statistic is degenerate (variance O(1/n²))
/// and the jackknife overstates its variance by about a factor 2, which only makes the floor conservative.
module RateLab.Analysis.Metrics.TwoSampleU

open RateLab.Analysis.Metrics.SampleEstimate

/// Value and jackknife standard error of D for the kernel k.
let estimate (k: float[] -> float[] -> float) (x: float[][]) (y: float[][]) =
    checkSameDimension (checkSample "x" 3 x) (checkSample "y" 3 y)
    let n, m = x.Length, y.Length

    let rowSums (z: float[][]) =
        let r = Array.zeroCreate z.Length

        for i in 0 .. z.Length - 1 do
            for j in i + 1 .. z.Length - 1 do
                let v = k z.[i] z.[j]
                r.[i] <- r.[i] + v
                r.[j] <- r.[j] + v

        r

    let rx, ry = rowSums x, rowSums y
    let cx, cy = Array.zeroCreate n, Array.zeroCreate m

    for i in 0 .. n - 1 do
        for j in 0 .. m - 1 do
            let v = k x.[i] y.[j]
            cx.[i] <- cx.[i] + v
            cy.[j] <- cy.[j] + v

    let sxx, syy, sxy = Array.sum rx, Array.sum ry, Array.sum cx

    let d (sxx: float) n (syy: float) m (sxy: float) =
        sxx / (n * (n - 1.0)) + syy / (m * (m - 1.0)) - 2.0 * sxy / (n * m)

    let fn, fm = float n, float m
    let value = d sxx fn syy fm sxy
    // Deleting xᵢ removes its row and column from Kxx (2·rxᵢ) and its row from Kxy (cxᵢ).
    let dx =
        Array.init n (fun i -> d (sxx - 2.0 * rx.[i]) (fn - 1.0) syy fm (sxy - cx.[i]))

    let dy =
        Array.init m (fun j -> d sxx fn (syy - 2.0 * ry.[j]) (fm - 1.0) (sxy - cy.[j]))

    let spread (ds: float[]) =
        let mean = Array.average ds

        float (ds.Length - 1) / float ds.Length
        * (ds |> Array.sumBy (fun v -> (v - mean) ** 2.0))

    value, sqrt (spread dx + spread dy)

/// Wraps a U-statistic value as a SampleEstimate whose floor is FloorZ standard errors above the null mean 0.
let toSampleEstimate (value: float, se: float) =
    { Value = value
      StdError = se
      Floor = FloorZ * se
      StdErrorMethod =
        "two-sample delete-one jackknife of the U-statistic (conservative by about 2x in variance on identical laws)"
      FloorMethod = $"null mean 0 (unbiased U-statistic) plus {FloorZ} jackknife standard errors" }
