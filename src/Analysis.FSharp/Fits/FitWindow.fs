/// The rule that chooses which grid points a rate fit uses. Fitting on hand-picked points would let the analyst choose
/// the answer; this rule is mechanical and its text is stored with every fit.
module RateLab.Analysis.Fits.FitWindow

open System
open RateLab.Core.Validation
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Fits

/// Parameters of the window rule.
type WindowRule =
    { /// Fewest points a window may have (≥ 3, so a straight line is tested, not just drawn).
      MinPoints: int
      /// Slack on the difference of two local slopes for pre-asymptotic drift and log factors, in exponent units.
      SlopeTolerance: float
      /// Multiple of the combined local-slope standard error added to the slack.
      Z: float }

/// Minimum 3 points, slopes agreeing within 0.25 + 2 SE.
let defaultRule = { MinPoints = 3; SlopeTolerance = 0.25; Z = 2.0 }

/// The rule in words, stored as FitResult.WindowRule.
let describe (r: WindowRule) =
    $"points are sorted by cost; the first point whose error is at or below its noise floor (or not finite and positive) and every costlier point are dropped; of the rest, the fit uses the run of consecutive points with the largest costs, at least {r.MinPoints} points, grown towards smaller cost while every two of its local slopes differ by at most {r.SlopeTolerance} + {r.Z}·(combined standard error)"

let private validate (r: WindowRule) =
    Guard.AtLeast(r.MinPoints, 3, "rule.MinPoints") |> ignore
    Guard.NonNegative(r.SlopeTolerance, "rule.SlopeTolerance") |> ignore
    Guard.NonNegative(r.Z, "rule.Z") |> ignore

/// Indices (into the input, which must be sorted by strictly increasing cost) chosen by the rule, or None when no
/// window of MinPoints consistent points exists above the floors.
let choose (rule: WindowRule) (points: (float * Estimate)[]) (floors: float[]) : int list option =
    validate rule
    Guard.Length(floors.Length, points.Length, nameof floors)
    let aboveFloor i =
        let e = (snd points.[i]).Value
        Double.IsFinite e && e > 0.0 && e > floors.[i]
    let kept = Seq.initInfinite id |> Seq.takeWhile (fun i -> i < points.Length && aboveFloor i) |> Seq.length
    if kept < rule.MinPoints then None
    else
        let slopes = LocalSlopes.compute points.[.. kept - 1]
        let agree (a: LocalSlopes.LocalSlope) (b: LocalSlopes.LocalSlope) =
            abs (a.Slope - b.Slope) <= rule.SlopeTolerance + rule.Z * sqrt (a.StdError ** 2.0 + b.StdError ** 2.0)
        // Slope k joins points k and k+1; a window of points s..e owns slopes s..e−1.
        let windowFrom e =
            let mutable s = e
            while s > 0 && (seq { s .. e - 1 } |> Seq.forall (fun k -> agree slopes.[s - 1] slopes.[k])) do
                s <- s - 1
            s
        seq { kept - 1 .. -1 .. rule.MinPoints - 1 }
        |> Seq.map (fun e -> windowFrom e, e)
        |> Seq.tryFind (fun (s, e) -> e - s + 1 >= rule.MinPoints)
        |> Option.map (fun (s, e) -> [ s .. e ])
