/// Sample metrics `run` refuses before any work: histogram divergences (bin-dependent and biased, so not fit for
/// rates) and MMD or energy distance above their chain limit (quadratic cost). Every check is deterministic.
module RateLab.Properties.Analysis.Studies.SampleMetricLimitTests

open System.IO
open Expecto
open RateLab.Analysis.Studies
open RateLab.Analysis.Cli
open RateLab.Properties
open RateLab.Properties.FakeServices

let private spec (metric: string) (chains: int) =
    $"""{{ "name": "limit", "sampler": {{ "name": "ula", "parameters": {{ "h": 0.1 }} }},
          "target": {{ "name": "isotropic-gaussian" }}, "dimensions": [1], "metric": "{metric}",
          "steps": [4], "chains": {chains}, "seeds": [3] }}"""

/// Runs a spec through `ratelab run` and returns the exit code and stderr.
let private run (json: string) =
    let dir = RepoFiles.tempDir "sample-limit"
    let file = Path.Combine(dir, "spec.json")
    File.WriteAllText(file, json)
    let ui, _, err = captured ()
    let code = Commands.execute Wiring.services ui [| "run"; file; "--out"; dir |]
    code, err.ToString().TrimEnd()

let private oneLine (err: string) =
    Expect.isFalse (err.Contains '\n') $"one line: {err}"

[<Tests>]
let tests =
    testList
        "Analysis.Studies.SampleMetricLimit"
        [ test "histogram TV and KL are refused with exit 2 and a one-line reason naming spec.metric" {
              for metric in [ "sample:hist_tv"; "sample:hist_kl" ] do
                  let code, err = run (spec metric 100)
                  Expect.equal code 2 $"{metric}: {err}"
                  oneLine err
                  Expect.stringContains err "spec.metric" "field"
                  Expect.stringContains err "bin-dependent" "reason"
          }
          test "MMD and energy above the chain limit are refused with the value and the maximum, before any work" {
              let over = MonteCarlo.MaxPairwiseChains + 1

              for metric in [ "sample:mmd"; "sample:energy" ] do
                  let code, err = run (spec metric over)
                  Expect.equal code 2 $"{metric}: {err}"
                  oneLine err
                  Expect.stringContains err "spec.chains" "field"
                  Expect.stringContains err (string over) "value"
                  Expect.stringContains err (string MonteCarlo.MaxPairwiseChains) "maximum"
          }
          test "the limit is the edge: MaxPairwiseChains passes the check, sliced W2 has no limit" {
              let at metric chains =
                  RateLab.Analysis.Experiments.Spec.parse (spec metric chains)

              MonteCarlo.check System.Int64.MaxValue (at "sample:mmd" MonteCarlo.MaxPairwiseChains)
              MonteCarlo.check System.Int64.MaxValue (at "sample:sliced_w2" (10 * MonteCarlo.MaxPairwiseChains))
              Expect.isNone (MonteCarlo.maximumChains MonteCarlo.SlicedW2) "sliced W2"
          } ]
