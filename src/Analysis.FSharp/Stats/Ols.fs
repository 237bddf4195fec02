/// Ordinary least squares y = Xβ + e with an intercept, for the handful of regressors a rate fit has (log d, log 1/ε,
/// log 1/N). The regressors are centred and scaled to unit length and factored by Gram–Schmidt QR (orthogonalised
/// twice), so neither the number of rows (10⁵ and more) nor regressors that span a tiny range (log-costs of
/// neighbouring large integers) lose accuracy the way the normal equations did; a regressor is reported as collinear
/// only when it is, to within 1e-8, a combination of the intercept and the others.
module RateLab.Analysis.Stats.Ols

open System
open RateLab.Core.Validation

/// A least-squares fit; index 0 of every array is the intercept, then the regressors in input order.
type OlsFit =
    {
        Coefficients: float[]
        /// sqrt(diag((XᵀX)⁻¹)·σ̂²): the classical standard errors.
        StdErrors: float[]
        Residuals: float[]
        /// σ̂² = ‖y − Xβ̂‖² / (n − p).
        Sigma2: float
        /// Residual degrees of freedom n − p.
        Dof: int
    }

/// The design with an intercept column and the fixed hat operator (XᵀX)⁻¹Xᵀ, so refits on new responses (bootstrap)
/// cost one matrix–vector product.
type Design =
    {
        Rows: float[][]
        /// (XᵀX)⁻¹, p × p.
        Inverse: float[,]
        /// (XᵀX)⁻¹Xᵀ, p × n.
        Hat: float[,]
    }

/// Distance (relative to its length) below which a centred regressor counts as a combination of the others.
[<Literal>]
let CollinearityTolerance = 1e-8

let private collinear (j: int) =
    let message =
        $"regressors are collinear (regressor {j} is a combination of the intercept and the others); "
        + "allowed: linearly independent regressors."

    raise (ArgumentException(message, "regressors"))

let private dot (a: float[]) (b: float[]) =
    let mutable s = 0.0

    for t in 0 .. a.Length - 1 do
        s <- s + a.[t] * b.[t]

    s

/// Thin QR of the centred, unit-length columns: Q (columns orthonormal) and upper-triangular R.
let private qr (columns: float[][]) =
    let k = columns.Length
    let q = columns |> Array.map Array.copy
    let r = Array2D.zeroCreate k k

    for j in 0 .. k - 1 do
        // Two passes of modified Gram–Schmidt keep Q orthogonal to round-off however close the columns are.
        for _ in 1..2 do
            for i in 0 .. j - 1 do
                let c = dot q.[i] q.[j]
                r.[i, j] <- r.[i, j] + c

                for t in 0 .. q.[j].Length - 1 do
                    q.[j].[t] <- q.[j].[t] - c * q.[i].[t]

        let norm = sqrt (dot q.[j] q.[j])

        if not (norm > CollinearityTolerance) then
            collinear j

        r.[j, j] <- norm

        for t in 0 .. q.[j].Length - 1 do
            q.[j].[t] <- q.[j].[t] / norm

    q, r

/// R⁻¹ of an upper-triangular R by back substitution.
let private upperInverse (r: float[,]) =
    let k = Array2D.length1 r
    let ri = Array2D.zeroCreate k k

    for j in 0 .. k - 1 do
        ri.[j, j] <- 1.0 / r.[j, j]

        for i in j - 1 .. -1 .. 0 do
            let mutable s = 0.0

            for m in i + 1 .. j do
                s <- s + r.[i, m] * ri.[m, j]

            ri.[i, j] <- -s / r.[i, i]

    ri

