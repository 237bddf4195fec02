/// The result cache: stable keys, atomic writes, corrupt entries ignored, computed once.
module RateLab.Properties.Analysis.Experiments.CacheTests

// JSON navigation in tests: a null where a node is expected fails the test, which is what it should do.
#nowarn "3261" "3264"

open System
open System.IO
open System.Text.Json.Nodes
open System.Threading.Tasks
open Expecto
open RateLab.Analysis.Experiments
open RateLab.Properties.FakeServices

let private payload (n: int) : JsonNode =
    JsonObject(dict [ "n", (JsonValue.Create n :> JsonNode) ])

[<Tests>]
let tests =
    testList
        "Analysis.Experiments.Cache"
        [ test "the key is a SHA-256 hex string that depends on salt and configuration" {
              let k = Cache.key "s1" "{\"a\":1}"
              Expect.equal k.Length 64 "hex SHA-256"
              Expect.equal k (Cache.key "s1" "{\"a\":1}") "stable"
              Expect.notEqual k (Cache.key "s2" "{\"a\":1}") "salt matters"
              Expect.notEqual k (Cache.key "s1" "{\"a\":2}") "configuration matters"
              // Length-prefixing the salt keeps (salt, config) pairs from colliding by moving characters across.
              Expect.notEqual (Cache.key "ab" "c") (Cache.key "a" "bc") "no shifting collision"
          }
          test "a metric revision changes the keys of that metric's runs alone" {
              // Every metric keeps its base key unless revised, so a committed cache stays valid for the others.
              for name in Spec.MetricNames.allowed do
                  match Map.tryFind name Cache.MetricRevisions with
                  | Some r -> Expect.equal (Cache.revisionSuffix name) $"/revision:{name}-{r}" name
                  | None -> Expect.equal (Cache.revisionSuffix name) "" name

              Expect.isNonEmpty
                  (Cache.revisionSuffix "tv_lower")
                  "tv_lower is revised (farthest block, then the inverted whole-law TV)"
          }

          test "getOrCompute computes once and reuses the stored entry" {
              use dir = new TempDir()
              let store = Cache.under dir.Path "salt"
              let calls = ref 0

              let get () =
                  Cache.getOrCompute store id id "{\"x\":1}" (fun () ->
                      calls.Value <- calls.Value + 1
                      payload 7)

              let first = get ()
              let second = get ()
              Expect.equal (first["n"].GetValue<int>()) 7 "first"
              Expect.equal (second["n"].GetValue<int>()) 7 "second"
              Expect.equal calls.Value 1 "computed once"

              Expect.isTrue
                  (File.Exists(Path.Combine(dir.Path, ".cache", Cache.key "salt" "{\"x\":1}" + ".json")))
                  "entry file"
          }
          test "an entry under another salt is not reused" {
              use dir = new TempDir()
              Cache.store (Cache.under dir.Path "old") "{}" (payload 1)
              Expect.isNone (Cache.tryLoad (Cache.under dir.Path "new") "{}") "different salt"
          }
          test "a truncated or foreign entry is ignored and then replaced" {
              use dir = new TempDir()
              let store = Cache.under dir.Path "salt"
              let file = Cache.path store "{}"
              Directory.CreateDirectory(Path.GetDirectoryName file |> nonNull) |> ignore
              File.WriteAllText(file, "{\"salt\":\"salt\",\"config\":\"{}\",\"payl")
              Expect.isNone (Cache.tryLoad store "{}") "truncated entry ignored"
              File.WriteAllText(file, "{\"salt\":\"salt\",\"config\":\"{\\\"other\\\":1}\",\"payload\":{}}")
              Expect.isNone (Cache.tryLoad store "{}") "entry of another configuration ignored"
              let v = Cache.getOrCompute store id id "{}" (fun () -> payload 3)
              Expect.equal (v["n"].GetValue<int>()) 3 "recomputed"
              let stored = (Cache.tryLoad store "{}").Value
              Expect.equal (stored["n"].GetValue<int>()) 3 "replaced"
          }
          test "an entry whose payload no longer decodes is recomputed" {
              use dir = new TempDir()
              let store = Cache.under dir.Path "salt"
              Cache.store store "{}" (JsonObject())

              let decode (n: JsonNode) =
                  match n["n"] with
                  | null -> raise (ArgumentException "payload: missing field \"n\"")
                  | v -> v.GetValue<int>()

              let calls = ref 0

              let v =
                  Cache.getOrCompute store (fun (i: int) -> payload i) decode "{}" (fun () ->
                      calls.Value <- calls.Value + 1
                      5)

              Expect.equal (v, calls.Value) (5, 1) "recomputed once"

              Expect.equal
                  (Cache.getOrCompute store (fun (i: int) -> payload i) decode "{}" (fun () -> failtest "cached"))
                  5
                  "then reused"
          }
          test "a concurrent reader only ever sees a whole file, and no temp file is left" {
              use dir = new TempDir()
              let file = Path.Combine(dir.Path, "entry.json")
              // Two large contents: a reader seeing a mix or a prefix would see neither.
              let a, b = String('a', 1 <<< 16), String('b', 1 <<< 16)
              AtomicFile.writeAllText file a

              let writer =
                  Task.Run(fun () ->
                      for i in 1..30 do
                          AtomicFile.writeAllText file (if i % 2 = 0 then a else b))

              let mutable reads = 0

              while not writer.IsCompleted || reads < 10 do
                  let s = File.ReadAllText file
                  Expect.isTrue (s = a || s = b) $"whole content (length {s.Length})"
                  reads <- reads + 1

              writer.Wait()

              Expect.sequenceEqual
                  (Directory.GetFiles dir.Path |> Array.map Path.GetFileName)
                  [| "entry.json" |]
                  "no temp files"
          } ]
