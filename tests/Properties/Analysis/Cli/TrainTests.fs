/// `ratelab train` end to end through the real wiring at a tiny scale (a few iterations of a small network): its
/// output, the oracle's counts, reproducibility, resuming from a checkpoint, and every bad option refused before any
/// iteration runs.
module RateLab.Properties.Analysis.Cli.TrainTests

// JSON navigation in tests: a null where a node is expected fails the test, which is what it should do.
#nowarn "3261" "3264"

open System
open System.IO
open System.Text.Json.Nodes
open Argu
open Expecto
open RateLab.Analysis.Cli
open RateLab.Analysis.Cli.Arguments
open RateLab.Properties.FakeServices
open RateLab.Properties.Analysis.Cli.Fixtures

let private exec (argv: string list) =
    let ui, out, err = captured ()
    let code = Commands.execute Wiring.services ui (List.toArray argv)
    code, out.ToString(), err.ToString().TrimEnd()

/// The options of a run small enough for a unit test: 25GMM (d = 2), 6 iterations of B = 4 on N_train = 4, K = 16.
let private tinyOptions objective =
    [ "--target", "25gmm"
      "--objective", objective
      "--iterations", "6"
      "--batch", "4"
      "--steps", "4"
      "--width", "8"
      "--harmonics", "4"
      "--eval-samples", "16"
      "--eval-steps", "4,8" ]

/// `extra` as option-value pairs (a flag or trailing option stands alone).
let rec private pairs (extra: string list) =
    match extra with
    | o :: v :: rest when not (v.StartsWith "--") -> (o, Some v) :: pairs rest
    | o :: rest -> (o, None) :: pairs rest
    | [] -> []

/// The tiny run of `objective` with `extra` options replacing (not repeating) the tiny ones.
let private tiny (objective: string) (extra: string list) =
    let extra = pairs extra

    let kept =
        tinyOptions objective
        |> List.filter (fun (o, _) -> not (List.exists (fst >> (=) o) extra))

    [ "train" ]
    @ (kept |> List.collect (fun (o, v) -> [ o; v ]))
    @ (extra |> List.collect (fun (o, v) -> o :: Option.toList v))

let private json (argv: string list) =
    let code, out, err = exec (argv @ [ "--json" ])
    Expect.equal code 0 $"exit code: {err}"
    JsonNode.Parse(out).AsObject()

/// The number at a path of field names.
let private at (node: JsonNode) (path: string list) =
    (path |> List.fold (fun (n: JsonNode) (k: string) -> n[k]) node).GetValue<float>()

/// The output without its wall time, the one field allowed to differ between identical runs.
let private numbers (o: JsonObject) =
    let copy = JsonNode.Parse(o.ToJsonString()).AsObject()
    copy["cost"].AsObject().Remove "seconds" |> ignore
    copy.ToJsonString()

/// A bad `train` command: exit 2, one line naming `name`, and no checkpoint written (nothing ran).
let private refusedNaming (name: string) (extra: string list) =
    let dir = RateLab.Properties.RepoFiles.tempDir "train-refused"
    let checkpoint = Path.Combine(dir, "ckpt")

    let extra =
        if List.contains "--checkpoint" extra then
            extra
        else
            extra @ [ "--checkpoint"; checkpoint ]

    let argv = tiny "tb" extra
    let code, _, err = exec argv
    refused (String.Join(" ", argv)) name code err 0

    let written =
        Directory.Exists checkpoint
        && Directory.EnumerateFiles(checkpoint, "*.ckpt").GetEnumerator().MoveNext()

    Expect.isFalse written "no checkpoint written"

/// Options that are each refused, with the option the message must name first.
let private badOptions =
    [ "--target", [ "--target"; "gmm" ]
      "--objective", [ "--objective"; "ppo" ]
      "--grid", [ "--grid"; "karras" ]
      "--iterations", [ "--iterations"; "0" ]
      "--steps", [ "--steps"; "0" ]
      "--ratio", [ "--ratio"; "3" ]
      "--ratio", [ "--grid"; "random"; "--ratio"; "0.5" ]
      "--ratio", [ "--grid"; "random"; "--ratio"; "Infinity" ]
      "--batch", [ "--batch"; "1" ]
      "--width", [ "--width"; "0" ]
      "--width", [ "--width"; "5000" ]
      "--harmonics", [ "--harmonics"; "0" ]
      "--exploration", [ "--exploration"; "-0.5" ]
      "--lr", [ "--lr"; "0" ]
      "--lr", [ "--lr"; "NaN" ]
      "--lr-flow", [ "--lr-flow"; "-1" ]
      "--lambda", [ "--lambda"; "2" ]
      "--eval-steps", [ "--eval-steps"; "4,x" ]
      "--eval-steps", [ "--eval-steps"; "0" ]
      "--eval-samples", [ "--eval-samples"; "1" ]
      "--batch × (--steps + 1) × d", [ "--batch"; "100000"; "--steps"; "100000" ]
      "--eval-samples²", [ "--eval-samples"; "100000" ]
      "--checkpoint", [ "--checkpoint"; "" ] ]

