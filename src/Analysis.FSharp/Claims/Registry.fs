/// Loads and validates a claims file: the built-in registry (claims.json next to the program) or a user's file for
/// `ratelab check`. Every error names the claim and field, so a typo in the data is found by reading one line. The
/// format is documented in docs/claims.md.
module RateLab.Analysis.Claims.Registry

open System
open System.IO
open System.Text.Json
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Claims.Claim

exception private Invalid of string

let private fail path message = raise (Invalid $"{path}: {message}")

/// The string value of a String element ("" for JSON null, which the callers reject).
let private stringOf (v: JsonElement) =
    match v.GetString() with
    | null -> ""
    | s -> s

let private property (path: string) (e: JsonElement) (name: string) =
    match e.TryGetProperty name with
    | true, v -> v
    | _ -> fail $"{path}.{name}" "missing; required"

let private text (path: string) (e: JsonElement) (name: string) =
    let v = property path e name

    if v.ValueKind <> JsonValueKind.String || String.IsNullOrWhiteSpace(stringOf v) then
        fail $"{path}.{name}" $"is {v.ValueKind} '{v}'; allowed: a non-empty string"

    stringOf v

let private optionalText (path: string) (e: JsonElement) (name: string) (allowed: string list) =
    let v = property path e name

    match v.ValueKind with
    | JsonValueKind.Null -> None
    | JsonValueKind.String when List.contains (stringOf v) allowed -> Some(stringOf v)
    | _ -> fail $"{path}.{name}" $"""is '{v}'; allowed: null or one of {String.Join(", ", allowed)}"""

