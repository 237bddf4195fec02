/// Targets read from files: a defect of the file is one line naming the parameter and the row or field, and a run is
/// cached under the file's content, so editing the file never returns a stale result. Exact (no randomness).
module RateLab.Properties.Analysis.Cli.TargetFileTests

open System.IO
open System.Text.Json.Nodes
open Expecto
open RateLab.Analysis.Report
open RateLab.Analysis.Cli
open RateLab.Properties
open RateLab.Properties.FakeServices

let private exec argv =
    let ui, _, err = captured ()
    let code = Commands.execute Wiring.services ui argv
    code, err.ToString().TrimEnd()

let private refusedWith (file: string) (target: string) (expected: string) =
    let code, err =
        exec
            [| "exact"
               "--sampler"
               "ddim"
               "--target"
               target
               "--target-param"
               $"file={file}"
               "--d"
               "2"
               "--steps"
               "4" |]

    Expect.equal code 2 $"exit code: {err}"
    Expect.isFalse (err.Contains '\n') "one line"
    Expect.stringStarts err "ratelab: --target-param file: " "names the parameter"
    Expect.stringContains err expected "says what is wrong"

[<Tests>]
let tests =
    testList
        "Analysis.Cli.TargetFiles"
        [ test "spectrum and mixture file defects are refused in one line naming the row or field" {
              let dir = RepoFiles.tempDir "target-files"

              let file name (text: string) =
                  let path = Path.Combine(dir, name)
                  File.WriteAllText(path, text)
                  path

              refusedWith
                  (file "a.csv" "variance\n1\n-2\n")
                  "diagonal-spectrum"
                  "line 3: expected a finite number in (0, ∞)"

              refusedWith (Path.Combine(dir, "missing.csv")) "diagonal-spectrum" "cannot read"
              // An overflowing first row is a bad variance, not a header to skip.
              refusedWith (file "o.csv" "1e400\n1\n") "diagonal-spectrum" "line 1: expected a finite number in (0, ∞)"

              let noVariances =
                  file "m.json" """{ "weights": [1, 1], "means": [[0, 0], [1, 1]] }"""

              refusedWith noVariances "gaussian-mixture-file" "variances: required field is missing"

              let ragged =
                  file "r.json" """{ "weights": [1, 1], "means": [[0, 0], [1]], "variances": [1, 1] }"""

              refusedWith ragged "gaussian-mixture-file" "means[1]: expected 2 numbers"
          }
          test "a run on a spectrum file is recomputed when the file changes, not read from the cache" {
              let dir = RepoFiles.tempDir "target-cache"
              let csv = Path.Combine(dir, "spectrum.csv")
              let spec = Path.Combine(dir, "spec.json")

              let json =
                  $"""{{ "name": "spectrum", "sampler": {{ "name": "ula", "parameters": {{ "h": 0.05 }} }},
                "target": {{ "name": "diagonal-spectrum", "parameters": {{ "file": "{csv.Replace("\\", "/")}" }} }},
                "dimensions": [2], "metric": "exact_kl", "steps": [4], "chains": 1, "seeds": [1] }}"""

              File.WriteAllText(spec, json)

              let klWith (text: string) =
                  File.WriteAllText(csv, text)
                  let code, err = exec [| "run"; spec; "--out"; dir |]
                  Expect.equal code 0 $"run: {err}"

                  let node =
                      nonNull (JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "spectrum", "results.json"))))

                  let curves = (nonNull node["curves"]).AsArray()
                  let curve = ResultsJson.decodeCurve (nonNull curves[0])
                  (List.exactlyOne curve.Points).Error.Value

              let first = klWith "1\n0.5\n"
              let edited = klWith "1\n0.05\n"
              Expect.notEqual edited first "a new spectrum gives a new KL"
              Expect.equal (klWith "1\n0.5\n") first "and the first spectrum its own KL again"
          } ]