/// Builds the design from regressor rows (without the intercept column). Needs n > p so that σ̂² exists.
let design (regressors: float[][]) : Design =
    let n = regressors.Length

    if n = 0 then
        raise (ArgumentException("regressors has 0 rows; allowed: at least 2.", nameof regressors))

    let k = regressors.[0].Length
    let p = k + 1

    Guard.AtLeast(n, p + 1, "regressors.Length (points; must exceed the number of coefficients)")
    |> ignore

    regressors
    |> Array.iteri (fun i r ->
        Guard.Length(r.Length, k, $"regressors[{i}]")
        Guard.AllFinite(ReadOnlySpan r, $"regressors[{i}]"))
    // z_j = (x_j − m_j)/s_j: orthogonal to the intercept and of unit length, so β_j = γ_j/s_j, β₀ = ȳ − Σ m_j β_j.
    let means = Array.init k (fun j -> regressors |> Array.averageBy (fun r -> r.[j]))

    let centred =
        Array.init k (fun j -> Array.init n (fun t -> regressors.[t].[j] - means.[j]))

    let scales =
        centred
        |> Array.mapi (fun j c ->
            let s = sqrt (dot c c)
            // A column that is constant to round-off is the intercept again.
            if not (s > CollinearityTolerance * (abs means.[j] * sqrt (float n) + s)) then
                collinear j

            s)

    let q, r =
        qr (Array.init k (fun j -> centred.[j] |> Array.map (fun v -> v / scales.[j])))

    let ri = upperInverse r
    // γ = R⁻¹Qᵀy and Var γ ∝ R⁻¹R⁻ᵀ; β_j = γ_j/s_j and β₀ = ȳ − Σ m_j γ_j/s_j (ȳ is uncorrelated with γ).
    let gammaHat =
        Array2D.init k n (fun i t ->
            let mutable s = 0.0

            for m in i .. k - 1 do
                s <- s + ri.[i, m] * q.[m].[t]

            s)

    let hat = Array2D.zeroCreate p n

    for t in 0 .. n - 1 do
        let mutable shift = 0.0

        for j in 0 .. k - 1 do
            let b = gammaHat.[j, t] / scales.[j]
            hat.[j + 1, t] <- b
            shift <- shift + means.[j] * b

        hat.[0, t] <- 1.0 / float n - shift

    let gammaCov =
        Array2D.init k k (fun i j ->
            let mutable s = 0.0

            for m in max i j .. k - 1 do
                s <- s + ri.[i, m] * ri.[j, m]

            s)
    // (XᵀX)⁻¹ = T·diag(1/n, R⁻¹R⁻ᵀ)·Tᵀ with T mapping (ȳ, γ) to β.
    let slopeCov i j =
        gammaCov.[i, j] / (scales.[i] * scales.[j])

    let inverse =
        Array2D.init p p (fun a b ->
            match a, b with
            | 0, 0 ->
                let mutable s = 1.0 / float n

                for i in 0 .. k - 1 do
                    for j in 0 .. k - 1 do
                        s <- s + means.[i] * means.[j] * slopeCov i j

                s
            | 0, j
            | j, 0 -> -(Array.init k (fun i -> means.[i] * slopeCov i (j - 1)) |> Array.sum)
            | i, j -> slopeCov (i - 1) (j - 1))

    { Rows = regressors |> Array.map (fun r -> Array.append [| 1.0 |] r)
      Inverse = inverse
      Hat = hat }

/// Fits the response y on a prepared design.
let fitDesign (x: Design) (y: float[]) : OlsFit =
    let n = x.Rows.Length
    let p = Array2D.length1 x.Hat
    Guard.Length(y.Length, n, nameof y)
    Guard.AllFinite(ReadOnlySpan y, nameof y)
    // The hat rows of the slopes sum to 0 and the intercept's to 1 in exact arithmetic; applying them to y − ȳ keeps
    // their rounding (large when a regressor spans a tiny range) from multiplying |ȳ|.
    let yBar = Array.average y

    let beta =
        Array.init p (fun i ->
            let mutable s = if i = 0 then yBar else 0.0

            for t in 0 .. n - 1 do
                s <- s + x.Hat.[i, t] * (y.[t] - yBar)

            s)

    let residuals =
        Array.init n (fun t ->
            let mutable f = 0.0

            for j in 0 .. p - 1 do
                f <- f + x.Rows.[t].[j] * beta.[j]

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