[<Tests>]
let tests =
    testList
        "Analysis.Cli.Train"
        [ test "a run prints trained and untrained evaluations on every grid with the oracle's counts" {
              let o = json (tiny "tb" [])

              let evaluations =
                  o["evaluations"].AsArray() |> Seq.map (fun e -> e.AsObject()) |> List.ofSeq

              let rows =
                  evaluations
                  |> List.map (fun e -> e["policy"].GetValue<string>(), e["steps"].GetValue<int>())

              Expect.equal
                  rows
                  [ "trained", 4; "trained", 8; "untrained", 4; "untrained", 8 ]
                  "one row per policy and grid"

              for e in evaluations do
                  Expect.isTrue (Double.IsFinite(at e [ "elbo"; "value" ])) "ELBO finite"
                  Expect.isGreaterThan (at e [ "w2_floor" ]) 0.0 "W2 floor of two exact sample sets"
              // TB evaluates log R once per trajectory: B per iteration, counted by the oracle on a probe iteration.
              Expect.equal (at o [ "cost"; "energy_evaluations" ]) (6.0 * 4.0) "log R evaluations = I·B"
              Expect.equal (at o [ "cost"; "gradient_evaluations" ]) 0.0 "TB needs no ∇log R"
              Expect.equal (at o [ "cost"; "network_evaluations" ]) (6.0 * 4.0 * 4.0) "policy calls = I·B·N"
          }
          test "KL (PIS) is the objective that differentiates through the target: it counts ∇log R" {
              let o = json (tiny "kl" [])
              Expect.isGreaterThan (at o [ "cost"; "gradient_evaluations" ]) 0.0 "∇log R counted"
          }
          test "the table names its columns and how the figures were obtained" {
              let code, out, err =
                  exec (tiny "subtb" [ "--lambda"; "1.5"; "--grid"; "random"; "--ratio"; "4" ])

              Expect.equal code 0 err
              Expect.stringContains out "| trained | 4 |" "trained row"
              Expect.stringContains out "| untrained | 8 |" "untrained row"
              Expect.stringContains out "random (ρ = 4) grid" "the grid with its ratio"
              Expect.stringContains out "counted by the oracle" "where the counts come from"
          }
          test "the same command gives the same numbers, bit for bit" {
              Expect.equal (numbers (json (tiny "db" []))) (numbers (json (tiny "db" []))) "identical output"
          }
          test "a checkpointed run gives the numbers of an uncheckpointed one and is reused by a rerun" {
              let dir = RateLab.Properties.RepoFiles.tempDir "train-checkpoint"
              let argv = tiny "vargrad" [ "--checkpoint"; dir ]
              let first = json argv
              Expect.equal (Directory.GetFiles(dir, "*.ckpt").Length) 1 "one checkpoint for the run"
              let rerun = json argv
              let plain = json (tiny "vargrad" [])
              Expect.equal (numbers first) (numbers plain) "checkpointing does not change the numbers"
              Expect.equal (numbers rerun) (numbers first) "the rerun resumes from the finished checkpoint"
          }
          testList
              "refused before any iteration"
              [ for name, extra in badOptions -> test $"""{String.Join(" ", extra)}""" { refusedNaming name extra } ]
          test "KL refuses exploration: its reparameterised gradient needs on-policy samples" {
              let code, _, err = exec (tiny "kl" [ "--exploration"; "0.1" ])
              refused "kl exploration" "--exploration" code err 0
          }
          test "an option with no effect on the objective is refused, not ignored" {
              let code, _, err = exec (tiny "vargrad" [ "--lr-flow"; "0.1" ])
              refused "vargrad lr-flow" "--lr-flow" code err 0
          }
          test "a repeated option is refused" {
              let code, _, err = exec (tiny "tb" [] @ [ "--batch"; "8" ])
              Expect.equal code 2 err
              Expect.isFalse (err.Contains '\n') "one line"
          }
          test "a run that needs more memory than is available is refused with the estimate" {
              let parser = ArgumentParser.Create<TrainArgs>()
              let args = parser.ParseCommandLine(List.toArray (List.tail (tiny "tb" [])))

              let message =
                  try
                      Train.request 10_000L args |> ignore
                      ""
                  with :? ArgumentException as e ->
                      e.Message

              Expect.stringContains message "GiB" "the estimate in the message"
              Expect.stringStarts message "--batch" "names the options that size the run"
              Train.request (1L <<< 30) args |> ignore
          } ]
