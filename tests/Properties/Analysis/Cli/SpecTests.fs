/// Spec parsing: valid specs round-trip; every malformed spec (random mutations of a valid one) is a usage error
/// (exit 2) whose one-line message starts with the path of the field at fault.
module RateLab.Properties.Analysis.Cli.SpecTests

// JSON navigation in tests: a null where a node is expected fails the test, which is what it should do.
#nowarn "3261" "3264"

open System
open System.IO
open System.Text.Json.Nodes
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Cli
open RateLab.Properties.Generators
open RateLab.Properties.RepoFiles
open RateLab.Properties.FakeServices

/// A defect planted in the valid spec, and the field path its error message must start with.
type Mutation =
    { Name: string
      Apply: JsonObject -> unit
      Path: string }

    override m.ToString() = m.Name

let private objAt (root: JsonObject) (keys: string list) =
    keys |> List.fold (fun (o: JsonObject) k -> o[k] :?> JsonObject) root

/// Fresh replacement values (a node can have one parent only, so each use creates a new one).
let private values: (string * (unit -> JsonNode | null)) list =
    [ "\"x\"", (fun () -> JsonValue.Create "x")
      "\"\"", (fun () -> JsonValue.Create "")
      "1.5", (fun () -> JsonValue.Create 1.5)
      "3", (fun () -> JsonValue.Create 3)
      "true", (fun () -> JsonValue.Create true)
      "null", (fun () -> null)
      "[]", (fun () -> JsonArray())
      "{}", (fun () -> JsonObject()) ]

let private pick names =
    values |> List.filter (fun (n, _) -> List.contains n names)

let private notInt = pick [ "\"x\""; "1.5"; "true"; "null"; "[]"; "{}" ]
let private notArray = pick [ "\"x\""; "3"; "true"; "null"; "[]"; "{}" ] // [] is wrong too: arrays must be non-empty
let private notObject = pick [ "\"x\""; "3"; "true"; "null"; "[]"; "{}" ] // {} lacks the required name
let private notName = pick [ "\"\""; "3"; "true"; "null"; "[]"; "{}" ]

/// (parent keys, field, spec path, wrong values) for every typed field.
let private typedFields =
    [ [], "name", "spec.name", notName
      [], "sampler", "spec.sampler", notObject
      [], "target", "spec.target", notObject
      [], "dimensions", "spec.dimensions", notArray
      [], "metric", "spec.metric", pick [ "\"x\""; "\"\""; "3"; "null"; "[]" ]
      [], "steps", "spec.steps", notArray
      [], "chains", "spec.chains", notInt
      [], "seeds", "spec.seeds", notArray
      [], "profile", "spec.profile", pick [ "\"x\""; "3"; "null"; "{}" ]
      [], "claims", "spec.claims", pick [ "\"x\""; "3"; "{}" ]
      [ "sampler" ], "name", "spec.sampler.name", notName
      [ "sampler" ], "parameters", "spec.sampler.parameters", pick [ "\"x\""; "3"; "[]" ]
      [ "target" ], "name", "spec.target.name", notName
      [ "sampler"; "parameters" ], "h", "spec.sampler.parameters.h", pick [ "null"; "[]"; "{}" ] ]

let private arrays = [ "dimensions", 3; "steps", 4; "seeds", 1 ]

let private wrongType =
    gen {
        let! parent, field, path, candidates = Gen.elements typedFields
        let! shown, make = Gen.elements candidates

        return
            { Name = $"{path} := {shown}"
              Apply = fun root -> (objAt root parent)[field] <- make ()
              Path = path }
    }

let private wrongItem =
    gen {
        let! field, n = Gen.elements arrays
        let! i = Gen.choose (0, n - 1)
        let! shown, make = Gen.elements notInt

        return
            { Name = $"spec.{field}[{i}] := {shown}"
              Apply = fun root -> (root[field] :?> JsonArray)[i] <- make ()
              Path = $"spec.{field}[{i}]" }
    }

