/// One experiment as data, read from JSON. Every defect in a spec file is reported with the path of the field at
/// fault ("spec.chains: expected an integer ≥ 1, got 0") so a user can fix it from one line.
/// The schema is documented in docs/spec-schema.md.
module RateLab.Analysis.Experiments.Spec

open System
open System.Globalization
open System.Text.Json
open System.Text.Json.Nodes
open RateLab.Analysis.Model.Records

/// A malformed spec: a usage error naming the field path. An ArgumentException so the command line maps it to exit 2.
type SpecException(path: string, problem: string) =
    inherit ArgumentException($"{path}: {problem}")
    /// The dotted path of the field at fault, e.g. "spec.sampler.h".
    member _.Path = path
    /// What is wrong with it, without the path.
    member _.Problem = problem

/// How much work a run does: quick for CI and smoke checks, full for the published report.
type Profile =
    | Quick
    | Full

/// A parameter value of a sampler or target.
type ParamValue =
    | Number of float
    | Text of string
    | Flag of bool

/// A named sampler or target with its parameters.
type Component =
    { Name: string
      Parameters: Map<string, ParamValue> }

/// One experiment: a sampler on a target, measured under one metric over a grid of step counts and dimensions.
type ExperimentSpec =
    {
        Name: string
        Sampler: Component
        Target: Component
        Dimensions: int list
        Metric: MetricKind
        /// Step-count grid, strictly increasing.
        Steps: int list
        Chains: int
        /// Exactly one seed (a list in the file format for compatibility; parse refuses more than one).
        Seeds: uint64 list
        Profile: Profile
        /// Claim ids (docs/background.md) the experiment bears on; may be empty.
        Claims: string list
    }

/// Stable names of metrics, shared by specs, results.json and the command line.
module MetricNames =
    let private fixedNames =
        [ ExactKl, "exact_kl"
          KlUpper, "kl_upper"
          KlLower, "kl_lower"
          ExactW2, "exact_w2"
          W2Upper, "w2_upper"
          W2Lower, "w2_lower"
          TvUpper, "tv_upper"
          TvLower, "tv_lower"
          StrongError, "strong_error" ]

    /// The prefix of sample-based metrics: "sample:mmd" is SampleMetric "mmd".
    [<Literal>]
    let SamplePrefix = "sample:"

    /// The sample metrics `run` measures by Monte Carlo (Studies/MonteCarlo.fs gives each its meaning).
    let sampleNames = [ "mmd"; "energy"; "sliced_w2" ]

    /// Sample metrics RateLab computes (Metrics/Histogram.fs) but refuses in a spec, each with the one-line reason.
    /// A histogram divergence measures the binned laws, not the laws: it depends on the bins, stays below the true
    /// value, and its plug-in estimate is biased upward by about √(K/n) for K bins and n chains, so a fitted rate
    /// describes the bias and the bins as much as the sampler.
    let refusedSampleNames =
        [ for n in [ "hist_tv"; "hist_kl" ] ->
              n,
              "a histogram divergence is bin-dependent, bounded by the binned law's value and biased upward by "
              + "about √(bins/chains), so its rate is not the sampler's; use sample:mmd, sample:energy or "
              + "sample:sliced_w2" ]

    /// Why a sample metric name is refused, if it is one of refusedSampleNames.
    let refusal (name: string) =
        if name.StartsWith(SamplePrefix, StringComparison.Ordinal) then
            refusedSampleNames
            |> List.tryFind (fun (n, _) -> SamplePrefix + n = name)
            |> Option.map snd
        else
            None

    /// Every accepted form, for error messages and --help.
    let allowed =
        (fixedNames |> List.map snd)
        @ (sampleNames |> List.map (fun n -> SamplePrefix + n))

    /// The stable name of a metric.
    let toName metric =
        match metric with
        | SampleMetric name -> SamplePrefix + name
        | m -> fixedNames |> List.find (fun (k, _) -> k = m) |> snd

    /// The metric with this name, if any.
    let tryParse (name: string) =
        if
            name.StartsWith(SamplePrefix, StringComparison.Ordinal)
            && name.Length > SamplePrefix.Length
        then
            Some(SampleMetric(name.Substring SamplePrefix.Length))
        else
            fixedNames |> List.tryFind (fun (_, n) -> n = name) |> Option.map fst

    /// A metric a spec or claim may ask for: a fixed one, or a sample metric RateLab measures.
    let tryParseMeasurable (name: string) =
        match tryParse name with
        | Some(SampleMetric n) when not (List.contains n sampleNames) -> None
        | m -> m

