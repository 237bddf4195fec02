/// The command line end to end with fake services: exit codes (0 success, 2 usage, 1 failure), one-line errors,
/// --help on every sub-command, output formats, and resuming an interrupted run from the cache.
module RateLab.Properties.Cli.CommandTests

// JSON navigation in tests: a null where a node is expected fails the test, which is what it should do.
#nowarn "3261" "3264"

open System
open System.IO
open System.Text.Json.Nodes
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Samplers
open RateLab.Analysis.Cli
open RateLab.Analysis.Cli.Services
open RateLab.Properties.Generators
open RateLab.Properties.Report.Fixtures

let private exec services argv =
    let ui, out, err = captured ()
    let code = Commands.execute services ui argv
    code, out.ToString(), err.ToString().TrimEnd()

let private oneLine (err: string) = Expect.isFalse (err.Contains '\n') $"one line on stderr: {err}"

let private specFile (dir: string) =
    let file = Path.Combine(dir, "spec.json")
    File.WriteAllText(file, validSpecJson)
    file

/// An integer option of `exact` with a value that is not an integer ≥ 1.
type BadInt = BadInt of option: string * value: string

type CliArbs =
    static member BadInt() =
        gen {
            let! option = Gen.elements [ "--d"; "--steps" ]
            let! value =
                Gen.oneof [ Gen.choose (-1000, 0) |> Gen.map string; Gen.elements [ "x"; "1.5"; ""; "1e3"; "two" ] ]
            return BadInt(option, value)
        }
        |> Arb.fromGen

let private cfg = { config with arbitrary = typeof<CliArbs> :: config.arbitrary }

let private exactArgs (option: string) (value: string) =
    let args = [| "exact"; "--sampler"; "ula"; "--target"; "g"; "--d"; "3"; "--steps"; "8" |]
    args[Array.IndexOf(args, option) + 1] <- value
    args