let private choice (path: string) (e: JsonElement) (name: string) (cases: (string * 'a) list) =
    let v = text path e name

    match List.tryFind (fst >> (=) v) cases with
    | Some(_, c) -> c
    | None -> fail $"{path}.{name}" $"""is '{v}'; allowed: one of {String.Join(", ", List.map fst cases)}"""

/// An exponent: null, a JSON number, or a fraction string such as "-2/3" (exact thirds and twelfths read better).
let private exponent (path: string) (e: JsonElement) (name: string) =
    let v = property path e name

    let bad () =
        fail $"{path}.{name}" $"is '{v}'; allowed: null, a number, or a fraction string like \"-2/3\""

    match v.ValueKind with
    | JsonValueKind.Null -> None
    | JsonValueKind.Number -> Some(v.GetDouble())
    | JsonValueKind.String ->
        let parse (s: string) =
            match Double.TryParse(s, Globalization.NumberStyles.Float, Globalization.CultureInfo.InvariantCulture) with
            | true, x -> x
            | _ -> bad ()

        match (stringOf v).Split('/') with
        | [| a |] -> Some(parse a)
        | [| a; b |] when parse b <> 0.0 -> Some(parse a / parse b)
        | _ -> bad ()
    | _ -> bad ()


let private optionalProperty (e: JsonElement) (name: string) =
    match e.TryGetProperty name with
    | true, v when v.ValueKind <> JsonValueKind.Null -> Some v
    | _ -> None

/// Refuses a field `e` does not define, and one given twice: a misspelt optional field ("logfactor", "margn")
/// would otherwise be ignored and its default used, judging a claim other than the one the user wrote.
let private onlyFields (path: string) (e: JsonElement) (known: string list) =
    let names = e.EnumerateObject() |> Seq.map (fun p -> p.Name) |> List.ofSeq

    let allowed = String.Join(", ", known)

    for n in names do
        if not (List.contains n known) then
            fail $"{path}.{n}" $"unknown field; allowed fields: {allowed}"

    match names |> List.countBy id |> List.tryFind (fun (_, k) -> k > 1) with
    | Some(n, _) -> fail $"{path}.{n}" "field given more than once"
    | None -> ()

let private number (path: string) (e: JsonElement) =
    match e.ValueKind with
    | JsonValueKind.Number when Double.IsFinite(e.GetDouble()) -> e.GetDouble()
    | _ -> fail path $"is '{e}'; allowed: a finite number"

let private integer (path: string) (lo: int) (e: JsonElement) =
    match e.ValueKind with
    | JsonValueKind.Number ->
        match e.TryGetInt32() with
        | true, n when n >= lo -> n
        | _ -> fail path $"is {e}; allowed: an integer ≥ {lo} (at most {Int32.MaxValue})"
    | _ -> fail path $"is '{e}'; allowed: an integer ≥ {lo}"

let private arrayOf (path: string) (e: JsonElement) (item: string -> JsonElement -> 'a) =
    if e.ValueKind <> JsonValueKind.Array then
        fail path "is not an array"

    e.EnumerateArray() |> Seq.mapi (fun i x -> item $"{path}[{i}]" x) |> List.ofSeq

/// A catalog component { "name": …, "parameters": { … } }; parameter names and ranges are checked by the catalog.
let private componentOf (path: string) (e: JsonElement) : Component =
    if e.ValueKind <> JsonValueKind.Object then
        fail path "is not an object"

    onlyFields path e [ "name"; "parameters" ]

    let name = text path e "name"

    let parameters =
        match optionalProperty e "parameters" with
        | None -> Map.empty
        | Some ps when ps.ValueKind = JsonValueKind.Object ->
            onlyFields $"{path}.parameters" ps [ for p in ps.EnumerateObject() -> p.Name ]

            ps.EnumerateObject()
            |> Seq.map (fun p ->
                let at = $"{path}.parameters.{p.Name}"

                let v =
                    match p.Value.ValueKind with
                    | JsonValueKind.Number -> Number(number at p.Value)
                    | JsonValueKind.String -> Text(stringOf p.Value)
                    | JsonValueKind.True -> Flag true
                    | JsonValueKind.False -> Flag false
                    | _ -> fail at $"is '{p.Value}'; allowed: a number, a string or a boolean"

                p.Name, v)
            |> Map.ofSeq
        | Some _ -> fail $"{path}.parameters" "is not an object"

    { Name = name; Parameters = parameters }

let private directionCases =
    [ "exact", ExactValue; "upper", UpperBoundOnError; "lower", LowerBoundOnError ]

let private directionName d =
    directionCases |> List.find (snd >> (=) d) |> fst

let private evidence (path: string) (e: JsonElement) : Evidence =
    if e.ValueKind <> JsonValueKind.Object then
        fail path "is not an object"

    onlyFields path e [ "metric"; "direction" ]

    let metricName = text path e "metric"

    let metric =
        match MetricNames.tryParseMeasurable metricName with
        | Some m -> m
        | None ->
            fail $"{path}.metric" $"""is '{metricName}'; allowed: one of {String.Join(", ", MetricNames.allowed)}"""

    let direction = choice path e "direction" directionCases
    // A declared direction that the metric cannot give would let a bound argue the wrong way. "exact" is also allowed:
    // it declares that the metric is the claimed quantity itself (e.g. a claim about E_draws KL measured as kl_upper).
    let natural = naturalDirection metric

    if direction <> natural && direction <> ExactValue then
        fail
            $"{path}.direction"
            $"is '{directionName direction}' but {metricName} gives '{directionName natural}' evidence on the error (or 'exact' when it is the claimed quantity itself)"

    { Metric = metric
      Direction = direction }

let private grid (path: string) (form: ClaimForm) (sweep: string option) (e: JsonElement) : Grid =
    if e.ValueKind <> JsonValueKind.Object then
        fail path "is not an object"

    onlyFields
        path
        e
        [ "dimensions"
          "steps"
          "epsilon"
          "levels"
          "values"
          "stepMultiple"
          "replicates"
          "seed" ]

    let dims =
        arrayOf $"{path}.dimensions" (property path e "dimensions") (fun p x -> integer p 1 x)

    if dims.IsEmpty then
        fail $"{path}.dimensions" "is empty; allowed: at least one dimension"

    let steps =
        arrayOf $"{path}.steps" (property path e "steps") (fun p x -> integer p 1 x)

    let lo, hi =
        match steps with
        | [ a; b ] when a <= b -> a, b
        | _ -> fail $"{path}.steps" $"is {steps}; allowed: [min, max] with 1 ≤ min ≤ max"

    let epsilon =
        match form, optionalProperty e "epsilon" with
        | CostBound, Some v ->
            let x = number $"{path}.epsilon" v

            if x <= 0.0 then
                fail $"{path}.epsilon" $"is {x}; allowed: a positive number"

            x
        | CostBound, None -> fail $"{path}.epsilon" "missing; a cost claim's grid needs the largest ε"
        | _, Some _ -> fail $"{path}.epsilon" "must be absent unless the claim's form is cost"
        | _, None -> nan

    let levels =
        match form with
        // A sweep fits the conditioning exponent at one ε; a (d, ε) test needs two ε to fit the ε-exponent.
        | CostBound when sweep.IsSome -> integer $"{path}.levels" 1 (property path e "levels")
        | CostBound -> integer $"{path}.levels" 2 (property path e "levels")
        // A decay grid doubles from the first step count up to the last.
        | _ ->
            if optionalProperty e "levels" |> Option.isSome then
                fail $"{path}.levels" "must be absent for a decay claim (its grid doubles from steps[0] up to steps[1])"

            let mutable k, n = 1, lo

            while n <= hi / 2 do
                n <- 2 * n
                k <- k + 1

            if k < 3 then
                fail
                    $"{path}.steps"
                    $"is [{lo}, {hi}]; allowed: at least three doublings' worth (steps[1] ≥ 4·steps[0]) for a decay fit"

            k

    let values =
        match sweep, optionalProperty e "values" with
        | Some name, Some v ->
            let xs = arrayOf $"{path}.values" v (fun p x -> number p x)

            if xs |> List.exists (fun x -> x <= 0.0) || (List.distinct xs).Length < 3 then
                fail $"{path}.values" $"is {xs}; allowed: at least three distinct positive values of {name}"

            if dims.Length <> 1 || levels <> 1 then
                fail path $"has {dims.Length} dimension(s) and {levels} ε level(s); allowed with a sweep: one of each"

            xs
        | Some name, None -> fail $"{path}.values" $"missing; a test that sweeps {name} needs its values"
        | None, Some _ -> fail $"{path}.values" "must be absent unless the test has a sweep"
        | None, None -> []

    { Dimensions = dims
      Epsilon = epsilon
      Levels = levels
      MinSteps = lo
      MaxSteps = hi
      StepMultiple =
        optionalProperty e "stepMultiple"
        |> Option.map (integer $"{path}.stepMultiple" 1)
        |> Option.defaultValue 1
      Replicates = integer $"{path}.replicates" 2 (property path e "replicates")
      Seed =
        let v = property path e "seed"

        match v.ValueKind, v.ValueKind = JsonValueKind.Number && fst (v.TryGetUInt64()) with
        | JsonValueKind.Number, true -> v.GetUInt64()
        | _ -> fail $"{path}.seed" $"is '{v}'; allowed: an integer in [0, {UInt64.MaxValue}]"
      Values = values }

let private test
    (path: string)
    (form: ClaimForm)
    (conditioning: string option)
    (termCount: int)
    (e: JsonElement)
    : ClaimTest =
    if e.ValueKind <> JsonValueKind.Object then
        fail path "is not an object"

    onlyFields
        path
        e
        [ "sampler"
          "target"
          "term"
          "evidence"
          "threshold"
          "sweep"
          "quick"
          "full"
          "setup" ]

    let evidenceList = arrayOf $"{path}.evidence" (property path e "evidence") evidence

    if evidenceList.IsEmpty then
        fail $"{path}.evidence" "is empty; a test measures at least one metric"

    let term = integer $"{path}.term" 0 (property path e "term")

    if term >= termCount then
        fail $"{path}.term" $"is {term}; allowed: 0 … {termCount - 1} (the claim has {termCount} term(s))"

    let sweep =
        match optionalProperty e "sweep" with
        | None -> None
        | Some _ ->
            let name = text path e "sweep"

            if form <> CostBound then
                fail $"{path}.sweep" "allowed only in a cost claim's test"

            if conditioning.IsNone then
                fail $"{path}.sweep" "needs the claim's conditioning symbol (kappa or L)"

            let target = componentOf $"{path}.target" (property path e "target")

            if target.Parameters.ContainsKey name then
                fail $"{path}.sweep" $"is '{name}', which target.parameters also sets; allowed: one or the other"

            Some name

    { Sampler = componentOf $"{path}.sampler" (property path e "sampler")
      Target = componentOf $"{path}.target" (property path e "target")
      Evidence = evidenceList
      Term = term
      Threshold = choice path e "threshold" [ "absolute", Absolute; "relative-sqrt-d", RelativeSqrtD ]
      Sweep = sweep
      Quick = grid $"{path}.quick" form sweep (property path e "quick")
      Full = grid $"{path}.full" form sweep (property path e "full")
      Setup = text path e "setup" }

let private logFactor (path: string) (form: ClaimForm) (e: JsonElement) : RateLab.Analysis.Fits.LogFactor option =
    match optionalProperty e "logFactor" with
    | None -> None
    | Some v ->
        let at = $"{path}.logFactor"

        if v.ValueKind <> JsonValueKind.Object then
            fail at "is not an object"

        onlyFields at v [ "power"; "of" ]

        let power =
            match exponent at v "power" with
            | Some p when p > 0.0 -> p
            | _ -> fail $"{at}.power" "allowed: a positive number or fraction string"

        let argument =
            choice
                at
                v
                "of"
                [ "cost", RateLab.Analysis.Fits.LogCost
                  "d/eps", RateLab.Analysis.Fits.LogDOverEps
                  "1/eps", RateLab.Analysis.Fits.LogInvEps ]
        // A decay claim's error depends on N alone: only a log of the cost can be divided out of it.
        if form = ErrorDecay && argument <> RateLab.Analysis.Fits.LogCost then
            fail $"{at}.of" "allowed: \"cost\" for a decay claim (its error depends on N alone)"

        Some({ Power = power; Argument = argument }: RateLab.Analysis.Fits.LogFactor)

let private gradeCases =
    [ "verified", Verified
      "reconstructed", Reconstructed
      "unverified", Unverified ]

/// Verified is the strongest grade, unverified the weakest.
let private weakness g =
    match g with
    | Verified -> 0
    | Reconstructed -> 1
    | Unverified -> 2

let private optionalGrade (path: string) (e: JsonElement) (name: string) =
    optionalText path e name (List.map fst gradeCases)
    |> Option.map (fun v -> gradeCases |> List.find (fst >> (=) v) |> snd)

/// Exponent grades must sit exactly on the stated exponents, and the overall grade must be the weakest of them.
let private exponentGrades (path: string) (e: JsonElement) (terms: Term list) (grade: Grade) : ExponentGrades =
    let g = property path e "exponentGrades"
    let path = $"{path}.exponentGrades"

    if g.ValueKind <> JsonValueKind.Object then
        fail path "is not an object"

    onlyFields path g [ "d"; "epsilon"; "conditioning"; "steps" ]

    let check name (stated: Term -> float option) : Grade option =
        let grade = optionalGrade path g name

        match grade, terms |> List.exists (stated >> Option.isSome) with
        | None, true -> fail $"{path}.{name}" "is null but a term states this exponent; grade it"
        | Some _, false -> fail $"{path}.{name}" "is set but no term states this exponent"
        | _ -> grade

    let grades: ExponentGrades =
        { D = check "d" (fun t -> t.D)
          Epsilon = check "epsilon" (fun t -> t.Epsilon)
          Conditioning = check "conditioning" (fun t -> t.Conditioning)
          Steps = check "steps" (fun t -> t.Steps) }

    match List.choose id [ grades.D; grades.Epsilon; grades.Conditioning; grades.Steps ] with
    | [] -> ()
    | stated ->
        let weakest = stated |> List.maxBy weakness

        if weakest <> grade then
            fail $"{path}" $"has weakest grade {weakest} but grade is {grade}; grade must be the weakest exponent grade"

    grades

let private term (path: string) (e: JsonElement) : Term =
    if e.ValueKind <> JsonValueKind.Object then
        fail path "is not an object"

    onlyFields path e [ "d"; "epsilon"; "conditioning"; "steps" ]

    { D = exponent path e "d"
      Epsilon = exponent path e "epsilon"
      Conditioning = exponent path e "conditioning"
      Steps = exponent path e "steps" }

let private claim (path: string) (e: JsonElement) =
    if e.ValueKind <> JsonValueKind.Object then
        fail path "is not an object"

    let id = text path e "id"
    let path = $"{path} (id {id})"

    onlyFields
        path
        e
        [ "id"
          "sampler"
          "statement"
          "metric"
          "assumptions"
          "form"
          "terms"
          "conditioning"
          "costMeasure"
          "logFactor"
          "margin"
          "grade"
          "gradeDetail"
          "exponentGrades"
          "measured"
          "source"
          "productTarget"
          "tests" ]

    let form =
        choice path e "form" [ "cost", CostBound; "decay", ErrorDecay; "qualitative", Qualitative ]

    let termsJson = property path e "terms"

    if termsJson.ValueKind <> JsonValueKind.Array then
        fail $"{path}.terms" "is not an array"

    let terms =
        termsJson.EnumerateArray()
        |> Seq.mapi (fun i t -> term $"{path}.terms[{i}]" t)
        |> List.ofSeq

    let conditioning = optionalText path e "conditioning" [ "kappa"; "L" ]
    // The form decides which exponents must be present: a fit needs something to compare with.
    terms
    |> List.iteri (fun i t ->
        let p = $"{path}.terms[{i}]"

        match form with
        | CostBound when t.D.IsNone && t.Epsilon.IsNone -> fail p "a cost term needs d or epsilon; both are null"
        | CostBound when t.Steps.IsSome ->
            fail $"{p}.steps" "must be null in a cost term (cost is the fitted quantity)"
        | ErrorDecay when t.Steps.IsNone -> fail $"{p}.steps" "is null; a decay term needs the exponent of N"
        | ErrorDecay when t.Epsilon.IsSome -> fail $"{p}.epsilon" "must be null in a decay term"
        | _ -> ()

        if t.Conditioning.IsSome && conditioning.IsNone then
            fail $"{p}.conditioning" "is set but the claim's conditioning symbol is null")

    match form, terms with
    | (CostBound | ErrorDecay), [] -> fail $"{path}.terms" "is empty; a cost or decay claim needs at least one term"
    | Qualitative, _ :: _ -> fail $"{path}.terms" "must be empty for a qualitative claim"
    | _ -> ()

    let costMeasure =
        match optionalText path e "costMeasure" [ "evaluations"; "rounds" ], form with
        | Some "evaluations", CostBound -> Some Evaluations
        | Some "rounds", CostBound -> Some Rounds
        | None, CostBound ->
            fail $"{path}.costMeasure" "is null; a cost claim must say what it counts (evaluations or rounds)"
        | None, _ -> None
        | Some _, _ -> fail $"{path}.costMeasure" "must be null unless form is cost"

    let grade = choice path e "grade" gradeCases

    let tests =
        match optionalProperty e "tests" with
        | None -> []
        | Some t -> arrayOf $"{path}.tests" t (fun p x -> test p form conditioning (max 1 terms.Length) x)

    if form = Qualitative && not tests.IsEmpty then
        fail $"{path}.tests" "must be empty for a qualitative claim (it is tested by a dedicated study)"

    let margin =
        optionalProperty e "margin"
        |> Option.map (fun v ->
            let m = number $"{path}.margin" v

            if m <= 0.0 then
                fail $"{path}.margin" $"is {m}; allowed: a positive number (exponent units)"

            m)

    { Id = id
      Sampler = text path e "sampler"
      Metric = text path e "metric"
      Assumptions = text path e "assumptions"
      Form = form
      Statement = text path e "statement"
      CostMeasure = costMeasure
      ConditioningSymbol = conditioning
      Terms = terms
      LogFactor = logFactor path form e
      Margin = margin
      Measured = text path e "measured"
      Source = text path e "source"
      Grade = grade
      ExponentGrades = exponentGrades path e terms grade
      GradeDetail = text path e "gradeDetail"
      ProductTarget = text path e "productTarget"
      Tests = tests }

/// Parses and validates registry JSON; Error names the first offending field.
let parse (json: string) : Result<Claim list, string> =
    try
        use doc = JsonDocument.Parse json
        let root = doc.RootElement

        if root.ValueKind <> JsonValueKind.Object then
            fail "$" "the root is not an object"

        onlyFields "$" root [ "about"; "claims" ]
        // "about" is optional prose for readers; when present it is a string like every other text field.
        match root.TryGetProperty "about" with
        | true, _ -> text "$" root "about" |> ignore
        | _ -> ()

        let claims = property "$" root "claims"

        if claims.ValueKind <> JsonValueKind.Array then
            fail "$.claims" "is not an array"

        let parsed =
            claims.EnumerateArray()
            |> Seq.mapi (fun i c -> claim $"claims[{i}]" c)
            |> List.ofSeq

        match parsed |> List.countBy (fun c -> c.Id) |> List.tryFind (snd >> (<) 1) with
        | Some(id, n) -> Error $"claims: id '{id}' appears {n} times; ids must be unique"
        | None when parsed.IsEmpty -> Error "claims: is empty"
        | None -> Ok parsed
    with
    | Invalid message -> Error message
    | :? JsonException as ex -> Error $"not valid JSON: {ex.Message}"

/// The registry shipped next to the program.
let defaultPath () =
    Path.Combine(AppContext.BaseDirectory, "Claims", "claims.json")

/// Loads and validates a registry file; throws InvalidDataException naming the file and field on any error.
let load (path: string) : Claim list =
    if not (File.Exists path) then
        raise (FileNotFoundException($"claims registry not found at {path}", path))

    match parse (File.ReadAllText path) with
    | Ok claims -> claims
    | Error message -> raise (InvalidDataException($"{path}: {message}"))