let private required =
    [ [], "name"
      [], "sampler"
      [], "target"
      [], "dimensions"
      [], "metric"
      [], "steps"
      [], "chains"
      [], "seeds"
      [ "sampler" ], "name"
      [ "target" ], "name" ]

let private dropped =
    gen {
        let! parent, field = Gen.elements required
        let path = String.concat "." ([ "spec" ] @ parent @ [ field ])

        return
            { Name = $"drop {path}"
              Apply = fun root -> (objAt root parent).Remove field |> ignore
              Path = path }
    }

let private negative =
    gen {
        let! v = Gen.choose (-1000, 0)
        let! i = Gen.choose (0, 2)
        let! which = Gen.choose (0, 4)
        let seedValue = min v -1 // seed 0 is valid

        return
            match which with
            | 0 ->
                { Name = $"chains := {v}"
                  Apply = (fun r -> r["chains"] <- JsonValue.Create v)
                  Path = "spec.chains" }
            | 1 ->
                { Name = $"steps[{i}] := {v}"
                  Apply = (fun r -> (r["steps"] :?> JsonArray)[i] <- JsonValue.Create v)
                  Path = $"spec.steps[{i}]" }
            | 2 ->
                { Name = $"dimensions[{i}] := {v}"
                  Apply = (fun r -> (r["dimensions"] :?> JsonArray)[i] <- JsonValue.Create v)
                  Path = $"spec.dimensions[{i}]" }
            | 3 ->
                { Name = $"seeds[0] := {seedValue}"
                  Apply = (fun r -> (r["seeds"] :?> JsonArray)[0] <- JsonValue.Create seedValue)
                  Path = "spec.seeds[0]" }
            | _ ->
                let h = float v / 7.0

                { Name = $"h := {h}"
                  Apply = (fun r -> (objAt r [ "sampler"; "parameters" ])["h"] <- JsonValue.Create h)
                  Path = "spec.sampler.parameters.h" }
    }

let private unknownKey =
    gen {
        let! suffix = Gen.elements [ "a"; "zz"; "step"; "Dimensions"; "extra_field" ]
        let key = "x_" + suffix
        let! parent = Gen.elements [ []; [ "sampler" ]; [ "target" ] ]
        let path = String.concat "." ([ "spec" ] @ parent @ [ key ])

        return
            { Name = $"unknown {path}"
              Apply = fun root -> (objAt root parent)[key] <- JsonValue.Create 1
              Path = path }
    }

let private genSpec =
    gen {
        let! name = Gen.elements [ "a"; "ula-iso"; "x_1" ]
        let! h = Gen.choose (1, 100000) |> Gen.map (fun i -> float i / 997.0)
        let! schedule = Gen.elements [ "cosine"; "linear" ]
        let! flag = Gen.elements [ true; false ]

        let! dims =
            Gen.nonEmptyListOf (Gen.choose (1, 1000))
            |> Gen.map (List.distinct >> List.sort)

        let! steps =
            Gen.nonEmptyListOf (Gen.choose (1, 100000))
            |> Gen.map (List.distinct >> List.sort)

        let! metric =
            Gen.elements [ "exact_kl"; "kl_upper"; "w2_lower"; "strong_error"; "sample:mmd" ]

        let! chains = Gen.choose (1, 100000)
        let! seed = ArbMap.defaults |> ArbMap.generate<uint64>
        let! profile = Gen.elements [ Quick; Full ]
        let! claims = Gen.listOf (Gen.elements [ "A1"; "A6'"; "B2" ])

        return
            { Name = name
              Sampler =
                { Name = "ula"
                  Parameters = Map [ "h", Number h; "schedule", Text schedule; "nested", Flag flag ] }
              Target =
                { Name = "gaussian"
                  Parameters = Map [ "m", Number(h / 3.0); "shift", Number(-h) ] }
              Dimensions = dims
              Metric = (MetricNames.tryParse metric).Value
              Steps = steps
              Chains = chains
              Seeds = [ seed ]
              Profile = profile
              Claims = claims }
    }

