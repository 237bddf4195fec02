/// The result type of every sample-based metric: an estimate, its standard error and the noise floor below which a
/// value cannot be told apart from a perfect sampler. Rate fits drop points at or below the floor.
module RateLab.Analysis.Metrics.SampleEstimate

open System
open MathNet.Numerics.Distributions
open RateLab.Core.Validation
open RateLab.Analysis.Model.Records

/// A sample-metric value with its uncertainty and floor.
type SampleEstimate =
    {
        Value: float
        StdError: float
        /// Null expectation (what a perfect sampler shows at this sample size) plus FloorZ null standard errors.
        Floor: float
        StdErrorMethod: string
        FloorMethod: string
    }

/// Standard errors above the null expectation at which the floor is set: a perfect sampler exceeds it with
/// probability ≈ 2.3 % (one-sided normal).
let FloorZ = 2.0

/// A normal interval at the given level, for the result records.
let toEstimate (level: float) (s: SampleEstimate) : Estimate =
    Guard.InOpen(level, 0.0, 1.0, nameof level) |> ignore
    let z = Normal.InvCDF(0.0, 1.0, (1.0 + level) / 2.0)

    { Value = s.Value
      Lower = s.Value - z * s.StdError
      Upper = s.Value + z * s.StdError
      StdError = s.StdError
      Level = level }

/// Checks a sample of n rows of equal dimension with finite entries and returns the dimension.
let checkSample (name: string) (minRows: int) (xs: float[][]) =
    Guard.AtLeast(xs.Length, minRows, $"{name}.Length") |> ignore
    let d = xs.[0].Length
    Guard.AtLeast(d, 1, $"{name}[0].Length") |> ignore
    // Names are formatted only for a failing row: samples have millions of rows.
    xs
    |> Array.iteri (fun i r ->
        if r.Length <> d then
            Guard.Length(r.Length, d, $"{name}[{i}]")

        if not (Array.forall Double.IsFinite r) then
            Guard.AllFinite(ReadOnlySpan r, $"{name}[{i}]"))

    d

/// Checks that two samples have the same dimension.
let checkSameDimension (dx: int) (dy: int) =
    if dx <> dy then
        raise (ArgumentException($"y has dimension {dy}; allowed: the dimension of x ({dx}).", "y"))