/// Stable names of profiles.
module ProfileNames =
    /// The stable name of a profile.
    let toName profile =
        match profile with
        | Quick -> "quick"
        | Full -> "full"

    /// The profile with this name, if any.
    let tryParse name =
        match name with
        | "quick" -> Some Quick
        | "full" -> Some Full
        | _ -> None

/// The string of a JSON string element (never null for a string element).
let private stringOf (e: JsonElement) : string =
    match e.GetString() with
    | null -> ""
    | s -> s

/// A JSON string node (JsonValue.Create returns null only for a null string).
let private strNode (s: string) : JsonNode = nonNull (JsonValue.Create s)

let private fail path problem = raise (SpecException(path, problem))

let private show (e: JsonElement) =
    match e.ValueKind with
    | JsonValueKind.Number -> e.GetRawText()
    | JsonValueKind.String -> $"\"{stringOf e}\""
    | JsonValueKind.True -> "true"
    | JsonValueKind.False -> "false"
    | JsonValueKind.Null -> "null"
    | JsonValueKind.Array -> "an array"
    | _ -> "an object"

let private expect path what (e: JsonElement) =
    fail path $"expected {what}, got {show e}"

/// The properties of an object, rejecting unknown and duplicate keys.
let private fields path (known: string list) (e: JsonElement) =
    if e.ValueKind <> JsonValueKind.Object then
        expect path "an object" e

    let props = e.EnumerateObject() |> Seq.toList

    for p in props do
        if not (List.contains p.Name known) then
            let allowed = String.Join(", ", known)
            fail $"{path}.{p.Name}" $"unknown field; allowed fields: {allowed}"

    match props |> List.countBy (fun p -> p.Name) |> List.tryFind (fun (_, n) -> n > 1) with
    | Some(name, _) -> fail $"{path}.{name}" "field given more than once"
    | None -> ()

    props |> List.map (fun p -> p.Name, p.Value) |> Map.ofList

let private required path name (m: Map<string, JsonElement>) =
    match m.TryFind name with
    | Some v -> v
    | None -> fail $"{path}.{name}" "required field is missing"

let private text path (e: JsonElement) =
    match e.ValueKind with
    | JsonValueKind.String when not (String.IsNullOrWhiteSpace(stringOf e)) -> stringOf e
    | _ -> expect path "a non-empty string" e

let private intAtLeast path lo (e: JsonElement) =
    match e.ValueKind with
    | JsonValueKind.Number ->
        match e.TryGetInt32() with
        | true, v when v >= lo -> v
        | _ -> expect path $"an integer in [{lo}, {Int32.MaxValue}]" e
    | _ -> expect path $"an integer in [{lo}, {Int32.MaxValue}]" e

let private seed path (e: JsonElement) =
    match e.ValueKind with
    | JsonValueKind.Number ->
        match e.TryGetUInt64() with
        | true, v -> v
        | _ -> expect path "an integer in [0, 2^64)" e
    | _ -> expect path "an integer in [0, 2^64)" e

let private array path (e: JsonElement) =
    if e.ValueKind <> JsonValueKind.Array then
        expect path "a non-empty array" e

    let items = e.EnumerateArray() |> Seq.toList

    if items.IsEmpty then
        fail path "expected a non-empty array, got []"

    items |> List.mapi (fun i x -> $"{path}[{i}]", x)

let private increasing path what (xs: int list) =
    xs
    |> List.pairwise
    |> List.iteri (fun i (a, b) ->
        if b <= a then
            fail $"{path}[{i + 1}]" $"expected {what} strictly increasing, got {b} after {a}")

    xs

