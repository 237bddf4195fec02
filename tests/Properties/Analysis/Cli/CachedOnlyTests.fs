/// `--cached-only`: a report rendered from a partial cache computes nothing, marks what is missing as "not computed
/// yet" instead of judging it, and equals the normal report once the cache is complete.
module RateLab.Properties.Analysis.Cli.CachedOnlyTests

open System.IO
open Expecto
open RateLab.Analysis.Cli
open RateLab.Properties.FakeServices
open RateLab.Properties.RepoFiles

let private exec argv =
    let ui, out, err = captured ()
    let code = Commands.execute Wiring.services ui argv
    code, out.ToString(), err.ToString().TrimEnd()

let private cacheEntries dir =
    let cache = Path.Combine(dir, ".cache")

    if Directory.Exists cache then
        Directory.GetFiles(cache, "*.json").Length
    else
        0

[<Tests>]
let tests =
    testList
        "Analysis.Cli.CachedOnly"
        [ test "on an empty cache nothing is computed and every section says it is not computed yet" {
              let dir = tempDir "cached-only"

              try
                  let code, stdout, err =
                      exec
                          [| "check"
                             repoFile "examples/claims/ula-first-order.json"
                             "--out"
                             dir
                             "--cached-only" |]

                  Expect.equal code 0 $"exit code ({err})"
                  Expect.equal (cacheEntries dir) 0 "no result was computed"
                  let index = File.ReadAllText(Path.Combine(dir, "claims", "index.md"))
                  Expect.stringContains index "not computed yet" "the missing unit is marked"
                  Expect.isFalse (index.Contains "consistent, tight") "a missing unit is not judged"
                  Expect.stringContains stdout "not computed yet" "the verdict line says so"
                  // The missing entry is named on stderr, not in the report, whose text must not vary with the
                  // order in which parallel work misses entries.
                  Expect.stringContains err "first result not in the cache" "the console names the missing entry"
              finally
                  Directory.Delete(dir, true)
          }

          test "on a complete cache it renders the verdict the computing run wrote" {
              let dir = tempDir "cached-only"

              try
                  let file = repoFile "examples/claims/ula-first-order.json"
                  let code, _, err = exec [| "check"; file; "--out"; dir |]
                  Expect.equal code 0 $"computing run ({err})"
                  let entries = cacheEntries dir
                  let before = File.ReadAllText(Path.Combine(dir, "claims", "results.json"))
                  let code, _, err = exec [| "check"; file; "--out"; dir; "--cached-only" |]
                  Expect.equal code 0 $"cached-only run ({err})"
                  Expect.equal (cacheEntries dir) entries "nothing new was computed"
                  let after = File.ReadAllText(Path.Combine(dir, "claims", "results.json"))
                  Expect.equal after before "the same claims results"
                  Expect.stringContains after "consistent_tight" "the verdict is there"
              finally
                  Directory.Delete(dir, true)
          }

          test "with --shard or under plan it is refused with one line and exit 2" {
              let file = repoFile "examples/claims/ula-first-order.json"

              for argv in
                  [ [| "check"
                       file
                       "--cached-only"
                       "--shard"
                       "1/2"
                       "--out"
                       "unused-cached-only" |]
                    [| "plan"; "report"; "--cached-only" |] ] do
                  let code, _, err = exec argv
                  Expect.equal code 2 $"exit code for {argv}"
                  Expect.stringContains err "--cached-only" "names the option"
                  Expect.equal (err.Split('\n').Length) 1 "one line"
          } ]
