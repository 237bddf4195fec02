/// Reads the input of `ratelab fit`: a CSV with a header naming the columns cost and error, optionally d and eps,
/// in any order, and the values of the options --window and --log-of. Every defect names the line and column, or the
/// option.
module RateLab.Analysis.Cli.FitCsv

open System
open System.Globalization
open RateLab.Analysis.Fits
open RateLab.Analysis.Cli.Services

let private known = [ "cost"; "error"; "d"; "eps" ]

/// The fewest data rows a fit takes (per d for a decay file): two coefficients and one residual degree of freedom.
[<Literal>]
let MinRows = 3

/// Parses CSV text; source names the file in error messages. Raises ArgumentException (usage error). A decay file
/// (no eps column) may list its rows in any order: they are sorted by d, then cost.
let parse (source: string) (text: string) : FitInput =
    let fail (what: string) =
        raise (ArgumentException($"{source}: {what}"))

    let lines =
        text.Replace("\r\n", "\n").Split('\n')
        |> Array.mapi (fun i l -> i + 1, l.Trim())
        |> Array.filter (fun (_, l) -> l <> "" && not (l.StartsWith '#'))

    if lines.Length = 0 then
        fail "empty file; expected a header line with columns cost,error[,d,eps]"

    let headerLine, header = lines[0]
    let columns = header.Split(',') |> Array.map (fun c -> c.Trim().ToLowerInvariant())

    for c in columns do
        if not (List.contains c known) then
            fail $"line {headerLine}: unknown column \"{c}\"; allowed: cost, error, d, eps"

    match columns |> Array.countBy id |> Array.tryFind (fun (_, n) -> n > 1) with
    | Some(c, _) -> fail $"line {headerLine}: column \"{c}\" appears twice"
    | None -> ()

    for c in [ "cost"; "error" ] do
        if not (Array.contains c columns) then
            fail $"line {headerLine}: required column \"{c}\" is missing"

    let rows = lines[1..]

    if rows.Length < MinRows then
        fail $"expected at least {MinRows} data rows, got {rows.Length}"

    let cells =
        rows
        |> Array.map (fun (n, l) ->
            let parts = l.Split(',')

            if parts.Length <> columns.Length then
                fail $"line {n}: expected {columns.Length} fields, got {parts.Length}"

            parts
            |> Array.mapi (fun j raw ->
                match Double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture) with
                // Cost, error, d and ε all enter the fit through their logarithms, so each must be positive.
                | true, v when v > 0.0 && Double.IsFinite v -> v
                | _ -> fail $"line {n}, column {columns[j]}: expected a positive number, got \"{raw.Trim()}\""))

    let index name = Array.tryFindIndex ((=) name) columns
    let costAt, dAt = (index "cost").Value, index "d"
    let dOf (r: float[]) = dAt |> Option.map (fun j -> r[j])

    // A decay file holds one curve per d: its points are taken in order of cost, one point per cost.
    let cells =
        if Array.contains "eps" columns then
            cells
        else
            let numbered = Array.zip (Array.map fst rows) cells

            for (_, first), (lineB, b) in
                numbered
                |> Array.sortBy (fun (line, r) -> dOf r, r[costAt], line)
                |> Array.pairwise do
                if dOf first = dOf b && first[costAt] = b[costAt] then
                    fail $"line {lineB}: cost {b[costAt]} repeats an earlier row's; allowed: one row per cost (and d)"

            for d, curve in numbered |> Array.groupBy (snd >> dOf) do
                if curve.Length < MinRows then
                    let which = d |> Option.map (fun d -> $" for d = {d}") |> Option.defaultValue ""
                    fail $"expected at least {MinRows} rows{which} (a decay fit with intervals), got {curve.Length}"

            numbered |> Array.sortBy (fun (_, r) -> dOf r, r[costAt]) |> Array.map snd

    let column name =
        index name |> Option.map (fun j -> cells |> Array.map (fun r -> r[j]))

    { Cost = (column "cost").Value
      Error = (column "error").Value
      Dimension = column "d"
      Epsilon = column "eps"
      Window = FitWindow.Auto
      LogFactor = None }

let private number (text: string) =
    match Double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture) with
    | true, v when v > 0.0 && Double.IsFinite v -> Some v
    | _ -> None

/// The value of --window: all, auto, or FROM:TO in cost units (inclusive, 0 < FROM ≤ TO).
let window (value: string) : FitWindow.WindowChoice =
    let bad () =
        raise (ArgumentException($"--window: expected all, auto or FROM:TO with costs 0 < FROM ≤ TO, got \"{value}\""))

    match value.Trim().ToLowerInvariant() with
    | "all" -> FitWindow.All
    | "auto" -> FitWindow.Auto
    | range ->
        match range.Split(':') with
        | [| a; b |] ->
            match number a, number b with
            | Some lo, Some hi when lo <= hi -> FitWindow.CostRange(lo, hi)
            | _ -> bad ()
        | _ -> bad ()

/// The largest |A| of --log-power.
[<Literal>]
let MaxLogPower = 10.0

/// The log factor of --log-power A and --log-of cost|d/eps|1/eps (default cost).
let logFactor (power: float) (argument: string option) : LogFactor =
    // Theorems state small powers of a logarithm; far beyond, (ln X)^A overflows before any fit.
    if not (Double.IsFinite power) || abs power > MaxLogPower then
        raise (ArgumentException($"--log-power = {power}: allowed a number in [-{MaxLogPower}, {MaxLogPower}]"))

    let arg =
        match argument |> Option.map (fun a -> a.Trim().ToLowerInvariant()) with
        | None
        | Some "cost" -> LogCost
        | Some "d/eps" -> LogDOverEps
        | Some "1/eps" -> LogInvEps
        | Some other -> raise (ArgumentException($"--log-of: expected cost, d/eps or 1/eps, got \"{other}\""))

    { Power = power; Argument = arg }
