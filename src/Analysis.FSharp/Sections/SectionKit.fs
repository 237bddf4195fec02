/// Pieces every report section uses: specs for exact studies, decay fits with floors, and combining verdicts.
module RateLab.Analysis.Sections.SectionKit

open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Report.Model

/// A component from name and parameters.
let comp name (parameters: (string * ParamValue) list) : Component = { Name = name; Parameters = Map.ofList parameters }

/// Doubling grid n0, 2·n0, … with `levels` points.
let doubling (n0: int) (levels: int) = List.init levels (fun k -> n0 <<< k)

/// Below these values a number says nothing (theory-claims §4.8): float64 knows variance ratios to ≈1e-16, so KL
/// below ≈1e-26 and W2 below ≈1e-12 (in units of x, for O(1) scales) are round-off; Monte Carlo estimates are also
/// floored at three standard errors.
let floorOf (metric: MetricKind) (e: Estimate) =
    let numeric =
        match metric with
        | ExactKl | KlUpper | KlLower -> 1e-26
        | ExactW2 | W2Upper | W2Lower | StrongError -> 1e-12
        | TvUpper | TvLower -> 1e-12
        | SampleMetric _ -> 0.0
    if System.Double.IsNaN e.StdError then numeric else max numeric (3.0 * e.StdError)

/// Fits log error = c − p·log N on one curve (N on the given axis), floors applied.
let fitDecay (axis: RateFit.CostAxis) (curve: ErrorCurve) =
    let floors = curve.Points |> List.map (fun p -> floorOf curve.Metric p.Error) |> Array.ofList
    PowerLawFit.fitDecay PowerLawFit.defaultSettings axis [ [ curve ], floors ]

/// The slope of a decay fit on log(1/N): the order p.
let order (fit: RateFit.RateFit) =
    List.zip fit.Fit.Regressors fit.Fit.Slopes |> List.find (fst >> (=) "log(1/N)") |> snd

/// The asymptotic order of an EXACT curve (no sampling noise): the last local slope −s_k, with the interval
/// ±2|s_k − s_{k−1}|. A least-squares interval on exact values measures only how straight the window is, not how far
/// the slope still is from its limit; when the pre-asymptotic term decays geometrically along the doubling grid, the
/// remaining drift of the local slope is of the order of its last change (a Richardson-type error estimate).
/// Points at or below the floor are dropped first. None when fewer than three usable points remain.
let asymptoticOrder (axis: RateFit.CostAxis) (curve: ErrorCurve) : Estimate option =
    let cost (p: ErrorPoint) = match axis with RateFit.Nfe -> p.Nfe | RateFit.Depth -> p.Depth | RateFit.Steps -> float p.Steps
    let usable =
        curve.Points
        |> List.takeWhile (fun p -> p.Error.Value > floorOf curve.Metric p.Error)
        |> List.map (fun p -> cost p, p.Error)
        |> Array.ofList
    if usable.Length < 3 then None
    else
        let slopes = LocalSlopes.compute usable
        let last, previous = -slopes.[slopes.Length - 1].Slope, -slopes.[slopes.Length - 2].Slope
        let half = 2.0 * abs (last - previous)
        Some { Value = last; Lower = last - half; Upper = last + half; StdError = nan; Level = 0.95 }

/// The order a verdict should use: for exact curves the asymptotic-order interval above, otherwise the fitted order
/// with its bootstrap interval (sampling noise dominates there).
let orderForVerdict (axis: RateFit.CostAxis) (curve: ErrorCurve) (fit: RateFit.RateFit) =
    let exact = curve.Points |> List.forall (fun p -> System.Double.IsNaN p.Error.StdError)
    match exact, asymptoticOrder axis curve with
    | true, Some e -> e, "asymptotic order from the last local slope ± 2× its last change (exact values)"
    | _ -> order fit, "fitted order with its bootstrap interval"

/// One verdict from several: any violation wins, then any inconclusive, then faster, else tight.
let combine (judgements: Verdicts.Judgement list) : Verdict * string =
    let has v = judgements |> List.exists (fun j -> j.Verdict = v)
    let verdict =
        if judgements.IsEmpty then Inconclusive
        elif has ViolatesBound then ViolatesBound
        elif has Inconclusive then Inconclusive
        elif has ConsistentFaster then ConsistentFaster
        else ConsistentTight
    verdict, (judgements |> List.map (fun j -> j.Reason) |> String.concat " ")

/// A fit table from a decay fit, with the predicted order beside the measured one.
let decayTable caption (fit: RateFit.RateFit) (predicted: float option) : FitTable =
    { Caption = caption
      Fit = fit.Fit
      TheorySlopes = predicted |> Option.map (fun p -> [ "log(1/N)", p ]) |> Option.defaultValue [] }

/// A file-safe id from free text.
let slug (s: string) =
    s.ToLowerInvariant()
    |> String.map (fun c -> if System.Char.IsLetterOrDigit c then c else '-')
    |> fun t -> t.Trim('-')
