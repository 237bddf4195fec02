/// Figures built from result records only: error against cost, N* against d or 1/ε with fitted and theoretical
/// slopes, and local slopes per doubling.
module RateLab.Analysis.Plots.Figures

open System
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Plots.Figure

/// The axis label of a metric, with its unit.
let metricLabel metric =
    match metric with
    | ExactKl -> "KL (nats)"
    | KlUpper -> "KL upper bound (nats)"
    | KlLower -> "KL lower bound (nats)"
    | ExactW2 -> "W2 (units of x)"
    | W2Upper -> "W2 upper bound (units of x)"
    | W2Lower -> "W2 lower bound (units of x)"
    | TvUpper -> "TV upper bound (probability)"
    | TvLower -> "TV lower bound (probability)"
    | StrongError -> "RMS pathwise error (units of x)"
    | SampleMetric name -> $"{name} (sample estimate)"

let private nfeAxis =
    { Label = "NFE (score evaluations per chain)"
      Log = true }

/// A curve's legend entry; the metric is named when a figure mixes metrics.
let private legend (curves: ErrorCurve list) (c: ErrorCurve) =
    let mixed =
        curves |> List.map (fun x -> x.Metric) |> List.distinct |> List.length > 1

    if mixed then
        $"{c.Sampler}: {metricLabel c.Metric}, d={c.Dimension}"
    else
        $"{c.Sampler}, d={c.Dimension}"

/// Error against NFE on log-log axes, one series per curve with its confidence band.
let errorVsNfe id title (curves: ErrorCurve list) =
    let yLabel =
        match curves |> List.map (fun c -> c.Metric) |> List.distinct with
        | [ m ] -> metricLabel m
        | _ -> "error (see legend)"

    { Id = id
      Title = title
      X = nfeAxis
      Y = { Label = yLabel; Log = true }
      Series =
        [ for c in curves ->
              // A zero error (an exact sampler, or a lower bound at 0) has no place on a log axis; such points stay
              // in results.json and are left out of the figure only.
              let pts =
                  c.Points
                  |> List.filter (fun p -> p.Error.Value > 0.0 && Double.IsFinite p.Error.Value)
                  |> List.toArray

              { Label = legend curves c
                X = pts |> Array.map (fun p -> p.Nfe)
                Y = pts |> Array.map (fun p -> p.Error.Value)
                Band = Some(pts |> Array.map (fun p -> p.Error.Lower), pts |> Array.map (fun p -> p.Error.Upper))
                Style = Measured } ] }
    |> validate

/// A line of the given log-log slope through (cx, cy), spanning [xMin, xMax].
let private lineThrough (cx: float) (cy: float) slope (xMin: float) (xMax: float) =
    let at x = cy * (x / cx) ** slope
    [| xMin; xMax |], [| at xMin; at xMax |]

/// Measured N* (the cost to reach an accuracy) against a scale variable (d, 1/ε, κ or L), on log-log axes, with
/// the fitted line and the theory's slope where a claim states one. Both lines pass through the centroid (in log-log coordinates) of the
/// points in the fit's window: an ordinary least-squares line always passes through it, so the two lines differ
/// only in slope, which is what the claim is about.
let nStarVs
    id
    title
    (xAxis: Axis)
    (points: (float * Estimate) list)
    (fit: FitResult)
    (slopeIndex: int)
    (theory: (float * string) option)
    =
    let pts = points |> List.toArray
    let window = fit.Window |> List.map (fun i -> pts[i]) |> List.toArray

    if window.Length = 0 then
        raise (System.ArgumentException($"figure '{id}': the fit's window is empty", "fit"))

    let meanLog (f: float * Estimate -> float) =
        window |> Array.averageBy (fun p -> log (f p))

    let cx = exp (meanLog fst)
    let cy = exp (meanLog (fun (_, e) -> e.Value))
    let xs = pts |> Array.map fst
    let xMin, xMax = Array.min xs, Array.max xs
    let slope = fit.Slopes[slopeIndex]
    let fx, fy = lineThrough cx cy slope.Value xMin xMax

    { Id = id
      Title = title
      X = { xAxis with Log = true }
      Y =
        { Label = "N* (NFE to reach the accuracy)"
          Log = true }
      Series =
        [ { Label = "measured N*"
            X = xs
            Y = pts |> Array.map (fun (_, e) -> e.Value)
            Band = Some(pts |> Array.map (fun (_, e) -> e.Lower), pts |> Array.map (fun (_, e) -> e.Upper))
            Style = Measured }
          { Label = $"fit: slope {slope.Value:F2} [{slope.Lower:F2}, {slope.Upper:F2}]"
            X = fx
            Y = fy
            Band = None
            Style = Fitted }
          match theory with
          | Some(t, label) ->
              let tx, ty = lineThrough cx cy t xMin xMax

              { Label = $"theory ({label}): slope {t:F2}"
                X = tx
                Y = ty
                Band = None
                Style = Theory }
          | None -> () ] }
    |> validate

/// Local log-log slopes of error against NFE between consecutive points, placed at the geometric mid-point of each
/// pair: pre-asymptotic drift towards the asymptotic exponent shows here before it shows in a global fit.
let localSlopes id title (curves: ErrorCurve list) (theory: float option) =
    let slopes (c: ErrorCurve) =
        c.Points
        |> List.filter (fun p -> p.Error.Value > 0.0 && Double.IsFinite p.Error.Value)
        |> List.pairwise
        |> List.map (fun (a, b) -> sqrt (a.Nfe * b.Nfe), log (b.Error.Value / a.Error.Value) / log (b.Nfe / a.Nfe))
        |> List.toArray

    let measured =
        [ for c in curves ->
              let s = slopes c

              { Label = legend curves c
                X = s |> Array.map fst
                Y = s |> Array.map snd
                Band = None
                Style = Measured } ]

    let allX = measured |> List.collect (fun s -> List.ofArray s.X)

    let reference =
        match theory, allX with
        | Some p, _ :: _ ->
            [ { Label = $"theory: slope {p:F2}"
                X = [| List.min allX; List.max allX |]
                Y = [| p; p |]
                Band = None
                Style = Theory } ]
        | _ -> []

    { Id = id
      Title = title
      X = nfeAxis
      Y =
        { Label = "local slope d log(error) / d log(NFE) (dimensionless)"
          Log = false }
      Series = measured @ reference }
    |> validate
