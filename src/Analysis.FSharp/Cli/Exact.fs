/// `ratelab exact`: one sampler's exact error on a Gaussian target at one step count, as tables or as JSON
/// (docs/exact-output.md).
module RateLab.Analysis.Cli.Exact

open System
open System.Text.Json.Nodes
open Argu
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Report
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Cli.Arguments
open RateLab.Analysis.Cli.Services
open RateLab.Analysis.Cli.Ui
open RateLab.Analysis.Cli.CommandKit

/// The key of a metric in `exact --json` output: exact values are plain "kl"/"w2", bounds keep their names.
let private exactKey metric =
    match metric with
    | ExactKl -> "kl"
    | ExactW2 -> "w2"
    | m -> MetricNames.toName m

let private text (s: string) : JsonNode = nonNull (JsonValue.Create s)

// A JSON null where a field does not apply.
let private optional (node: JsonNode option) : JsonNode | null = Option.toObj node

// One figure of `exact --json`: an exact value has null standard error, interval and level.
let private figureJson (f: ExactCurves.Figure) =
    let o = JsonObject()
    let e = f.Estimate

    let estimated (node: unit -> JsonNode) =
        optional (if Format.isExact e then None else Some(node ()))

    o["value"] <- ResultsJson.number e.Value
    o["std_error"] <- estimated (fun () -> ResultsJson.number e.StdError)
    o["interval"] <- estimated (fun () -> JsonArray(ResultsJson.number e.Lower, ResultsJson.number e.Upper))
    o["level"] <- estimated (fun () -> JsonValue.Create e.Level)
    o["kind"] <- text (ExactCurves.boundText f.Bound)

    o["evaluation"] <-
        text (
            match f.Evaluation with
            | ExactCurves.ClosedForm -> "closed form"
            | ExactCurves.QuadratureOrEnumeration -> "quadrature or enumeration"
            | ExactCurves.MonteCarlo _ -> "monte carlo"
        )

    o["replicates"] <-
        optional (
            match f.Evaluation with
            | ExactCurves.MonteCarlo r -> Some(JsonValue.Create r)
            | _ -> None
        )

    o["unit"] <- text (ExactCurves.unitText (ExactCurves.unitOf f.Metric))
    o

// The velocity entry of `exact --json`.
let private velocityJson (v: Runner.VelocityMoments) : JsonNode =
    let o = JsonObject()
    writeVelocity o v
    o

/// The JSON printed by `exact --json` (schema in docs/exact-output.md).
let exactJson (r: ExactResult) =
    let o = JsonObject()
    o["sampler"] <- text r.Sampler
    o["target"] <- text r.Target
    o["d"] <- JsonValue.Create r.Dimension
    o["steps"] <- JsonValue.Create r.Steps
    o["nfe"] <- ResultsJson.number r.Nfe
    o["nfe_kind"] <- text (if r.NfeChains > 1 then "mean over chains" else "count")
    o["nfe_chains"] <- JsonValue.Create r.NfeChains
    let metrics = JsonObject()

    for f in r.Figures do
        metrics[exactKey f.Metric] <- figureJson f

    o["metrics"] <- metrics
    o["velocity"] <- optional (r.Velocity |> Option.map velocityJson)
    o.ToJsonString()

/// The two tables of `exact`: the run, then one row per figure with its error, interval, kind, evaluation and unit.
let exactTables (r: ExactResult) =
    let nfe =
        if r.NfeChains > 1 then
            $"{Format.num r.Nfe} (mean over {r.NfeChains} chains)"
        else
            Format.num r.Nfe

    let run =
        [ [ "sampler"; r.Sampler ]
          [ "target"; r.Target ]
          [ "d"; string r.Dimension ]
          [ "steps"; string r.Steps ]
          [ "NFE"; nfe ] ]

    let row (f: ExactCurves.Figure) =
        let e = f.Estimate
        let exact = Format.isExact e

        [ exactKey f.Metric
          Format.num e.Value
          (if exact then "—" else Format.num e.StdError)
          (if exact then
               "—"
           else
               $"[{Format.num e.Lower}, {Format.num e.Upper}] at {Format.num e.Level}")
          ExactCurves.boundText f.Bound
          ExactCurves.evaluationText f.Evaluation
          ExactCurves.unitText (ExactCurves.unitOf f.Metric) ]

    let header =
        [ "metric"; "value"; "std. error"; "interval"; "kind"; "evaluation"; "unit" ]

    let velocity =
        match r.Velocity with
        | None -> ""
        | Some v ->
            let header =
                [ "velocity vs N(0, u I)"; "KL (nats)"; "W2 (target length unit)"; "kind"; "u" ]

            "\n"
            + Markdown.table
                header
                [ [ "v"
                    Format.num v.Kl
                    Format.num v.W2
                    velocityKind v
                    Format.num v.InverseMass ] ]

    Markdown.table [ "quantity"; "value" ] run
    + "\n"
    + Markdown.table header (r.Figures |> List.map row)
    + velocity

/// Checks every option and the memory the evaluation needs before any work, then prints the tables or, with --json,
/// the JSON.
let run (services: Services) (ui: Ui) (args: ParseResults<ExactArgs>) =
    let d =
        RateLab.Core.Validation.Guard.AtLeast(args.GetResult ExactArgs.Dimension, 1, "--d")

    let steps =
        RateLab.Core.Validation.Guard.AtLeast(args.GetResult ExactArgs.Steps, 1, "--steps")

    let component' name (assignments: string list) option =
        { Name = name
          Parameters = Spec.parseAssignments option assignments }

    let query =
        { Sampler = component' (args.GetResult ExactArgs.Sampler) (args.GetResults ExactArgs.Param) "--param"
          Target =
            component' (args.GetResult ExactArgs.Target) (args.GetResults ExactArgs.Target_Param) "--target-param"
          Dimension = d
          Steps = steps
          Seed = args.GetResult(ExactArgs.Seed, 1UL)
          Replicates =
            RateLab.Core.Validation.Guard.AtLeast(args.GetResult(ExactArgs.Replicates, 256), 2, "--replicates") }

    Preflight.checkExact (Preflight.availableBytes ()) query.Sampler query.Target d steps query.Replicates
    Catalog.gaussianAt "--target" query.Target d |> ignore
    let r = services.ExactEval query

    if args.Contains ExactArgs.Json then
        ui.Out.WriteLine(exactJson r)
    else
        ui.Out.Write(exactTables r)
