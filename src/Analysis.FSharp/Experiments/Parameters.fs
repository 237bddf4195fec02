/// The declared parameters of a sampler or target: name, type, range, default and meaning. Specs, `--param` and
/// `--target-param` are all checked against these declarations, so a value is accepted or refused the same way
/// wherever it comes from, and `ratelab list` prints the same table the checks use.
module RateLab.Analysis.Experiments.Parameters

open System
open System.Globalization
open RateLab.Analysis.Experiments.Spec

/// One end of a numeric range.
type Bound =
    | Open of float
    | Closed of float

/// The type of a parameter's value.
type ParamKind =
    | Real
    | Integer
    | Boolean
    | Choice of string list
    /// Free text (a list of numbers) whose content the entry's rules check; `what` says what it holds.
    | FreeText of what: string
    /// A path to a file the entry reads; its content is part of a run's configuration (and of its cache key).
    | FilePath of what: string

/// How a parameter relates to the step count n of a grid point.
type StepRole =
    /// The same value at every step count (a step size, a friction).
    | Fixed
    /// A total the run divides by n (a time horizon): the step it implies shrinks as n grows.
    | SplitOverSteps

/// A declared parameter. A parameter without a default is required unless its entry says otherwise.
type ParamSchema =
    { Name: string
      Kind: ParamKind
      Lower: Bound option
      Upper: Bound option
      Default: ParamValue option
      Meaning: string
      Role: StepRole }

let private num (x: float) =
    x.ToString("R", CultureInfo.InvariantCulture)

/// A real parameter in a range.
let real name lower upper fallback meaning =
    { Name = name
      Kind = Real
      Lower = lower
      Upper = upper
      Default = Option.map Number fallback
      Meaning = meaning
      Role = Fixed }

/// A real parameter in (0, ∞).
let positive name fallback meaning =
    real name (Some(Open 0.0)) None fallback meaning

/// An integer parameter ≥ lo.
let integer name (lo: int) (fallback: int option) meaning =
    { Name = name
      Kind = Integer
      Lower = Some(Closed(float lo))
      Upper = Some(Closed(float Int32.MaxValue))
      Default = fallback |> Option.map (float >> Number)
      Meaning = meaning
      Role = Fixed }

/// A boolean parameter.
let boolean name fallback meaning =
    { Name = name
      Kind = Boolean
      Lower = None
      Upper = None
      Default = Some(Flag fallback)
      Meaning = meaning
      Role = Fixed }

/// A text parameter without a default (a path, a list); the entry's rules check its content.
let freeText name what meaning =
    { Name = name
      Kind = FreeText what
      Lower = None
      Upper = None
      Default = None
      Meaning = meaning
      Role = Fixed }

/// A file-path parameter without a default; the entry's rules read and check the file.
let filePath name what meaning =
    { Name = name
      Kind = FilePath what
      Lower = None
      Upper = None
      Default = None
      Meaning = meaning
      Role = Fixed }

/// A parameter taking one of a few names.
let choice name (allowed: string list) fallback meaning =
    { Name = name
      Kind = Choice allowed
      Lower = None
      Upper = None
      Default = Some(Text fallback)
      Meaning = meaning
      Role = Fixed }

/// The range of a numeric parameter in interval notation, e.g. "(0, ∞)" or "[1, 2147483647]".
let range (p: ParamSchema) =
    let lo =
        match p.Lower with
        | Some(Open x) -> $"({num x}"
        | Some(Closed x) -> $"[{num x}"
        | None -> "(-∞"

    let hi =
        match p.Upper with
        | Some(Open x) -> $"{num x})"
        | Some(Closed x) -> $"{num x}]"
        | None -> "∞)"

    $"{lo}, {hi}"

/// What a value of the parameter must be, in words, for error messages.
let expected (p: ParamSchema) =
    match p.Kind with
    | Real -> $"a finite number in {range p}"
    | Integer -> $"an integer in {range p}"
    | Boolean -> "true or false"
    | Choice allowed -> "one of " + String.Join(", ", allowed)
    | FreeText what
    | FilePath what -> what

/// The type column of `ratelab list`.
let kindName (p: ParamSchema) =
    match p.Kind with
    | Real -> "real"
    | Integer -> "integer"
    | Boolean -> "boolean"
    | Choice allowed -> String.Join("|", allowed)
    | FreeText _ -> "text"
    | FilePath _ -> "path"

