module RateLab.Properties.Analysis.Claims.RegistryTests

open System.IO
open System.Text.Json.Nodes
open Expecto
open RateLab.Analysis.Claims.Claim
open RateLab.Analysis.Claims
open RateLab.Properties.Generators

let private shipped = lazy (File.ReadAllText(Registry.defaultPath ()))
let private claims = lazy (Registry.load (Registry.defaultPath ()))

let private byId id =
    claims.Value |> List.find (fun c -> c.Id = id)

let private node (x: JsonNode | null) : JsonNode =
    match x with
    | null -> failwith "the shipped registry lacks an expected node"
    | v -> v

/// The first term of a claim object.
let private firstTerm (c: JsonObject) =
    (node (node c.["terms"]).[0]).AsObject()

/// The shipped registry with one edit applied to claim i.
let private edited (i: int) (edit: JsonObject -> unit) =
    let root = node (JsonNode.Parse(shipped.Value))
    let list = (node root.["claims"]).AsArray()
    edit ((node list.[i % list.Count]).AsObject())
    root.ToJsonString()

let private requiredText =
    [| "id"
       "sampler"
       "metric"
       "assumptions"
       "statement"
       "measured"
       "source"
       "gradeDetail"
       "productTarget"
       "grade"
       "form"
       "exponentGrades"
       "terms"
       "conditioning"
       "costMeasure" |]

