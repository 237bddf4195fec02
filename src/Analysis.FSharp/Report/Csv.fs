/// The data behind a figure as CSV (one row per point, long format), so every plotted number can be re-plotted or
/// checked without the PNG.
module RateLab.Analysis.Report.Csv

open System
open System.Globalization
open System.Text
open RateLab.Analysis.Plots.Figure

/// A CSV field, quoted when it holds a separator, a quote or a line break (RFC 4180).
let field (s: string) =
    if s.IndexOfAny([| ','; '"'; '\n'; '\r' |]) >= 0 then
        "\"" + s.Replace("\"", "\"\"") + "\""
    else
        s

/// A number in round-trip form, culture-independent.
let number (x: float) =
    x.ToString("R", CultureInfo.InvariantCulture)

/// The header of a figure's CSV.
[<Literal>]
let Header = "series,style,x,y,lower,upper"

/// A figure's points as CSV text; lower/upper are empty for series without a band.
let ofFigure (f: Figure) =
    let sb = StringBuilder()
    sb.Append(Header).Append('\n') |> ignore

    for s in f.Series do
        let style =
            match s.Style with
            | Measured -> "measured"
            | Fitted -> "fitted"
            | Theory -> "theory"

        for i in 0 .. s.X.Length - 1 do
            let lo, hi =
                match s.Band with
                | Some(l, h) -> number l[i], number h[i]
                | None -> "", ""

            sb.Append(String.Join(",", [| field s.Label; style; number s.X[i]; number s.Y[i]; lo; hi |])).Append('\n')
            |> ignore

    sb.ToString()
