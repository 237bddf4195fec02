/// Tolerances for statistical tests come from standard errors, never from hand-set bands.
module RateLab.Properties.Stats

/// Two-sided z-threshold for 5 standard errors: false-failure probability 5.7e-7 per comparison under the null.
let z5 = 5.0

/// Sample mean and its standard error.
let meanAndSe (xs: float[]) =
    let n = float xs.Length
    let m = Array.average xs
    let v = (xs |> Array.sumBy (fun x -> (x - m) * (x - m))) / (n - 1.0)
    m, sqrt (v / n)

/// Sample variance and its standard error (delta method with the sample fourth central moment).
let varianceAndSe (xs: float[]) =
    let n = float xs.Length
    let m = Array.average xs
    let v = (xs |> Array.sumBy (fun x -> (x - m) ** 2.0)) / (n - 1.0)
    let m4 = (xs |> Array.sumBy (fun x -> (x - m) ** 4.0)) / n
    v, sqrt ((m4 - v * v) / n)

/// True when |estimate − expected| ≤ z·se.
let within z (se: float) (estimate: float) (expected: float) = abs (estimate - expected) <= z * se
