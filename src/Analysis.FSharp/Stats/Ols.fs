/// Ordinary least squares y = Xβ + e with an intercept, for the handful of regressors a rate fit has (log d, log 1/ε,
/// log 1/N). Solved through the normal equations with a Cholesky factor: p ≤ 4 and the regressors are logs of
/// well-spread grids, so XᵀX is well conditioned; collinearity is detected and reported instead of fitted through.
module RateLab.Analysis.Stats.Ols

open System
open RateLab.Core.Validation

/// A least-squares fit; index 0 of every array is the intercept, then the regressors in input order.
type OlsFit =
    { Coefficients: float[]
      /// sqrt(diag((XᵀX)⁻¹)·σ̂²): the classical standard errors.
      StdErrors: float[]
      Residuals: float[]
      /// σ̂² = ‖y − Xβ̂‖² / (n − p).
      Sigma2: float
      /// Residual degrees of freedom n − p.
      Dof: int }

/// The design with an intercept column and the fixed hat operator (XᵀX)⁻¹Xᵀ, so refits on new responses (bootstrap)
/// cost one matrix–vector product.
type Design =
    { Rows: float[][]
      /// (XᵀX)⁻¹, p × p.
      Inverse: float[,]
      /// (XᵀX)⁻¹Xᵀ, p × n.
      Hat: float[,] }

let private choleskyInverse (a: float[,]) =
    let p = Array2D.length1 a
    let l = Array2D.zeroCreate p p
    let maxDiag = Seq.init p (fun i -> a.[i, i]) |> Seq.max
    for j in 0 .. p - 1 do
        let mutable s = a.[j, j]
        for k in 0 .. j - 1 do s <- s - l.[j, k] * l.[j, k]
        // A pivot this small relative to the largest diagonal means a regressor is (nearly) a combination of others.
        if not (s > 1e-12 * maxDiag) then
            raise (ArgumentException($"regressors are collinear (column {j} of the design with intercept depends on the others); allowed: linearly independent regressors.", "regressors"))
        l.[j, j] <- sqrt s
        for i in j + 1 .. p - 1 do
            let mutable t = a.[i, j]
            for k in 0 .. j - 1 do t <- t - l.[i, k] * l.[j, k]
            l.[i, j] <- t / l.[j, j]
    // Invert L by forward substitution, then (XᵀX)⁻¹ = L⁻ᵀL⁻¹.
    let li = Array2D.zeroCreate p p
    for i in 0 .. p - 1 do
        li.[i, i] <- 1.0 / l.[i, i]
        for j in 0 .. i - 1 do
            let mutable t = 0.0
            for k in j .. i - 1 do t <- t + l.[i, k] * li.[k, j]
            li.[i, j] <- -t / l.[i, i]
    Array2D.init p p (fun i j ->
        let mutable t = 0.0
        for k in max i j .. p - 1 do t <- t + li.[k, i] * li.[k, j]
        t)

/// Builds the design from regressor rows (without the intercept column). Needs n > p so that σ̂² exists.
let design (regressors: float[][]) : Design =
    let n = regressors.Length
    if n = 0 then raise (ArgumentException("regressors has 0 rows; allowed: at least 2.", nameof regressors))
    let k = regressors.[0].Length
    let p = k + 1
    Guard.AtLeast(n, p + 1, "regressors.Length (points; must exceed the number of coefficients)") |> ignore
    regressors |> Array.iteri (fun i r ->
        Guard.Length(r.Length, k, $"regressors[{i}]")
        Guard.AllFinite(ReadOnlySpan r, $"regressors[{i}]"))
    let rows = regressors |> Array.map (fun r -> Array.append [| 1.0 |] r)
    let xtx = Array2D.init p p (fun i j -> rows |> Array.sumBy (fun r -> r.[i] * r.[j]))
    let inv = choleskyInverse xtx
    let hat = Array2D.init p n (fun i t ->
        let mutable s = 0.0
        for j in 0 .. p - 1 do s <- s + inv.[i, j] * rows.[t].[j]
        s)
    { Rows = rows; Inverse = inv; Hat = hat }

/// Fits the response y on a prepared design.
let fitDesign (x: Design) (y: float[]) : OlsFit =
    let n = x.Rows.Length
    let p = Array2D.length1 x.Hat
    Guard.Length(y.Length, n, nameof y)
    Guard.AllFinite(ReadOnlySpan y, nameof y)
    let beta = Array.init p (fun i ->
        let mutable s = 0.0
        for t in 0 .. n - 1 do s <- s + x.Hat.[i, t] * y.[t]
        s)
    let residuals = Array.init n (fun t ->
        let mutable f = 0.0
        for j in 0 .. p - 1 do f <- f + x.Rows.[t].[j] * beta.[j]
        y.[t] - f)
    let dof = n - p
    let sigma2 = (residuals |> Array.sumBy (fun e -> e * e)) / float dof
    { Coefficients = beta
      StdErrors = Array.init p (fun i -> sqrt (x.Inverse.[i, i] * sigma2))
      Residuals = residuals
      Sigma2 = sigma2
      Dof = dof }

/// Fits y = β₀ + Σ βⱼ·regressorsⱼ + e.
let fit (regressors: float[][]) (y: float[]) : OlsFit = fitDesign (design regressors) y
