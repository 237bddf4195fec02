/// Draws a Figure with ScottPlot 5 and writes PNG and SVG. ScottPlot has no log axis: log axes are drawn by plotting
/// log10 of the data, with major ticks on integer exponents, log-spaced minor ticks and labels that read as powers of 10.
module RateLab.Analysis.Plots.Render

open System
open System.Globalization
open ScottPlot
open RateLab.Analysis.Experiments
open RateLab.Analysis.Plots.Figure

/// Width and height of rendered figures, in pixels.
[<Literal>]
let Width = 800

/// Height of rendered figures, in pixels.
[<Literal>]
let Height = 560

/// The label of the tick at log10 value k: "0.01" … "1000" read naturally, beyond that "1e-5" style.
let powerOfTenLabel (k: float) =
    let r = Math.Round k

    if abs (k - r) > 1e-9 then
        ""
    elif r >= -2.0 && r <= 3.0 then
        (10.0 ** r).ToString("0.##", CultureInfo.InvariantCulture)
    else
        $"1e{int r}"

/// The label of m·10^k (m = 2..9), in the style of powerOfTenLabel.
let private multipleLabel (m: int) (k: int) =
    if k >= -3 && k <= 3 then
        (float m * 10.0 ** float k).ToString("0.###", CultureInfo.InvariantCulture)
    else
        $"{m}e{k}"

/// Tick marks of a log axis over the data range [lo, hi] (log10 units), as (position, Some label) for labelled
/// majors and (position, None) for minors: majors at powers of ten, minors at 2..9 times them. Data spanning less
/// than about one and a half decades would show at most one labelled tick, so there 2· and 5· multiples are labelled.
let logTickMarks (lo: float) (hi: float) =
    let labelMultiples = hi - lo < 1.5

    [ for k in int (Math.Floor lo) - 1 .. int (Math.Ceiling hi) + 1 do
          yield float k, Some(powerOfTenLabel (float k))

          for m in 2..9 ->
              float k + log10 (float m),
              (if labelMultiples && (m = 2 || m = 5) then
                   Some(multipleLabel m k)
               else
                   None) ]

let private logTicks lo hi =
    let ticks = TickGenerators.NumericManual()

    for at, label in logTickMarks lo hi do
        match label with
        | Some text -> ticks.AddMajor(at, text)
        | None -> ticks.AddMinor at

    ticks

let private toPlot (axis: Axis) (v: float) = if axis.Log then log10 v else v

/// Band edges on a log axis may be ≤ 0 (an interval reaching zero); they are drawn at the axis floor instead of
/// being dropped, so the band still shows that the interval is unbounded below in log scale.
let private bandEdge (axis: Axis) (floor: float) (v: float) =
    if axis.Log then
        (if v > 0.0 && Double.IsFinite v then log10 v else floor)
    else
        v

let private build (f: Figure) =
    let f = validate f
    let plot = new Plot()
    let palette = Palettes.Category10()

    let yFloor =
        let ys =
            f.Series
            |> List.collect (fun s -> List.ofArray s.Y)
            |> List.filter (fun y -> y > 0.0)

        if f.Y.Log && not ys.IsEmpty then
            log10 (List.min ys) - 1.0
        else
            0.0

    f.Series
    |> List.iteri (fun i s ->
        let color = palette.GetColor i
        let xs = s.X |> Array.map (toPlot f.X)

        match s.Band with
        | Some(lo, hi) when xs.Length > 1 ->
            let lower = Array.map2 (fun x v -> Coordinates(x, bandEdge f.Y yFloor v)) xs lo

            let upper =
                Array.map2 (fun x v -> Coordinates(x, bandEdge f.Y yFloor v)) xs hi |> Array.rev

            let band = plot.Add.Polygon(Array.append lower upper)
            band.FillColor <- color.WithAlpha 0.2
            band.LineWidth <- 0.0f
        | _ -> ()

        let line = plot.Add.Scatter(xs, s.Y |> Array.map (toPlot f.Y))
        line.Color <- color
        line.LegendText <- s.Label
        line.LineWidth <- 2.0f

        match s.Style with
        | Measured -> line.MarkerSize <- 7.0f
        | Fitted -> line.MarkerSize <- 0.0f
        | Theory ->
            line.MarkerSize <- 0.0f
            line.LinePattern <- LinePattern.Dashed)

    plot.Title f.Title
    plot.XLabel f.X.Label
    plot.YLabel f.Y.Label

    let range (values: Series -> float seq) =
        let v =
            f.Series
            |> Seq.collect values
            |> Seq.filter (fun x -> x > 0.0 && Double.IsFinite x)
            |> Seq.map log10

        if Seq.isEmpty v then 0.0, 1.0 else Seq.min v, Seq.max v

    if f.X.Log then
        plot.Axes.Bottom.TickGenerator <- range (fun s -> s.X) ||> logTicks

    if f.Y.Log then
        let bands s =
            match s.Band with
            | Some(lo, hi) -> Seq.append lo hi
            | None -> Seq.empty

        plot.Axes.Left.TickGenerator <- range (fun s -> Seq.append s.Y (bands s)) ||> logTicks

    plot.ShowLegend(Alignment.UpperRight) |> ignore
    plot

/// Writes dir/Id.png and dir/Id.svg atomically; returns their paths.
let write (dir: string) (f: Figure) =
    use plot = build f
    let png = IO.Path.Combine(dir, f.Id + ".png")
    let svgPath = IO.Path.Combine(dir, f.Id + ".svg")
    AtomicFile.writeAllBytes png (plot.GetImageBytes(Width, Height, ImageFormat.Png))
    AtomicFile.writeAllText svgPath (plot.GetSvgXml(Width, Height))
    png, svgPath
