/// What `ratelab external` prints: per step count the tables (or JSON) of `ratelab exact` with the probing cost, then
/// the order fit, the reference verdict and the claims' verdicts.
module RateLab.Analysis.External.ExternalReport

open System.Text.Json.Nodes
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Report
open RateLab.Analysis.Report.Model
open RateLab.Analysis.External.ExternalAnalysis

/// How an ExactResult of the command line is printed (the `exact` command's formatters).
type Formatters =
    { Tables: RateLab.Analysis.Cli.Services.ExactResult -> string
      Json: RateLab.Analysis.Cli.Services.ExactResult -> string }

/// Everything one command found.
type Findings =
    {
        Outcomes: Outcome list
        /// The order fit when there are three or more step counts: the fit, or why there is none.
        Fit: Result<FitResult, string> option
        /// Whether the law matched --reference, and the verdict line.
        Reference: (bool * string) option
        /// Each claim of --claim with its section from the claims engine.
        Claims: (RateLab.Analysis.Claims.Claim.Claim * Section) list option
    }

let private text (s: string) =
    nonNull (JsonValue.Create s) :> JsonNode

let private array (nodes: JsonNode list) = JsonArray(Array.ofList nodes)

/// The one JSON object of --json (fields in docs/bridge.md).
let json (format: Formatters) (f: Findings) =
    let o = JsonObject()

    o["runs"] <-
        array
            [ for x in f.Outcomes ->
                  let r = (nonNull (JsonNode.Parse(format.Json x.Figures))).AsObject()
                  r["python_seconds"] <- ResultsJson.number x.PythonSeconds
                  r["probe_rows"] <- JsonValue.Create x.Rows
                  r :> JsonNode ]

    match f.Fit with
    | Some(Ok fit) ->
        let slope = List.last fit.Slopes
        let node = JsonObject()
        node["regressor"] <- text (List.last fit.Regressors)
        node["order"] <- ResultsJson.number slope.Value
        node["interval"] <- JsonArray(ResultsJson.number slope.Lower, ResultsJson.number slope.Upper)
        node["level"] <- ResultsJson.number slope.Level
        o["fit"] <- node
    | Some(Error message) -> o["fit_error"] <- text message
    | None -> ()

    f.Reference
    |> Option.iter (fun (ok, line) ->
        let node = JsonObject()
        node["matches"] <- JsonValue.Create ok
        node["verdict"] <- text line
        o["reference"] <- node)

    f.Claims
    |> Option.iter (fun claims ->
        o["claims"] <-
            array
                [ for c, s in claims ->
                      let node = JsonObject()
                      node["id"] <- text c.Id
                      node["verdict"] <- text (VerdictNames.toName s.Verdict)
                      node["reason"] <- text s.Reason
                      node :> JsonNode ])

    o.ToJsonString()

/// The tables and verdict lines.
let tables (format: Formatters) (f: Findings) =
    let out = System.Text.StringBuilder()
    let line (s: string) = out.Append(s).Append('\n') |> ignore

    for x in f.Outcomes do
        out.Append(format.Tables x.Figures) |> ignore
        line $"probing: {x.Rows} rows × {x.Figures.Steps} steps, Python {Format.num x.PythonSeconds} s"
        line ""

    match f.Fit with
    | Some(Ok fit) ->
        let table =
            { Caption = "KL against NFE"
              Fit = fit
              TheorySlopes = [] }

        line "order fit of KL against NFE (the slope on log(1/N) is the order in KL):"
        out.Append(Markdown.table Format.fitHeader (Format.fitRows table)) |> ignore
        line (Format.fitNote table)
    | Some(Error message) -> line $"order fit: none ({message})"
    | None -> ()

    f.Reference |> Option.iter (snd >> line)

    f.Claims
    |> Option.iter (List.iter (fun (c, s) -> line $"claim {c.Id}: {s.Reason}"))

    out.ToString()
