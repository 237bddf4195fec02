/// Targets a user describes in a file: a diagonal spectrum (CSV, one variance per row) and a Gaussian mixture (JSON).
/// Every defect is reported as one line naming the file, the row or field, the value and what is allowed, so a target
/// file is checked as strictly as a spec.
module RateLab.Analysis.Studies.TargetFiles

open System
open System.Globalization
open System.IO
open System.Text.Json

/// A file defect, as the problem alone: the catalog's rules put it after the parameter that named the file.
exception TargetFileDefect of problem: string

let private fail (problem: string) : 'a = raise (TargetFileDefect problem)

let private read (file: string) =
    try
        File.ReadAllText file
    with
    | :? IOException
    | :? UnauthorizedAccessException as ex -> fail $"cannot read \"{file}\" ({ex.Message})"

let private number (s: string) =
    match Double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture) with
    | true, v when Double.IsFinite v -> Some v
    | _ -> None

/// The variances of a spectrum file: one positive number per non-empty row (a first row that is not a number, such
/// as a header "variance", is skipped; `#` starts a comment).
let spectrum (file: string) : float[] =
    let rows =
        (read file).Replace("\r", "").Split('\n')
        |> Array.mapi (fun i l ->
            i + 1,
            (match l.IndexOf '#' with
             | -1 -> l
             | k -> l.Substring(0, k))
                .Trim())
        |> Array.filter (fun (_, l) -> l <> "")

    // A header is text; a number out of range ("1e400", "NaN") is a bad variance, refused with its line below.
    let isText (s: string) =
        not (fst (Double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture)))

    let body =
        if rows.Length > 0 && isText (snd rows[0]) then
            rows[1..]
        else
            rows

    if body.Length = 0 then
        fail $"\"{file}\" holds no variances; allowed: one positive number per row"

    body
    |> Array.map (fun (line, text) ->
        match number text with
        | Some v when v > 0.0 -> v
        | _ -> fail $"\"{file}\" line {line}: expected a finite number in (0, ∞), got \"{text}\"")

/// A Gaussian mixture as weights, K×d row-major means and K×d variances.
type MixtureData =
    { Weights: float[]
      Means: float[][]
      Variances: float[][] }

/// A mixture file: {"weights": [w…], "means": [[μ…]…], "variances": [[σ²…]…] or [σ²…] (isotropic per component)}.
let mixture (file: string) : MixtureData =
    let doc =
        try
            JsonDocument.Parse(read file)
        with :? JsonException as ex ->
            fail $"\"{file}\" is not valid JSON ({ex.Message.Split('\n')[0]})"

    use doc = doc
    let at (field: string) = "\"" + file + "\" " + field
    let meansField, variancesField = "means", "variances"
    let index (i: int) = $"[{i}]"
    let root = doc.RootElement

    if root.ValueKind <> JsonValueKind.Object then
        fail $"\"{file}\": expected a JSON object"

    let prop name =
        match root.TryGetProperty(name: string) with
        | true, v -> v
        | _ -> fail $"{at name}: required field is missing"

    let numbers (field: string) (positive: bool) (e: JsonElement) =
        if e.ValueKind <> JsonValueKind.Array || e.GetArrayLength() = 0 then
            fail $"{at field}: expected a non-empty array of numbers"

        e.EnumerateArray()
        |> Seq.mapi (fun i x ->
            let ok = x.ValueKind = JsonValueKind.Number && Double.IsFinite(x.GetDouble())
            let v = if ok then x.GetDouble() else nan

            if not ok || (positive && not (v > 0.0)) then
                let range = if positive then "(0, ∞)" else "(-∞, ∞)"
                fail $"{at field}[{i}]: expected a finite number in {range}, got {x.GetRawText()}"

            v)
        |> Seq.toArray

    let rows (field: string) positive (e: JsonElement) =
        if e.ValueKind <> JsonValueKind.Array || e.GetArrayLength() = 0 then
            fail $"{at field}: expected a non-empty array of arrays"

        e.EnumerateArray()
        |> Seq.mapi (fun i r -> numbers $"{field}[{i}]" positive r)
        |> Seq.toArray

    let weights = numbers "weights" true (prop "weights")
    let means = rows "means" false (prop "means")
    let k, d = weights.Length, means[0].Length

    if means.Length <> k then
        fail $"{at meansField}: expected {k} rows (one per weight), got {means.Length}"

    means
    |> Array.iteri (fun i m ->
        if m.Length <> d then
            fail $"{at (meansField + index i)}: expected {d} numbers (as means[0]), got {m.Length}")

    let vs = prop "variances"

    let variances =
        if
            vs.ValueKind = JsonValueKind.Array
            && vs.GetArrayLength() > 0
            && vs[0].ValueKind = JsonValueKind.Number
        then
            numbers "variances" true vs |> Array.map (fun v -> Array.create d v)
        else
            rows "variances" true vs

    if variances.Length <> k then
        fail $"{at variancesField}: expected {k} entries (one per weight), got {variances.Length}"

    variances
    |> Array.iteri (fun i v ->
        if v.Length <> d then
            fail $"{at (variancesField + index i)}: expected {d} numbers, got {v.Length}")

    { Weights = weights
      Means = means
      Variances = variances }