let private inRange (p: ParamSchema) (x: float) =
    let above =
        match p.Lower with
        | Some(Open lo) -> x > lo
        | Some(Closed lo) -> x >= lo
        | None -> true

    let below =
        match p.Upper with
        | Some(Open hi) -> x < hi
        | Some(Closed hi) -> x <= hi
        | None -> true

    Double.IsFinite x && above && below

/// Whether a value is of the parameter's type and inside its range. Booleans and choices may come as text (a JSON
/// string or a command-line word), so `predictor_only=true` and `"predictor_only": true` mean the same.
let admits (p: ParamSchema) (v: ParamValue) =
    match p.Kind, v with
    | Real, Number x -> inRange p x
    | Integer, Number x -> inRange p x && x = Math.Round x
    | Boolean, (Flag _ | Text("true" | "false")) -> true
    | Choice allowed, Text s -> List.contains s allowed
    | (FreeText _ | FilePath _), Text s -> not (String.IsNullOrWhiteSpace s)
    | _ -> false

/// Where a component's parameters came from, for error messages: the spec path of a parameter, or the command-line
/// option and parameter name.
type Origin = string -> string

/// A usage error about one parameter: "PATH: PROBLEM". An ArgumentException, so the command line exits 2.
let refuse (origin: Origin) (name: string) (problem: string) : 'a =
    raise (SpecException(origin name, problem))

/// Checks a component's parameters against the schema: no unknown names, every value of its type and in its range,
/// every parameter without a default present unless `optional` says it may be absent.
let check (origin: Origin) (schema: ParamSchema list) (optional: string -> bool) (c: Component) =
    let names = schema |> List.map (fun p -> p.Name)

    for KeyValue(name, value) in c.Parameters do
        match schema |> List.tryFind (fun p -> p.Name = name) with
        | None ->
            let allowed = if names.IsEmpty then "none" else String.Join(", ", names)
            refuse origin name $"unknown parameter of {c.Name}; allowed: {allowed}"
        | Some p when not (admits p value) ->
            // A quoted number ("0.1") reads as in range unless its type is said.
            let got =
                match value with
                | Text s -> $"the string \"{s}\""
                | v -> showParam v

            refuse origin name $"expected {expected p}, got {got}"
        | Some _ -> ()

    for p in schema do
        if
            p.Default.IsNone
            && not (optional p.Name)
            && not (c.Parameters.ContainsKey p.Name)
        then
            refuse origin p.Name $"required parameter of {c.Name} is missing"

/// Reading checked parameters, falling back on the declared defaults.
module Read =
    let private value (schema: ParamSchema list) (c: Component) name =
        match Map.tryFind name c.Parameters with
        | Some v -> Some v
        | None ->
            schema
            |> List.tryFind (fun p -> p.Name = name)
            |> Option.bind (fun p -> p.Default)

    /// A real or integer parameter as a float.
    let number schema c name =
        match value schema c name with
        | Some(Number x) -> x
        | other -> invalidOp $"{c.Name}.{name}: checked parameter has no number ({other})"

    /// A boolean parameter.
    let flag schema c name =
        match value schema c name with
        | Some(Flag b) -> b
        | Some(Text "true") -> true
        | Some(Text "false") -> false
        | other -> invalidOp $"{c.Name}.{name}: checked parameter has no boolean ({other})"

    /// A choice parameter.
    let text schema c name =
        match value schema c name with
        | Some(Text s) -> s
        | other -> invalidOp $"{c.Name}.{name}: checked parameter has no text ({other})"

/// One line per parameter for `ratelab list`: name, type, range, default and meaning. Parameters in `oneOf` have no
/// default and exactly one of them must be given; those in `optional` have no default and may be absent.
let describe (oneOf: string list) (optional: string list) (schema: ParamSchema list) =
    [ for p in schema ->
          let bounds =
              match p.Kind with
              | Real
              | Integer -> " " + range p
              | _ -> ""

          let fallback =
              match p.Default with
              | Some v -> $"default {showParam v}"
              | None when List.contains p.Name oneOf -> "required: one of " + String.Join(" or ", oneOf)
              | None when List.contains p.Name optional -> "optional"
              | None -> "required"

          let role =
              if p.Role = SplitOverSteps then
                  "; divided over the n steps"
              else
                  ""

          $"{p.Name}: {kindName p}{bounds}, {fallback} — {p.Meaning}{role}" ]
