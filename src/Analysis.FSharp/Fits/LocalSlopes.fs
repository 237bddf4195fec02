/// Local slopes d log(error) / d log(cost) between successive grid points. They show the pre-asymptotic drift
/// (docs/background.md) that a single fitted exponent hides, and the fit-window rule is built on their agreement.
module RateLab.Analysis.Fits.LocalSlopes

open System
open RateLab.Core.Validation
open RateLab.Analysis.Model.Records

/// The slope between two successive grid points, with the standard error propagated from the two errors.
type LocalSlope =
    {
        FromCost: float
        ToCost: float
        /// Δ log error / Δ log cost: about −p for an error ∝ cost^(−p).
        Slope: float
        /// Delta method: se(log e) = se(e)/e at each end; exact values (StdError NaN) contribute no sampling error.
        StdError: float
    }

/// se(log e) of one estimate by the delta method; 0 for exact values.
let logStdError (e: Estimate) =
    if Double.IsNaN e.StdError then
        0.0
    else
        e.StdError / e.Value

/// Local slopes between successive (cost, error) pairs; costs must increase strictly and errors be positive.
let compute (points: (float * Estimate)[]) : LocalSlope[] =
    points
    |> Array.iteri (fun i (c, e) ->
        Guard.Positive(c, $"points[{i}].cost") |> ignore
        Guard.Positive(e.Value, $"points[{i}].error") |> ignore

        if i > 0 && not (c > fst points.[i - 1]) then
            raise (
                ArgumentOutOfRangeException(
                    $"points[{i}].cost",
                    $"points[{i}].cost = {c} is out of range; allowed: greater than points[{i - 1}].cost = {fst points.[i - 1]} (strictly increasing)."
                )
            ))

    points
    |> Array.pairwise
    |> Array.map (fun ((c0, e0), (c1, e1)) ->
        let dx = log c1 - log c0

        { FromCost = c0
          ToCost = c1
          Slope = (log e1.Value - log e0.Value) / dx
          StdError = sqrt (logStdError e0 ** 2.0 + logStdError e1 ** 2.0) / dx })

/// The secant slopes that error ∝ (ln N)^a·N^(−p) predicts between successive costs:
/// −p + a·ln(ln N_{k+1} / ln N_k) / ln(N_{k+1} / N_k). Drawn next to the measured local slopes, they show whether a
/// drift is the log factor's. Costs must exceed 1 (so ln N > 0) and increase strictly.
let predictedDrift (p: float) (a: float) (costs: float[]) : float[] =
    Guard.Finite(p, nameof p) |> ignore
    Guard.Finite(a, nameof a) |> ignore

    costs
    |> Array.iteri (fun i c ->
        let fail (allowed: string) =
            raise (
                ArgumentOutOfRangeException($"costs[{i}]", $"costs[{i}] = {c} is out of range; allowed: {allowed}.")
            )

        if not (c > 1.0 && Double.IsFinite c) then
            fail "finite and greater than 1 (ln N > 0)"

        if i > 0 && not (c > costs.[i - 1]) then
            fail $"greater than costs[{i - 1}] = {costs.[i - 1]} (strictly increasing)")

    costs
    |> Array.pairwise
    |> Array.map (fun (n0, n1) -> -p + a * log (log n1 / log n0) / log (n1 / n0))