/// A parameter value by its JSON type only; its name and range are checked against the component's declared
/// parameters (Experiments.Parameters) once the component is known.
let private paramValue path (e: JsonElement) =
    match e.ValueKind with
    | JsonValueKind.Number ->
        let v = e.GetDouble()

        if not (Double.IsFinite v) then
            expect path "a finite number" e

        Number v
    | JsonValueKind.String -> Text(stringOf e)
    | JsonValueKind.True -> Flag true
    | JsonValueKind.False -> Flag false
    | _ -> expect path "a number, string or boolean" e

let private componentOf path (e: JsonElement) =
    let m = fields path [ "name"; "parameters" ] e
    let name = text $"{path}.name" (required path "name" m)

    let parameters =
        match m.TryFind "parameters" with
        | None -> Map.empty
        | Some p ->
            let pPath = $"{path}.parameters"

            if p.ValueKind <> JsonValueKind.Object then
                expect pPath "an object" p

            let props = p.EnumerateObject() |> Seq.toList

            match props |> List.countBy (fun q -> q.Name) |> List.tryFind (fun (_, n) -> n > 1) with
            | Some(dup, _) -> fail $"{pPath}.{dup}" "field given more than once"
            | None -> ()

            props
            |> List.map (fun q -> q.Name, paramValue $"{pPath}.{q.Name}" q.Value)
            |> Map.ofList

    { Name = name; Parameters = parameters }

/// A parameter given on the command line as "name=value": a number when it reads as one (invariant culture),
/// true/false as a flag, anything else as text. Numbers must be finite; names and ranges are checked against the
/// component's declared parameters, as for a spec file.
let parseAssignment (path: string) (assignment: string) : string * ParamValue =
    let i = assignment.IndexOf '='

    if i <= 0 then
        fail path $"expected name=value, got \"{assignment}\""

    let name = assignment.Substring(0, i).Trim()
    let raw = assignment.Substring(i + 1).Trim()
    let at = $"{path} {name}"

    let value =
        match Double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture) with
        | true, v ->
            if not (Double.IsFinite v) then
                fail at $"expected a finite number, got {raw}"

            Number v
        | _ ->
            match raw with
            | "true" -> Flag true
            | "false" -> Flag false
            | "" -> fail at "expected a value after '='"
            | _ -> Text raw

    name, value

/// The parameters of repeated "name=value" options; a name given twice is refused rather than the last one kept.
let parseAssignments (path: string) (assignments: string list) : Map<string, ParamValue> =
    let pairs = assignments |> List.map (parseAssignment path)

    match pairs |> List.countBy fst |> List.tryFind (fun (_, n) -> n > 1) with
    | Some(name, n) -> fail $"{path} {name}" $"given {n} times; give each parameter once"
    | None -> Map.ofList pairs

let private topFields =
    [ "name"
      "sampler"
      "target"
      "dimensions"
      "metric"
      "steps"
      "chains"
      "seeds"
      "profile"
      "claims" ]

/// The longest spec name: it becomes a directory name under --out.
[<Literal>]
let MaxNameLength = 100

