/// A figure as plain data: what is drawn, independent of the plotting library, so the same record yields the PNG,
/// the SVG and the CSV of a figure.
module RateLab.Analysis.Plots.Figure

/// How a series is drawn.
type SeriesStyle =
    /// Measured points joined by a solid line.
    | Measured
    /// A fitted line: solid, no markers.
    | Fitted
    /// A reference slope from theory: dashed, no markers.
    | Theory

/// One series: points with an optional confidence band (lower, upper), same length as X.
type Series =
    { Label: string
      X: float[]
      Y: float[]
      Band: (float[] * float[]) option
      Style: SeriesStyle }

/// One axis: its label (with units) and whether it is logarithmic.
type Axis = { Label: string; Log: bool }

/// A figure: Id names its files (Id.png, Id.svg, Id.csv), so it must be a safe file stem.
type Figure =
    { Id: string
      Title: string
      X: Axis
      Y: Axis
      Series: Series list }

/// Checks that a figure can be drawn: safe id, equal lengths, positive values on log axes.
let validate (f: Figure) =
    let bad what =
        raise (System.ArgumentException($"figure '{f.Id}': {what}", "figure"))

    if
        System.String.IsNullOrEmpty f.Id
        || f.Id
           |> Seq.exists (fun c -> not (System.Char.IsLetterOrDigit c || c = '-' || c = '_'))
    then
        bad "id must be non-empty and use only letters, digits, '-' and '_'"

    for s in f.Series do
        if s.X.Length <> s.Y.Length then
            bad $"series '{s.Label}' has {s.X.Length} x values and {s.Y.Length} y values"

        match s.Band with
        | Some(lo, hi) when lo.Length <> s.X.Length || hi.Length <> s.X.Length ->
            bad $"series '{s.Label}' has a band whose length differs from its {s.X.Length} points"
        | _ -> ()

        if f.X.Log && s.X |> Array.exists (fun x -> not (x > 0.0)) then
            bad $"series '{s.Label}' has a non-positive x value on a log axis"

        if f.Y.Log && s.Y |> Array.exists (fun y -> not (y > 0.0)) then
            bad $"series '{s.Label}' has a non-positive y value on a log axis"

    f
