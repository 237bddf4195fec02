/// The velocity of kinetic samplers in `ratelab exact`: the same law against N(0, u I) that `run` reports, in the
/// table and in --json, and null for one-block samplers. Everything is exact (the exact engine on an affine kernel,
/// fixed seeds), so there is no false-failure probability.
module RateLab.Properties.Analysis.Cli.ExactVelocityTests

open System.IO
open System.Text.Json.Nodes
open Expecto
open RateLab.Analysis.Cli
open RateLab.Properties
open RateLab.Properties.FakeServices

let private exec argv =
    let ui, out, err = captured ()
    let code = Commands.execute Wiring.services ui argv
    code, out.ToString(), err.ToString().TrimEnd()

let private exactArgs sampler (parameters: string list) =
    [| "exact"
       "--sampler"
       sampler
       "--target"
       "ill-conditioned-gaussian"
       "--target-param"
       "kappa=10"
       "--d"
       "4"
       "--steps"
       "8" |]
    |> Array.append
    <| [| for p in parameters do
              yield "--param"
              yield p |]

let private exactJson sampler parameters =
    let code, out, err =
        exec (Array.append (exactArgs sampler parameters) [| "--json" |])

    Expect.equal code 0 $"exact: {err}"
    nonNull (JsonNode.Parse out)

let private number (node: JsonNode) (name: string) = (nonNull node[name]).GetValue<float>()

[<Tests>]
let tests =
    testList
        "Analysis.Cli.ExactVelocity"
        [ test "exact --json reports the same velocity law as run, for a deterministic and a randomized sampler" {
              for sampler, parameters, metric, kind in
                  [ "ulmc", [ "horizon=1"; "u=2" ], "exact_kl", "exact"
                    "shen-lee", [ "h=0.1" ], "kl_lower", "moment-matched lower bound" ] do
                  let v = nonNull (exactJson sampler parameters).["velocity"]
                  let dir = RepoFiles.tempDir ("exact-velocity-" + sampler)
                  let file = Path.Combine(dir, "spec.json")

                  let ps =
                      parameters
                      |> List.map (fun p -> let kv = p.Split '=' in $"\"{kv[0]}\": {kv[1]}")
                      |> String.concat ", "

                  File.WriteAllText(
                      file,
                      $"""{{ "name": "v", "sampler": {{ "name": "{sampler}", "parameters": {{ {ps} }} }},
                          "target": {{ "name": "ill-conditioned-gaussian", "parameters": {{ "kappa": 10 }} }},
                          "dimensions": [4], "metric": "{metric}", "steps": [8], "chains": 256, "seeds": [1] }}"""
                  )

                  let code, _, err = exec [| "run"; file; "--out"; dir |]
                  Expect.equal code 0 $"run: {err}"

                  let results =
                      nonNull (JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "v", "results.json"))))

                  let r = nonNull ((nonNull results["velocity"]).AsArray()[0])

                  for key in [ "kl"; "w2"; "stationary_variance" ] do
                      Expect.equal (number v key) (number r key) $"{sampler} {key}: exact vs run"

                  Expect.equal ((nonNull v["kind"]).GetValue<string>()) kind $"{sampler} kind"
                  Expect.isGreaterThan (number v "kl") 0.0 $"{sampler}: 8 steps are not stationary"
          }
          test "the exact table has a velocity row for ulmc and none for ula; ula's JSON velocity is null" {
              let code, out, err = exec (exactArgs "ulmc" [ "horizon=1"; "u=2" ])
              Expect.equal code 0 $"exact: {err}"
              Expect.stringContains out "velocity vs N(0, u I)" "ulmc table"
              let code, out, err = exec (exactArgs "ula" [ "h=0.1" ])
              Expect.equal code 0 $"exact: {err}"
              Expect.isFalse (out.Contains "velocity") "ula table"
              let node = exactJson "ula" [ "h=0.1" ]
              Expect.isTrue ((node :?> JsonObject).ContainsKey "velocity") "key present"
              Expect.isNull node["velocity"] "ula has no velocity"
          } ]
