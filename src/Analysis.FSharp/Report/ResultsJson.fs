/// results.json: every record of a report as plain JSON (snake_case keys, metric and verdict names as strings) and
/// back. Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity", because JSON has no such
/// numbers and exact values carry NaN standard errors.
module RateLab.Analysis.Report.ResultsJson

open System
open System.Text.Json
open System.Text.Json.Nodes
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Plots.Figure
open RateLab.Analysis.Report.Model

let private bad (what: string) =
    raise (ArgumentException($"results.json: {what}"))

// ---- writing -------------------------------------------------------------------------------------------------------

let private str (s: string) : JsonNode = nonNull (JsonValue.Create s)
let private int' (i: int) : JsonNode = JsonValue.Create i
let private bool' (b: bool) : JsonNode = JsonValue.Create b

/// A float as JSON: a number when finite, else "NaN", "Infinity" or "-Infinity".
let number (x: float) : JsonNode =
    if Double.IsFinite x then JsonValue.Create x
    elif Double.IsNaN x then str "NaN"
    elif x > 0.0 then str "Infinity"
    else str "-Infinity"

let private num = number

let private arr (f: 'a -> JsonNode) (xs: 'a seq) : JsonNode =
    JsonArray(xs |> Seq.map (fun x -> Some(f x) |> Option.toObj) |> Seq.toArray)

let private obj (fields: (string * JsonNode) list) : JsonNode =
    let o = JsonObject()

    for k, v in fields do
        o[k] <- v

    o

let private estimate (e: Estimate) =
    obj
        [ "value", num e.Value
          "lower", num e.Lower
          "upper", num e.Upper
          "std_error", num e.StdError
          "level", num e.Level ]

let private verdictName = VerdictNames.toName

let private styleName style =
    match style with
    | Measured -> "measured"
    | Fitted -> "fitted"
    | Theory -> "theory"

/// An error curve as JSON.
let encodeCurve (c: ErrorCurve) =
    obj
        [ "sampler", str c.Sampler
          "parameters", c.Parameters |> arr (fun (k, v) -> obj [ "name", str k; "value", str v ])
          "target", str c.Target
          "dimension", int' c.Dimension
          "metric", str (MetricNames.toName c.Metric)
          "seeds", c.Seeds |> arr (fun s -> JsonValue.Create s)
          "points",
          c.Points
          |> arr (fun p ->
              obj
                  [ "steps", int' p.Steps
                    "step_size", num p.StepSize
                    "nfe", num p.Nfe
                    "depth", num p.Depth
                    "error", estimate p.Error ])
          "method", str c.Method ]