/// Parses a spec from JSON text. Raises SpecException (an ArgumentException) naming the field at fault.
let parse (json: string) : ExperimentSpec =
    let doc =
        try
            JsonDocument.Parse(json, JsonDocumentOptions(CommentHandling = JsonCommentHandling.Skip))
        with :? JsonException as ex ->
            fail "spec" $"not valid JSON ({ex.Message.Split('\n').[0]})"

    use doc = doc
    let p = "spec"
    let m = fields p topFields doc.RootElement

    let name =
        let e = required p "name" m
        let n = text $"{p}.name" e
        // The name becomes a directory under --out, so it must not carry path syntax, and it must fit a file
        // name (255 bytes on common file systems) with room to spare.
        if
            n.Length < 1
            || n.Length > MaxNameLength
            || n
               |> Seq.exists (fun c -> not (Char.IsAsciiLetterOrDigit c || c = '-' || c = '_'))
        then
            expect $"{p}.name" $"a name of 1 to {MaxNameLength} ASCII letters, digits, '-' and '_'" e

        n

    let sampler = componentOf $"{p}.sampler" (required p "sampler" m)
    let target = componentOf $"{p}.target" (required p "target" m)

    let dimensions =
        array $"{p}.dimensions" (required p "dimensions" m)
        |> List.map (fun (q, x) -> intAtLeast q 1 x)
        |> increasing $"{p}.dimensions" "dimensions"

    let metric =
        let e = required p "metric" m
        let n = text $"{p}.metric" e

        match MetricNames.tryParseMeasurable n with
        | Some k -> k
        | None when (MetricNames.refusal n).IsSome ->
            fail $"{p}.metric" $"\"{n}\" is refused: {(MetricNames.refusal n).Value}"
        | None ->
            let allowed = String.Join(", ", MetricNames.allowed)
            fail $"{p}.metric" $"unknown metric \"{n}\"; allowed: {allowed}"

    let steps =
        array $"{p}.steps" (required p "steps" m)
        |> List.map (fun (q, x) -> intAtLeast q 1 x)
        |> increasing $"{p}.steps" "step counts"

    let chains = intAtLeast $"{p}.chains" 1 (required p "chains" m)

    let seeds =
        array $"{p}.seeds" (required p "seeds" m) |> List.map (fun (q, x) -> seed q x)
    // One seed drives a whole exact analysis (its draw replicates are the chains), so a second seed would be
    // recorded without being used; refusing it keeps results.json honest.
    if seeds.Length > 1 then
        fail $"{p}.seeds" $"expected exactly one seed, got {seeds.Length}; run one spec per seed to compare seeds"

    let profile =
        match m.TryFind "profile" with
        | None -> Quick
        | Some e ->
            match ProfileNames.tryParse (text $"{p}.profile" e) with
            | Some v -> v
            | None -> expect $"{p}.profile" "\"quick\" or \"full\"" e

    let claims =
        match m.TryFind "claims" with
        | None -> []
        | Some e when e.ValueKind = JsonValueKind.Array ->
            e.EnumerateArray()
            |> Seq.mapi (fun i x -> text $"{p}.claims[{i}]" x)
            |> Seq.toList
        | Some e -> expect $"{p}.claims" "an array of claim ids" e

    { Name = name
      Sampler = sampler
      Target = target
      Dimensions = dimensions
      Metric = metric
      Steps = steps
      Chains = chains
      Seeds = seeds
      Profile = profile
      Claims = claims }

let private paramNode v : JsonNode =
    match v with
    | Number x -> JsonValue.Create x
    | Text s -> strNode s
    | Flag b -> JsonValue.Create b

let private componentNode (c: Component) =
    let ps = JsonObject()

    for KeyValue(k, v) in c.Parameters do // Map iterates in key order: canonical.
        ps[k] <- paramNode v

    JsonObject(dict [ "name", strNode c.Name; "parameters", (ps :> JsonNode) ])

let private intArray (xs: int seq) =
    JsonArray(xs |> Seq.map (fun x -> JsonValue.Create x :> JsonNode) |> Seq.toArray)

/// The spec as a JsonNode with keys in a fixed (sorted) order.
let toNode (s: ExperimentSpec) : JsonObject =
    let o = JsonObject()
    o["chains"] <- JsonValue.Create s.Chains
    o["claims"] <- JsonArray(s.Claims |> List.map (fun c -> strNode c) |> List.toArray)
    o["dimensions"] <- intArray s.Dimensions
    o["metric"] <- strNode (MetricNames.toName s.Metric)
    o["name"] <- strNode s.Name
    o["profile"] <- strNode (ProfileNames.toName s.Profile)
    o["sampler"] <- componentNode s.Sampler
    o["seeds"] <- JsonArray(s.Seeds |> List.map (fun x -> JsonValue.Create x :> JsonNode) |> List.toArray)
    o["steps"] <- intArray s.Steps
    o["target"] <- componentNode s.Target
    o

/// Canonical compact JSON of a spec: same spec, same bytes (keys sorted, shortest round-trip numbers). Used for
/// cache keys, so it must not depend on culture or on the order fields had in the input file.
let toCanonicalJson (s: ExperimentSpec) = (toNode s).ToJsonString()

/// Indented JSON of a spec, readable by parse.
let toJson (s: ExperimentSpec) =
    (toNode s).ToJsonString(JsonSerializerOptions(WriteIndented = true))

/// A parameter as text, for tables and records.
let showParam v =
    match v with
    | Number x -> x.ToString("R", CultureInfo.InvariantCulture)
    | Text s -> s
    | Flag b -> if b then "true" else "false"