[<Tests>]
let tests =
    testList
        "Analysis.Claims.Registry"
        [ test "the shipped registry loads and holds every required claim" {
              let ids = claims.Value |> List.map (fun c -> c.Id) |> Set.ofList

              for id in
                  [ "A1"
                    "A2"
                    "A3"
                    "A4"
                    "A6"
                    "A6'"
                    "A9"
                    "B1"
                    "B4"
                    "B5"
                    "B8"
                    "B9"
                    "B11"
                    "S1" ] do
                  Expect.contains ids id $"claim {id}"
          }
          test "exponents are those of docs/background.md" {
              let b1 = byId "B1"

              Expect.equal
                  (b1.Terms.[0].D, b1.Terms.[0].Epsilon, b1.Terms.[0].Conditioning)
                  (Some(1.0 / 3.0), Some(-2.0 / 3.0), Some 1.0)
                  "B1"

              Expect.equal ((byId "B5").Terms.[0].D) (Some(5.0 / 12.0)) "B5 d"
              Expect.equal ((byId "B4").CostMeasure) (Some Rounds) "B4 counts rounds"
              Expect.equal ((byId "A6'").Terms |> List.map (fun t -> t.D)) [ Some(1.0 / 6.0); Some(1.0 / 3.0) ] "A6' d"

              Expect.equal
                  ((byId "B1").Grade, (byId "B5").Grade, (byId "A6'").Grade)
                  (Verified, Unverified, Reconstructed)
                  "grades"
          }
          test "every claim has a product-target note and a grade detail" {
              for c in claims.Value do
                  Expect.isNotEmpty c.ProductTarget c.Id
                  Expect.isNotEmpty c.GradeDetail c.Id
          }
          testPropertyWithConfig config "removing any required field gives an error naming the claim and field"
          <| fun (i: byte) (f: byte) ->
              let field = requiredText.[int f % requiredText.Length]

              match Registry.parse (edited (int i) (fun c -> c.Remove field |> ignore)) with
              | Ok _ -> false
              | Error message ->
                  message.Contains $"claims["
                  && message.Contains $".{field}"
                  && message.Contains "missing"
          testPropertyWithConfig config "a misspelt grade is named with the allowed values"
          <| fun (i: byte) ->
              match Registry.parse (edited (int i) (fun c -> c.["grade"] <- JsonValue.Create "verfied")) with
              | Ok _ -> false
              | Error message ->
                  message.Contains ".grade"
                  && message.Contains "verfied"
                  && message.Contains "reconstructed"
          testPropertyWithConfig config "a misspelt optional field is refused, not ignored, at any level of a claim"
          <| fun (i: byte) (where: byte) ->
              // "margn" beside "margin" would otherwise leave the default margin in force, silently.
              let edit (c: JsonObject) =
                  match int where % 4 with
                  | 0 -> c.["margn"] <- JsonValue.Create 0.3
                  | 1 -> (firstTerm c).["eps"] <- JsonValue.Create -1
                  | 2 -> (node (node c.["tests"]).[0]).AsObject().["treshold"] <- JsonValue.Create "absolute"
                  | _ -> (node (node (node c.["tests"]).[0]).["quick"]).AsObject().["replicate"] <- JsonValue.Create 4

              // Claims with a test and a term (the qualitative ones have neither).
              let tested =
                  claims.Value
                  |> List.indexed
                  |> List.filter (fun (_, c) -> not c.Tests.IsEmpty && not c.Terms.IsEmpty)
                  |> List.map fst

              match Registry.parse (edited tested.[int i % tested.Length] edit) with
              | Ok _ -> false
              | Error message -> message.Contains "unknown field; allowed fields:"
          test "the optional about is prose: absent or a string, nothing else" {
              let withAbout (value: JsonNode option) =
                  let root = node (JsonNode.Parse(shipped.Value))
                  root.AsObject().Remove "about" |> ignore

                  match value with
                  | Some v -> root.["about"] <- v
                  | None -> ()

                  Registry.parse (root.ToJsonString())

              Expect.isOk (withAbout None) "absent"
              Expect.isOk (withAbout (Some(node (JsonValue.Create "what this file is")))) "a string"

              match withAbout (Some(node (JsonValue.Create 1))) with
              | Error m -> Expect.stringContains m "$.about" "names the field"
              | Ok _ -> failtest "a number as about was accepted"
          }
          test "a malformed exponent is named" {
              let r =
                  Registry.parse (edited 0 (fun c -> (firstTerm c).["d"] <- JsonValue.Create "1/x"))

              Expect.isError r "error"

              match r with
              | Error m -> Expect.stringContains m "claims[0] (id A1).terms[0].d" "path"
              | Ok _ -> ()
          }
          test "the overall grade must be the weakest exponent grade" {
              let i = claims.Value |> List.findIndex (fun c -> c.Id = "B5")

              match Registry.parse (edited i (fun c -> c.["grade"] <- JsonValue.Create "verified")) with
              | Error m -> Expect.stringContains m "(id B5).exponentGrades: has weakest grade Unverified" "message"
              | Ok _ -> failtest "accepted"

              Expect.equal (byId "B5").ExponentGrades.D (Some Verified) "B5: d^{5/12} is verified even though ε is not"
          }
          test "an exponent without a grade is rejected" {
              match Registry.parse (edited 0 (fun c -> (c.["exponentGrades"] |> node).["d"] <- null)) with
              | Error m ->
                  Expect.stringContains m "(id A1).exponentGrades.d: is null but a term states this exponent" "message"
              | Ok _ -> failtest "accepted"
          }
          test "duplicate ids are rejected" {
              match Registry.parse (edited 1 (fun c -> c.["id"] <- JsonValue.Create "A1")) with
              | Error m -> Expect.stringContains m "'A1' appears 2 times" "duplicate"
              | Ok _ -> failtest "accepted"
          }
          test "a decay claim without an N exponent is rejected" {
              let i = claims.Value |> List.findIndex (fun c -> c.Id = "S1")

              match Registry.parse (edited i (fun c -> (firstTerm c).["steps"] <- null)) with
              | Error m -> Expect.stringContains m "(id S1).terms[0].steps" "path"
              | Ok _ -> failtest "accepted"
          }
          test "the κ sweeps of A1, A3, A4 and A6 are read with their values and one dimension" {
              for id in [ "A1"; "A3"; "A4"; "A6" ] do
                  let t = (byId id).Tests |> List.find (fun t -> t.Sweep.IsSome)
                  Expect.equal t.Sweep (Some "kappa") $"{id} sweeps kappa"
                  Expect.equal t.Quick.Values [ 1.0; 4.0; 16.0; 64.0 ] $"{id} quick values"
                  Expect.equal t.Quick.Dimensions.Length 1 $"{id} one dimension"
                  Expect.equal t.Quick.Levels 1 $"{id} one ε"
          }
          testList
              "a malformed sweep is refused naming the field"
              [ let sweepTest (c: JsonObject) =
                    (node ((node c.["tests"]).AsArray().[1])).AsObject()

                let quick (c: JsonObject) =
                    (node (sweepTest c).["quick"]).AsObject()

                let cases: (string * (JsonObject -> unit) * string) list =
                    [ "values missing", (fun c -> (quick c).Remove "values" |> ignore), "quick.values: missing"
                      "two values",
                      (fun c -> (quick c).["values"] <- JsonArray(JsonValue.Create 1.0, JsonValue.Create 4.0)),
                      "at least three distinct positive values of kappa"
                      "two dimensions",
                      (fun c -> (quick c).["dimensions"] <- JsonArray(JsonValue.Create 4, JsonValue.Create 16)),
                      "allowed with a sweep: one of each"
                      "no conditioning symbol", (fun c -> c.["conditioning"] <- null), "conditioning"
                      "swept and fixed",
                      (fun c -> (node (node (sweepTest c).["target"]).["parameters"]).["kappa"] <- JsonValue.Create 4.0),
                      "which target.parameters also sets" ]

                for name, edit, expected in cases do
                    yield
                        test name {
                            let i = claims.Value |> List.findIndex (fun c -> c.Id = "A1")

                            match Registry.parse (edited i edit) with
                            | Error m -> Expect.stringContains m expected "message"
                            | Ok _ -> failtest "accepted"
                        }

                yield
                    test "values without a sweep are refused" {
                        let firstQuick (c: JsonObject) =
                            node ((node ((node c.["tests"]).AsArray().[0])).["quick"])

                        match
                            Registry.parse (
                                edited 0 (fun c -> (firstQuick c).["values"] <- JsonArray(JsonValue.Create 1.0))
                            )
                        with
                        | Error m -> Expect.stringContains m "must be absent unless the test has a sweep" "message"
                        | Ok _ -> failtest "accepted"
                    } ]
          test "loading a malformed file throws InvalidDataException naming the file" {
              let path = Path.GetTempFileName()
              File.WriteAllText(path, """{ "claims": [ { "id": "X" } ] }""")
              let ex = Expect.throwsC (fun () -> Registry.load path |> ignore) id
              File.Delete path
              Expect.isTrue (ex :? InvalidDataException) "exception type"
              Expect.stringContains ex.Message path "file"
          } ]