/// A fit as JSON.
let encodeFit (f: FitResult) =
    obj
        [ "regressors", f.Regressors |> arr str
          "intercept", estimate f.Intercept
          "slopes", f.Slopes |> arr estimate
          "window", f.Window |> arr int'
          "window_rule", str f.WindowRule
          "residuals", f.Residuals |> arr num
          "excluded", f.Excluded |> arr (fun (i, why) -> obj [ "index", int' i; "reason", str why ])
          "interval_method", str f.IntervalMethod ]

let private encodeFigure (f: Figure) =
    let axis (a: Axis) =
        obj [ "label", str a.Label; "log", bool' a.Log ]

    obj
        [ "id", str f.Id
          "title", str f.Title
          "x", axis f.X
          "y", axis f.Y
          "series",
          f.Series
          |> arr (fun s ->
              obj
                  [ "label", str s.Label
                    "style", str (styleName s.Style)
                    "x", s.X |> arr num
                    "y", s.Y |> arr num
                    match s.Band with
                    | Some(lo, hi) -> "band", obj [ "lower", lo |> arr num; "upper", hi |> arr num ]
                    | None -> "band", JsonObject() ]) ]

let private encodeSection (s: Section) =
    obj
        [ "title", str s.Title
          "claims", s.ClaimIds |> arr str
          "verdict", str (verdictName s.Verdict)
          "reason", str s.Reason
          "evidence",
          s.Evidence
          |> arr (fun j ->
              obj
                  [ "subject", str j.Subject
                    "verdict", str (verdictName j.Verdict)
                    "reason", str j.Reason
                    "cannot_show", str j.CannotShow
                    "counted", JsonValue.Create j.Counted ])
          "method", str s.Method
          "fits",
          s.Fits
          |> arr (fun t ->
              obj
                  [ "caption", str t.Caption
                    "fit", encodeFit t.Fit
                    "theory_slopes", t.TheorySlopes |> arr (fun (r, v) -> obj [ "regressor", str r; "slope", num v ]) ])
          "figures", s.Figures |> arr encodeFigure
          "curves", s.Curves |> arr encodeCurve ]

/// A part as JSON.
let encodePart (p: Part) =
    obj
        [ "slug", str p.Slug
          "title", str p.Title
          "intro", str p.Intro
          "sections", p.Sections |> arr encodeSection ]

/// A report as JSON.
let encodeReport (r: Report) =
    obj [ "title", str r.Title; "parts", r.Parts |> arr encodePart ]

// ---- reading -------------------------------------------------------------------------------------------------------

let private field (name: string) (n: JsonNode) : JsonNode =
    match n with
    | :? JsonObject as o ->
        match o[name] with
        | null -> bad $"missing field \"{name}\""
        | v -> v
    | _ -> bad $"expected an object holding \"{name}\""

let private getStr (n: JsonNode) =
    match n with
    | :? JsonValue as v when v.GetValueKind() = JsonValueKind.String -> v.GetValue<string>()
    | _ -> bad $"expected a string, got {n.ToJsonString()}"

let private getNum (n: JsonNode) =
    match n with
    | :? JsonValue as v when v.GetValueKind() = JsonValueKind.Number -> v.GetValue<float>()
    | :? JsonValue as v when v.GetValueKind() = JsonValueKind.String ->
        match v.GetValue<string>() with
        | "NaN" -> nan
        | "Infinity" -> infinity
        | "-Infinity" -> -infinity
        | s -> bad $"expected a number, got \"{s}\""
    | _ -> bad $"expected a number, got {n.ToJsonString()}"

let private getInt (n: JsonNode) = n.GetValue<int>()
let private getBool (n: JsonNode) = n.GetValue<bool>()

let private items (f: JsonNode -> 'a) (n: JsonNode) =
    match n with
    | :? JsonArray as a -> a |> Seq.map (fun x -> f (nonNull x)) |> Seq.toList
    | _ -> bad $"expected an array, got {n.ToJsonString()}"

let private getEstimate n =
    { Value = getNum (field "value" n)
      Lower = getNum (field "lower" n)
      Upper = getNum (field "upper" n)
      StdError = getNum (field "std_error" n)
      Level = getNum (field "level" n) }

let private parseVerdict s =
    match VerdictNames.tryParse s with
    | Some v -> v
    | None -> bad $"unknown verdict \"{s}\""

let private parseStyle s =
    match s with
    | "measured" -> Measured
    | "fitted" -> Fitted
    | "theory" -> Theory
    | other -> bad $"unknown series style \"{other}\""

/// An error curve from JSON.
let decodeCurve (n: JsonNode) =
    let metric = getStr (field "metric" n)

    { Sampler = getStr (field "sampler" n)
      Parameters =
        field "parameters" n
        |> items (fun p -> getStr (field "name" p), getStr (field "value" p))
      Target = getStr (field "target" n)
      Dimension = getInt (field "dimension" n)
      Metric =
        match MetricNames.tryParse metric with
        | Some m -> m
        | None -> bad $"unknown metric \"{metric}\""
      Seeds = field "seeds" n |> items (fun s -> s.GetValue<uint64>())
      Points =
        field "points" n
        |> items (fun p ->
            { Steps = getInt (field "steps" p)
              StepSize = getNum (field "step_size" p)
              Nfe = getNum (field "nfe" p)
              Depth = getNum (field "depth" p)
              Error = getEstimate (field "error" p) })
      Method = getStr (field "method" n) }

/// A fit from JSON.
let decodeFit (n: JsonNode) =
    { Regressors = field "regressors" n |> items getStr
      Intercept = getEstimate (field "intercept" n)
      Slopes = field "slopes" n |> items getEstimate
      Window = field "window" n |> items getInt
      WindowRule = getStr (field "window_rule" n)
      Residuals = field "residuals" n |> items getNum
      Excluded =
        field "excluded" n
        |> items (fun e -> getInt (field "index" e), getStr (field "reason" e))
      IntervalMethod = getStr (field "interval_method" n) }

let private decodeFigure (n: JsonNode) =
    let axis a =
        { Label = getStr (field "label" a)
          Log = getBool (field "log" a) }

    let floats a = a |> items getNum |> List.toArray

    { Id = getStr (field "id" n)
      Title = getStr (field "title" n)
      X = axis (field "x" n)
      Y = axis (field "y" n)
      Series =
        field "series" n
        |> items (fun s ->
            let band = field "band" s :?> JsonObject

            { Label = getStr (field "label" s)
              Style = parseStyle (getStr (field "style" s))
              X = floats (field "x" s)
              Y = floats (field "y" s)
              Band =
                if band.Count = 0 then
                    None
                else
                    Some(floats (field "lower" band), floats (field "upper" band)) }) }

let private decodeSection (n: JsonNode) =
    { Title = getStr (field "title" n)
      ClaimIds = field "claims" n |> items getStr
      Verdict = parseVerdict (getStr (field "verdict" n))
      Reason = getStr (field "reason" n)
      Evidence =
        field "evidence" n
        |> items (fun j ->
            ({ Subject = getStr (field "subject" j)
               Verdict = parseVerdict (getStr (field "verdict" j))
               Reason = getStr (field "reason" j)
               CannotShow = getStr (field "cannot_show" j)
               Counted = (field "counted" j).GetValue<bool>() }
            : RateLab.Analysis.Claims.Verdicts.Judgement))
      Method = getStr (field "method" n)
      Fits =
        field "fits" n
        |> items (fun t ->
            { Caption = getStr (field "caption" t)
              Fit = decodeFit (field "fit" t)
              TheorySlopes =
                field "theory_slopes" t
                |> items (fun r -> getStr (field "regressor" r), getNum (field "slope" r)) })
      Figures = field "figures" n |> items decodeFigure
      Curves = field "curves" n |> items decodeCurve }

/// A part from JSON.
let decodePart (n: JsonNode) =
    { Slug = getStr (field "slug" n)
      Title = getStr (field "title" n)
      Intro = getStr (field "intro" n)
      Sections = field "sections" n |> items decodeSection }

/// A report from JSON.
let decodeReport (n: JsonNode) =
    { Title = getStr (field "title" n)
      Parts = field "parts" n |> items decodePart }

/// Indented JSON text of a node. Relaxed escaping keeps '+', '<', non-ASCII letters readable; the files are data,
/// never embedded in HTML.
let toText (n: JsonNode) =
    n.ToJsonString(
        JsonSerializerOptions(
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping
        )
    )

/// Parses JSON text into a node.
let parseText (text: string) : JsonNode =
    match JsonNode.Parse text with
    | null -> bad "the document is empty (null)"
    | n -> n
