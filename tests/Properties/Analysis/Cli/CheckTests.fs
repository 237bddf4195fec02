/// `ratelab check` end to end with the real services: the example claims give their expected verdicts in the written
/// report, a resumed check reads every point from the cache, and a defective claims file is refused before any work.
module RateLab.Properties.Analysis.Cli.CheckTests

open System
open System.IO
open Expecto
open RateLab.Analysis.Cli
open RateLab.Properties.FakeServices
open RateLab.Properties.RepoFiles

let private exec argv =
    let ui, out, err = captured ()
    let code = Commands.execute Wiring.services ui argv
    code, out.ToString(), err.ToString().TrimEnd()

[<Tests>]
let tests =
    testList
        "Analysis.Cli.Check"
        [ test "the true and the false example claims get their expected verdicts in the written report" {
              let dir = tempDir "check"

              try
                  for file, expected in
                      [ "ula-first-order.json", "consistent, tight"
                        "ula-too-fast.json", "violates the claim"
                        "ula-kappa-sweep.json", "consistent, faster than claimed" ] do
                      let out = Path.Combine(dir, file)

                      let code, stdout, err =
                          exec [| "check"; repoFile $"examples/claims/{file}"; "--out"; out |]

                      Expect.equal code 0 $"exit code ({err})"
                      Expect.stringContains stdout expected "the verdict line"
                      let index = File.ReadAllText(Path.Combine(out, "claims", "index.md"))
                      Expect.stringContains index expected "the verdict in the report"

                      Expect.stringContains
                          (File.ReadAllText(Path.Combine(out, "results.json")))
                          "\"evidence\""
                          "results.json lists the evidence"
              finally
                  Directory.Delete(dir, true)
          }

          test "a second check of the same file is served from the cache" {
              let dir = tempDir "check"

              try
                  let file = repoFile "examples/claims/ula-first-order.json"
                  exec [| "check"; file; "--out"; dir |] |> ignore

                  let cached =
                      Directory.GetFiles(Path.Combine(dir, ".cache"))
                      |> Array.map File.GetLastWriteTimeUtc

                  let code, _, _ = exec [| "check"; file; "--out"; dir |]
                  Expect.equal code 0 "exit code"

                  Expect.equal
                      (Directory.GetFiles(Path.Combine(dir, ".cache"))
                       |> Array.map File.GetLastWriteTimeUtc)
                      cached
                      "no cache entry rewritten"
              finally
                  Directory.Delete(dir, true)
          }

          test "defective claims files exit 2 with one line naming the problem" {
              let dir = tempDir "check"

              try
                  let text = File.ReadAllText(repoFile "examples/claims/ula-first-order.json")

                  let cases =
                      [ text.Replace("\"name\": \"ula\"", "\"name\": \"no-such-sampler\""), "no-such-sampler"
                        text.Replace("\"direction\": \"exact\"", "\"direction\": \"lower\""), "direction"
                        text.Replace("\"epsilon\": 0.04", "\"epsilon\": -0.04"), "epsilon"
                        text.Replace("\"horizon\": 2", "\"horizon\": 20"), "unstable"
                        text.Replace("\"horizon\": 2", "\"horizon\": -2"), "horizon"
                        "{ not json", "not valid JSON"
                        // Caught by the runner's own preflight, named by the claims file's path.
                        text.Replace("\"name\": \"isotropic-gaussian\"", "\"name\": \"double-well\""),
                        "tests[0].target.name: double-well is not Gaussian"
                        text.Replace("\"name\": \"ula\"", "\"name\": \"rlmc\""),
                        "tests[0].evidence[0].metric: exact_w2 is not available" ]

                  for i, (content, expected) in List.indexed cases do
                      let file = Path.Combine(dir, $"bad{i}.json")
                      File.WriteAllText(file, content)
                      let code, _, err = exec [| "check"; file; "--out"; Path.Combine(dir, $"out{i}") |]
                      Expect.equal code 2 $"exit code for {expected}"
                      Expect.isFalse (err.Contains '\n') $"one line: {err}"
                      Expect.stringContains err expected "the problem is named"
                      Expect.isFalse (Directory.Exists(Path.Combine(dir, $"out{i}"))) "no work was done"
                  // A sweep is preflighted at each of its values: at 64 steps ULA's step 6/64 is unstable once κ > 21.
                  let sweep =
                      File
                          .ReadAllText(repoFile "examples/claims/ula-kappa-sweep.json")
                          .Replace("\"steps\": [\n              512", "\"steps\": [\n              64")

                  let file = Path.Combine(dir, "unstable-sweep.json")
                  File.WriteAllText(file, sweep)
                  let code, _, err = exec [| "check"; file; "--out"; Path.Combine(dir, "out-sweep") |]
                  Expect.equal code 2 $"an unstable sweep value is refused: {err}"
                  Expect.stringContains err "unstable" "the problem is named"
                  let code, _, err = exec [| "check"; Path.Combine(dir, "missing.json") |]
                  Expect.equal code 2 $"missing file: {err}"
              finally
                  Directory.Delete(dir, true)
          } ]
