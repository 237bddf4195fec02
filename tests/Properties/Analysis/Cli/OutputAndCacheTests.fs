/// Nothing lost, nothing trusted blindly: a bad --out is refused before any work, a tampered cache entry is recomputed
/// with a warning, and only a killed writer's stale temporaries are swept from the cache.
module RateLab.Properties.Analysis.Cli.OutputAndCacheTests

// JSON navigation in tests: a null where a node is expected fails the test, which is what it should do.
#nowarn "3261" "3264"

open System
open System.IO
open System.Text.Json.Nodes
open Expecto
open RateLab.Analysis.Experiments
open RateLab.Analysis.Cli
open RateLab.Properties.FakeServices
open RateLab.Properties.Analysis.Cli.Fixtures

let private exec services argv =
    let ui, out, err = captured ()
    let code = Commands.execute services ui argv
    code, out.ToString(), err.ToString().TrimEnd()

let private specIn (dir: string) =
    let file = Path.Combine(dir, "spec.json")
    File.WriteAllText(file, validSpecJson)
    file

/// A first `run` of the valid spec into `dir` through the fake services: their call counter and the argv to rerun.
let private firstRun (dir: string) =
    let calls = ref 0
    let argv = [| "run"; specIn dir; "--out"; dir |]
    let code, _, _ = exec (fakeServices calls None) argv
    Expect.equal code 0 "first run"
    calls, argv