[<Tests>]
let tests =
    testList "Cli.Commands" [
        testList "help" [
            for sub in [ [||]; [| "report" |]; [| "run" |]; [| "exact" |]; [| "fit" |]; [| "list" |] ] ->
                test $"""--help on "{String.Join(" ", sub)}" prints usage and exits 0""" {
                    let code, out, err = exec unwired (Array.append sub [| "--help" |])
                    Expect.equal code 0 err
                    Expect.stringContains out "USAGE: ratelab" "usage text"
                }
        ]
        testList "usage" [
            test "no command is a usage error" {
                let code, _, err = exec unwired [||]
                Expect.equal code 2 "exit code"
                oneLine err
            }
            test "an unknown option is a usage error naming it" {
                let code, _, err = exec unwired [| "report"; "--colour"; "red" |]
                Expect.equal code 2 "exit code"
                oneLine err
                Expect.stringContains err "--colour" "names the option"
            }
            test "an unknown profile is a usage error" {
                let code, _, err = exec (fakeServices (ref 0) None) [| "report"; "--profile"; "medium" |]
                Expect.equal code 2 "exit code"
                Expect.equal err "ratelab: --profile: expected quick or full, got \"medium\"" "message"
            }
            test "a missing spec file is a usage error" {
                let code, _, err = exec unwired [| "run"; "/nonexistent/spec.json" |]
                Expect.equal code 2 "exit code"
                Expect.stringContains err "/nonexistent/spec.json" "names the file"
            }
            test "a bad sampler parameter is a usage error naming it" {
                let code, _, err = exec (fakeServices (ref 0) None) [| "exact"; "--sampler"; "ula"; "--target"; "g"; "--d"; "2"; "--steps"; "4"; "--param"; "h=-0.5" |]
                Expect.equal code 2 "exit code"
                Expect.equal err "ratelab: --param h: expected a positive number, got -0.5" "message"
            }
            testPropertyWithConfig cfg "a bad integer option is a usage error naming the option" <| fun (BadInt(option, value)) ->
                let code, _, err = exec (fakeServices (ref 0) None) (exactArgs option value)
                Expect.equal code 2 $"exit code for {option} {value}: {err}"
                oneLine err
                Expect.stringContains err option "names the option"
        ]
        testList "failures" [
            test "an unwired service is a failure (exit 1) with one line" {
                let code, _, err = exec unwired [| "list"; "claims" |]
                Expect.equal code 1 "exit code"
                Expect.equal err "ratelab: the claims registry is not wired into this build yet" "message"
            }
            test "a diverged sampler is a failure naming sampler, step and chain, even inside an AggregateException" {
                use dir = new TempDir()
                let services =
                    { fakeServices (ref 0) None with
                        RunExperiment = fun _ _ -> raise (AggregateException(SamplerDivergedException("ULA", 17L, 3L))) }
                let code, _, err = exec services [| "run"; specFile dir.Path; "--out"; dir.Path |]
                Expect.equal code 1 "exit code"
                oneLine err
                Expect.stringContains err "sampler 'ULA' produced a non-finite state at step 17 of chain 3" "message"
            }
            test "an unknown sampler name from the registry is a usage error" {
                use dir = new TempDir()
                let services =
                    { fakeServices (ref 0) None with
                        RunExperiment = fun s _ -> raise (ArgumentException($"spec.sampler.name: unknown sampler \"{s.Sampler.Name}\"")) }
                let code, _, err = exec services [| "run"; specFile dir.Path; "--out"; dir.Path |]
                Expect.equal code 2 "exit code"
                Expect.equal err "ratelab: spec.sampler.name: unknown sampler \"ula\"" "message"
            }
        ]
        testList "commands" [
            test "exact --json prints sampler, target, d, nfe, kl and w2" {
                let code, out, err = exec (fakeServices (ref 0) None) [| "exact"; "--sampler"; "ula"; "--target"; "g"; "--d"; "3"; "--steps"; "8"; "--param"; "h=0.1"; "--json" |]
                Expect.equal code 0 err
                let o = JsonNode.Parse out :?> JsonObject
                Expect.equal (o["sampler"].GetValue<string>()) "ula" "sampler"
                Expect.equal (o["target"].GetValue<string>()) "g" "target"
                Expect.equal (o["d"].GetValue<int>()) 3 "d"
                Expect.equal (o["nfe"].GetValue<float>()) 8.0 "nfe"
                Expect.equal (o["kl"].GetValue<float>()) 0.01 "kl"
                Expect.equal (o["w2"].GetValue<float>()) 0.1 "w2"
            }
            test "fit prints the fit of a CSV file" {
                use dir = new TempDir()
                let file = Path.Combine(dir.Path, "points.csv")
                File.WriteAllText(file, "cost,error\n8,0.125\n16,0.0625\n32,0.03125\n")
                let code, out, err = exec (fakeServices (ref 0) None) [| "fit"; file |]
                Expect.equal code 0 err
                Expect.stringContains out "slope on log N" "fit table"
                Expect.stringContains out "Window: points 0–3" "window note (index runs)"
            }
            test "a malformed CSV row is a usage error naming line and column" {
                use dir = new TempDir()
                let file = Path.Combine(dir.Path, "points.csv")
                File.WriteAllText(file, "cost,error,d\n8,0.125,1\n16,-1,1\n")
                let code, _, err = exec (fakeServices (ref 0) None) [| "fit"; file |]
                Expect.equal code 2 "exit code"
                Expect.equal err $"ratelab: {file}: line 3, column error: expected a positive number, got \"-1\"" "message"
            }
            test "list samplers prints names and descriptions" {
                let code, out, _ = exec (fakeServices (ref 0) None) [| "list"; "samplers" |]
                Expect.equal code 0 "exit code"
                Expect.equal (out.Trim()) "ula  unadjusted Langevin" "listing"
            }
            test "run writes results, figures and a table; a second run reuses the cache" {
                use dir = new TempDir()
                let calls = ref 0
                let code, out, err = exec (fakeServices calls None) [| "run"; specFile dir.Path; "--out"; dir.Path |]
                Expect.equal code 0 err
                Expect.equal calls.Value 3 "one run per dimension"
                for f in [ "results.json"; "figures/error-vs-nfe.png"; "figures/error-vs-nfe.svg"; "figures/error-vs-nfe.csv"; "figures/local-slopes.svg" ] do
                    Expect.isTrue (File.Exists(Path.Combine(dir.Path, "ula-isotropic", f))) f
                Expect.stringContains out "| 100 | 64 | 64 |" "table row of d=100, 64 steps"
                Expect.stringContains out "start ula-isotropic d=10\n" "plain progress: start line"
                Expect.stringContains out "done  ula-isotropic d=10\n" "plain progress: done line"
                let code2, _, _ = exec (fakeServices calls None) [| "run"; specFile dir.Path; "--out"; dir.Path |]
                Expect.equal code2 0 "second run"
                Expect.equal calls.Value 3 "nothing recomputed"
            }
            test "an interrupted run resumes from its finished dimensions" {
                use dir = new TempDir()
                let calls = ref 0
                let code, _, err = exec (fakeServices calls (Some 100)) [| "run"; specFile dir.Path; "--out"; dir.Path |]
                Expect.equal code 1 "interrupted"
                Expect.stringContains err "interrupted at d=100" "message"
                Expect.equal calls.Value 2 "d=1 and d=10 finished"
                let code2, _, err2 = exec (fakeServices calls None) [| "run"; specFile dir.Path; "--out"; dir.Path |]
                Expect.equal code2 0 err2
                Expect.equal calls.Value 3 "only d=100 computed on resume"
                let results = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "ula-isotropic", "results.json")))
                Expect.equal ((results["curves"] :?> JsonArray).Count) 3 "all three curves"
            }
            test "report writes the report and prints one line per finished section" {
                use dir = new TempDir()
                let code, out, err = exec (fakeServices (ref 0) None) [| "report"; "--out"; dir.Path |]
                Expect.equal code 0 err
                Expect.stringContains out "A1: consistent, tight — ULA in d" "section line"
                for f in [ "index.md"; "index.html"; "results.json"; "manifest.json"; "langevin/index.html" ] do
                    Expect.isTrue (File.Exists(Path.Combine(dir.Path, f))) f
                let manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "manifest.json")))
                Expect.equal (manifest["profile"].GetValue<string>()) "quick" "profile"
                Expect.equal ((manifest["seeds"] :?> JsonArray).Count) 1 "seeds"
            }
        ]
    ]
