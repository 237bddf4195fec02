/// Tolerances for statistical checks come from standard errors, never from hand-set bands. Every threshold here
/// states its false-failure probability under the null hypothesis, so a suite can add them up.
module RateLab.Testing.Statistics

open MathNet.Numerics.Distributions

/// Two-sided z-threshold of 5 standard errors.
let z5 = 5.0

/// The two-sided false-failure probability of one comparison at <see cref="z5"/>: 2·(1 − Φ(5)) ≈ 5.7e-7.
let z5FalseFailure = 2.0 * (1.0 - Normal.CDF(0.0, 1.0, z5))

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

/// Student-t quantile for a two-sided interval at the z5 false-failure level, `dof` degrees of freedom.
let tQuantile5 (dof: int) =
    StudentT.InvCDF(0.0, 1.0, float dof, 1.0 - z5FalseFailure / 2.0)

/// Every coordinate's z-scores have mean 0 and variance 1 within 5 SE (2 comparisons per coordinate).
let standardNormal (zs: float[][]) =
    zs
    |> Array.forall (fun z ->
        let m, se = meanAndSe z
        let v, vse = varianceAndSe z
        within z5 se m 0.0 && within z5 vse v 1.0)

/// Positions (chains × d, row-major) whose per-coordinate mean and variance agree with N(mean, diag variance) within
/// 5 SE (2 comparisons per coordinate).
let matchesMoments (mean: float[]) (variance: float[]) (x: float[]) (chains: int) =
    let d = mean.Length

    [ 0 .. d - 1 ]
    |> List.forall (fun i ->
        let xs = Array.init chains (fun k -> x.[k * d + i])
        let v, vse = varianceAndSe xs

        within z5 (sqrt (variance.[i] / float chains)) (Array.average xs) mean.[i]
        && within z5 vse v variance.[i])