/// Arbitraries of this file.
type SpecArbs =
    static member Mutation() =
        Arb.fromGen (Gen.oneof [ wrongType; wrongItem; dropped; negative; unknownKey ])

    static member Spec() = Arb.fromGen genSpec

let private cfg =
    { config with
        arbitrary = typeof<SpecArbs> :: config.arbitrary
        maxTest = 100 }

/// The same JSON with every object's keys in reverse order.
let rec private reversed (n: JsonNode | null) : JsonNode | null =
    match n with
    | :? JsonObject as o ->
        let r = JsonObject()

        for KeyValue(k, v) in Seq.rev (Seq.toList o) do
            r[k] <-
                reversed (
                    match v with
                    | null -> null
                    | v -> v.DeepClone()
                )

        r
    | :? JsonArray as a ->
        JsonArray(
            a
            |> Seq.map (fun x ->
                reversed (
                    match x with
                    | null -> null
                    | x -> x.DeepClone()
                ))
            |> Seq.toArray
        )
    | other -> other

[<Tests>]
let tests =
    testList
        "Analysis.Cli.Spec"
        [ test "the example spec parses" {
              let s = parse (File.ReadAllText(repoFile "examples/ula-isotropic.json"))

              Expect.equal s.Sampler.Parameters["h"] (Number 0.1) "h"
              Expect.equal s.Dimensions [ 1; 10; 100 ] "dimensions"
              Expect.equal s.Metric ExactKl "metric"
          }
          test "a negative step size names the field, the rule and the value" {
              let bad = parse (validSpecJson.Replace("\"h\": 0.1", "\"h\": -1"))

              let message =
                  messageOf<SpecException>(fun () -> Preflight.checkSpec Int64.MaxValue bad)

              Expect.equal message "spec.sampler.parameters.h: expected a finite number in (0, ∞), got -1" "message"
          }
          test "a name is 1 to MaxNameLength characters: it becomes a directory name" {
              let named n =
                  validSpecJson.Replace("\"name\": \"ula-isotropic\"", $"\"name\": \"{String('a', n)}\"")

              Expect.equal (parse (named MaxNameLength)).Name.Length MaxNameLength "the longest name parses"

              let message =
                  messageOf<SpecException>(fun () -> parse (named (MaxNameLength + 1)) |> ignore)

              Expect.stringStarts message $"spec.name: expected a name of 1 to {MaxNameLength}" "message"
          }
          test "invalid JSON is a usage error naming the spec" {
              let message = messageOf<SpecException>(fun () -> parse "{ \"name\": " |> ignore)
              Expect.stringStarts message "spec: not valid JSON" "message"
          }
          testPropertyWithConfig cfg "parse (toJson s) = s"
          <| fun (s: ExperimentSpec) -> Expect.equal (parse (toJson s)) s "round trip"
          testPropertyWithConfig cfg "the canonical JSON does not depend on key order"
          <| fun (s: ExperimentSpec) ->
              let shuffled = (reversed (toNode s)).ToJsonString()
              Expect.equal (toCanonicalJson (parse shuffled)) (toCanonicalJson s) "canonical"
          testPropertyWithConfig cfg "a mutated spec is a usage error naming the field"
          <| fun (m: Mutation) ->
              use dir = new TempDir()
              let root = JsonNode.Parse validSpecJson :?> JsonObject
              m.Apply root
              let file = Path.Combine(dir.Path, "spec.json")
              File.WriteAllText(file, root.ToJsonString())
              let ui, _, err = captured ()
              let calls = ref 0

              let code =
                  Commands.execute (fakeServices calls None) ui [| "run"; file; "--out"; dir.Path |]

              let message = err.ToString().TrimEnd()
              Expect.equal code 2 $"exit code for {m.Name}: {message}"
              Expect.equal calls.Value 0 "nothing ran"
              Expect.isFalse (message.Contains '\n') $"one line: {message}"
              let prefix = $"ratelab: {m.Path}"
              Expect.stringStarts message prefix $"names the field for {m.Name}"

              Expect.contains
                  [ ':'; '.'; '[' ]
                  message[prefix.Length]
                  $"path ends after the field for {m.Name}: {message}" ]
