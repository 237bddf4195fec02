/// Floats in the JSON the project stores (cache payloads, `train --json`). JSON has no NaN or infinity: a non-finite
/// number is written as null and read back as NaN. (The report's results.json spells them out instead: ResultsJson.)
module RateLab.Analysis.Experiments.JsonNumber

open System
open System.Text.Json.Nodes

/// `x` as a JSON number, or null when it is not finite.
let write (x: float) : JsonNode | null =
    if Double.IsFinite x then JsonValue.Create x else null

/// Field `name` of `n` as a float; NaN where it is null or missing.
let read (n: JsonNode) (name: string) =
    match n.[name] with
    | null -> nan
    | v -> v.GetValue<float>()