[<Tests>]
let tests =
    testList
        "Analysis.Cli.OutputAndCache"
        [ testList
              "--out"
              [ for command in [ "run"; "report" ] do
                    for label, out in
                        [ "empty", (fun (_: string) -> "")
                          "blank", (fun _ -> "  ")
                          "a file", (fun d -> Path.Combine(d, "spec.json"))
                          "below a file", (fun d -> Path.Combine(d, "spec.json", "sub")) ] ->
                        test $"{command} refuses an --out that is {label} before any work" {
                            use dir = new TempDir()
                            let spec = specIn dir.Path
                            let calls = ref 0

                            let argv =
                                if command = "run" then
                                    [| "run"; spec; "--out"; out dir.Path |]
                                else
                                    [| "report"; "--out"; out dir.Path |]

                            let code, _, err = exec (fakeServices calls None) argv
                            refused label "--out: " code err calls.Value
                        } ]
          test "run refuses a file where its spec's directory or OUT/.cache goes, before any work" {
              for inTheWay in [ "ula-isotropic"; ".cache" ] do
                  use dir = new TempDir()
                  let spec = specIn dir.Path
                  File.WriteAllText(Path.Combine(dir.Path, inTheWay), "x")
                  let calls = ref 0

                  let code, _, err =
                      exec (fakeServices calls None) [| "run"; spec; "--out"; dir.Path |]

                  refused inTheWay "--out: " code err calls.Value
                  Expect.stringContains err $"{inTheWay}\" is a file" "names the file in the way"
          }
          test "a tampered cache entry is recomputed with one warning, not trusted" {
              use dir = new TempDir()
              let calls, argv = firstRun dir.Path

              let entry =
                  Directory.GetFiles(Path.Combine(dir.Path, ".cache"), "*.json") |> Array.head

              let o = JsonNode.Parse(File.ReadAllText entry) :?> JsonObject
              let point = ((o["payload"]["points"] :?> JsonArray)[0]) :?> JsonObject
              point["error"]["value"] <- JsonValue.Create 42.0
              File.WriteAllText(entry, o.ToJsonString())
              let code, _, err = exec (fakeServices calls None) argv
              Expect.equal code 0 err
              Expect.equal calls.Value 4 "the tampered dimension was recomputed, the others reused"
              let reason = "its content hash does not match its value"
              Expect.stringStarts err $"ratelab: warning: cache entry {entry} is not trusted ({reason})" "warning"
              Expect.isFalse (err.Contains '\n') "one line"

              let results =
                  File.ReadAllText(Path.Combine(dir.Path, "ula-isotropic", "results.json"))

              Expect.isFalse (results.Contains "\"value\": 42") "the tampered value is not reported"
          }
          test "an entry that repeats a field or whose hashed payload does not decode is recomputed" {
              use dir = new TempDir()
              let calls, argv = firstRun dir.Path

              let first, second =
                  match Directory.GetFiles(Path.Combine(dir.Path, ".cache"), "*.json") |> Array.sort with
                  | [| a; b; _ |] -> a, b
                  | other -> failtest $"three entries expected, got {other.Length}"

              let text = File.ReadAllText first
              File.WriteAllText(first, text.Substring(0, text.Length - 1) + ",\"salt\":\"x\"}")
              // A payload whose hash is right but whose points are null: a format the decoder cannot read.
              let o = JsonNode.Parse(File.ReadAllText second) :?> JsonObject
              o["payload"]["points"] <- JsonArray(null)
              let salt = o["salt"].GetValue<string>()
              let config = o["config"].GetValue<string>()
              o["sha256"] <- JsonValue.Create(Cache.contentHash salt config o["payload"])
              File.WriteAllText(second, o.ToJsonString())

              let code, _, err = exec (fakeServices calls None) argv
              Expect.equal code 0 err
              Expect.equal calls.Value 5 "both entries recomputed, the third reused"
              Expect.stringContains err $"cache entry {first} is not trusted (it repeats a field)" "repeated field"
              Expect.stringContains err $"cache entry {second} does not decode" "undecodable payload"
              let code, _, err = exec (fakeServices calls None) argv
              Expect.equal (code, err, calls.Value) (0, "", 5) "the rewritten entries are trusted"
          }
          test "an intact entry is trusted: its hash covers configuration and value" {
              use dir = new TempDir()
              let store = Cache.under dir.Path "salt"
              let payload = JsonValue.Create 1.5 :> JsonNode
              Cache.store store "{\"x\":1}" payload

              match Cache.lookup store "{\"x\":1}" with
              | Cache.Hit node -> Expect.equal (node.ToJsonString()) "1.5" "value"
              | other -> failtest $"expected a hit, got {other}"
          }
          test "only stale temporaries of the writer's pattern are swept, in every subdirectory" {
              use dir = new TempDir()
              let figures = Path.Combine(dir.Path, "part", "figures")
              Directory.CreateDirectory figures |> ignore
              let file name = Path.Combine(dir.Path, name)
              let stale = file $".abc.json.{Guid.NewGuid():N}.tmp"
              let staleFigure = Path.Combine(figures, $".x.svg.{Guid.NewGuid():N}.tmp")
              let fresh = file $".abc.json.{Guid.NewGuid():N}.tmp"
              let recent = file $".ghi.json.{Guid.NewGuid():N}.tmp"
              let locked = file $".def.json.{Guid.NewGuid():N}.tmp"
              let other = file "notes.tmp"

              for f in [ stale; staleFigure; fresh; recent; locked; other ] do
                  File.WriteAllText(f, "x")

              let start = DateTime.UtcNow

              for f in [ stale; staleFigure; locked; other ] do
                  File.SetLastWriteTimeUtc(f, start.AddHours -1.0)

              File.SetLastWriteTimeUtc(fresh, start.AddHours 1.0)
              // Written just before this process started: within the margin a live writer may still move it.
              File.SetLastWriteTimeUtc(recent, start - AtomicFile.StaleMargin / 2.0)
              use _ = new FileStream(locked, FileMode.Open, FileAccess.ReadWrite, FileShare.None)
              let swept = AtomicFile.sweepStale dir.Path start
              Expect.equal swept 2 "two files swept"
              Expect.isFalse (File.Exists stale) "stale temporary removed"
              Expect.isFalse (File.Exists staleFigure) "stale temporary of a figure removed"

              for f in [ fresh; recent; locked; other ] do
                  Expect.isTrue (File.Exists f) $"{Path.GetFileName f} kept"
          } ]
