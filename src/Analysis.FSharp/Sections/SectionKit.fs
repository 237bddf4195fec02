/// Pieces every report section uses: specs for exact studies, decay fits with floors, and combining verdicts.
module RateLab.Analysis.Sections.SectionKit

open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Stats

/// A component from name and parameters.
let comp name (parameters: (string * ParamValue) list) : Component =
    { Name = name
      Parameters = Map.ofList parameters }

/// Doubling grid n0, 2·n0, … with `levels` points.
let doubling (n0: int) (levels: int) = List.init levels (fun k -> n0 <<< k)

/// Whether a spec's sampler draws randomness (midpoints, Bernoulli selections, schedules): read from the kernel by
/// the exact engine on the spec's first dimension and step count, not from a list of names. Randomized samplers have
/// bounds (E_draws upper, moment-matched lower), deterministic ones exact values.
let drawsRandomness (spec: ExperimentSpec) =
    (RateLab.Analysis.Studies.Runner.analyse spec (List.head spec.Dimensions) (List.head spec.Steps)).Result.Randomized

/// The slope of a decay fit on log(1/N): the order p.
let order (fit: RateFit.RateFit) =
    List.zip fit.Fit.Regressors fit.Fit.Slopes
    |> List.find (fst >> (=) "log(1/N)")
    |> snd

/// A curve's (cost, error) points up to the first at or below its floor.
let private usablePoints (axis: RateFit.CostAxis) (curve: ErrorCurve) (floors: float[]) =
    let cost (p: ErrorPoint) =
        match axis with
        | RateFit.Nfe -> p.Nfe
        | RateFit.Depth -> p.Depth
        | RateFit.Steps -> float p.Steps

    curve.Points
    |> List.indexed
    |> List.takeWhile (fun (i, p) -> p.Error.Value > floors.[i])
    |> List.map (fun (_, p) -> cost p, p.Error)
    |> Array.ofList

/// A table column of local orders in steps, one cell per point: "—" first, then −Δlog e/Δlog n between successive
/// points ("—" where either value is not a positive finite number).
let localOrderCells (curve: ErrorCurve) =
    "—"
    :: (curve.Points
        |> List.pairwise
        |> List.map (fun (p0, p1) ->
            let e0, e1 = p0.Error.Value, p1.Error.Value

            if e0 > 0.0 && e1 > 0.0 && System.Double.IsFinite e0 && System.Double.IsFinite e1 then
                $"{-(log (e1 / e0) / log (float p1.Steps / float p0.Steps)):F2}"
            else
                "—"))

/// The asymptotic order of an EXACT curve (no sampling noise): the last local slope −s_k, with the interval
/// ±2|s_k − s_{k−1}|. A least-squares interval on exact values measures only how straight the window is, not how far
/// the slope still is from its limit; when the pre-asymptotic term decays geometrically along the doubling grid, the
/// remaining drift of the local slope is of the order of its last change (a Richardson-type error estimate).
/// Points up to the first at or below its floor are used. None when fewer than three usable points remain.
let asymptoticOrder (axis: RateFit.CostAxis) (curve: ErrorCurve) (floors: float[]) : Estimate option =
    let usable = usablePoints axis curve floors

    if usable.Length < 3 then
        None
    else
        let slopes = LocalSlopes.compute usable

        let last, previous =
            -slopes.[slopes.Length - 1].Slope, -slopes.[slopes.Length - 2].Slope

        let half = 2.0 * abs (last - previous)

        Some
            { Value = last
              Lower = last - half
              Upper = last + half
              StdError = nan
              Level = 0.95 }

/// The asymptotic order of a curve that is an exact part plus a Monte Carlo part far smaller than its value (e.g. the
/// bound KL(p_G ‖ q) + χ̂², whose standard error is below 1 % of it): `asymptoticOrder`'s interval, widened by 1.96× the
/// Monte Carlo noise of the slopes it reads. A local slope between points j − 1 and j has the noise
/// ((SE_j/e_j)² + (SE_{j−1}/e_{j−1})²)^½ / log(c_j/c_{j−1}) (delta method on log e); the interval's centre uses the
/// last slope and its half-width twice the last change, so the noise σ_k + 2(σ_k² + σ_{k−1}²)^½ is added. A decay
/// fit is the wrong tool here: with errors this small its curvature tests reject every window but the coarsest.
/// Points without a standard error (NaN) count as exact, so on an exact curve this is `asymptoticOrder`.
let asymptoticOrderWithNoise (axis: RateFit.CostAxis) (curve: ErrorCurve) (floors: float[]) : Estimate option =
    asymptoticOrder axis curve floors
    |> Option.map (fun e ->
        let usable = usablePoints axis curve floors

        let relative j =
            let p = snd usable.[j]

            if System.Double.IsNaN p.StdError then
                0.0
            else
                p.StdError / p.Value

        let slopeNoise j =
            sqrt (relative j ** 2.0 + relative (j - 1) ** 2.0)
            / log (fst usable.[j] / fst usable.[j - 1])

        let k = usable.Length - 1
        let last, previous = slopeNoise k, slopeNoise (k - 1)

        let widen = Normal.z975 * (last + 2.0 * sqrt (last * last + previous * previous))

        { e with
            Lower = e.Lower - widen
            Upper = e.Upper + widen })

/// The order a verdict should use: for exact curves the asymptotic-order interval above, otherwise the fitted order
/// with its bootstrap interval (sampling noise dominates there).
let orderForVerdict (axis: RateFit.CostAxis) (curve: ErrorCurve) (floors: float[]) (fit: RateFit.RateFit) =
    let exact =
        curve.Points |> List.forall (fun p -> System.Double.IsNaN p.Error.StdError)

    match exact, asymptoticOrder axis curve floors with
    | true, Some e -> e, "asymptotic order from the last local slope ± 2× its last change (exact values)"
    | _ -> order fit, "fitted order with its bootstrap interval"

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
