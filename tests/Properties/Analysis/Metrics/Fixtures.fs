/// Seeded Gaussian samples and replicate summaries shared by the metric tests.
module RateLab.Properties.Analysis.Metrics.Fixtures

open RateLab.Core.Randomness
open RateLab.Analysis.Metrics.SampleEstimate
open RateLab.Properties

/// n rows of N(mean, diag(sd²)); replicate r and stream s select independent counter keys.
let gaussian (seed: uint64) (stream: int) (r: int) (n: int) (mean: float[]) (sd: float[]) =
    Array.init n (fun i ->
        let z = Array.zeroCreate mean.Length
        CounterRng.Normals(seed, int64 r, int64 i, stream, System.Span z)
        Array.init mean.Length (fun j -> mean.[j] + sd.[j] * z.[j]))

/// True when the replicate mean of the estimates is within 5 standard errors of the expected value
/// (false failure 5.7e-7 when the estimator is unbiased).
let meanMatches (expected: float) (estimates: SampleEstimate[]) =
    let m, se = Stats.meanAndSe (estimates |> Array.map (fun e -> e.Value))
    Stats.within Stats.z5 se m expected, $"replicate mean {m} ± {se}, expected {expected}"

/// Compares the observed variance of the values across replicates with the mean reported SE². The ratio's standard
/// error is propagated from the SE of the sample variance (fourth moment) and the SE of the mean of SE²; the band is
/// 5 of those (false failure ≈ 5.7e-7 under the normal approximation to the ratio).
let stdErrorMatches (estimates: SampleEstimate[]) =
    let v, seV = Stats.varianceAndSe (estimates |> Array.map (fun e -> e.Value))
    let m, seM = Stats.meanAndSe (estimates |> Array.map (fun e -> e.StdError ** 2.0))
    let ratio = v / m
    let seRatio = sqrt ((seV / m) ** 2.0 + (v * seM / (m * m)) ** 2.0)
    Stats.within Stats.z5 seRatio ratio 1.0, $"observed variance / mean SE² = {ratio} ± {seRatio}"
