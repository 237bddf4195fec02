/// Plans, shards and merges: the assignment puts every unit in exactly one shard, deterministically and balanced
/// within the largest unit's cost; merging rejects disagreeing or tampered cache entries; and a check run as two
/// shards and merged writes the same report as one process, timing fields aside.
module RateLab.Properties.Analysis.Cli.ShardTests

open System
open System.IO
open System.Text.Json.Nodes
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Analysis.Experiments
open RateLab.Analysis.Cli
open RateLab.Analysis.Sections
open RateLab.Properties.FakeServices
open RateLab.Properties.RepoFiles

/// Units with positive costs and distinct keys, and a shard count.
type Workload = Workload of units: (string * float) list * shards: int

type Arbitraries =
    static member Workload() : Arbitrary<Workload> =
        gen {
            let! n = Gen.choose (0, 60)

            let! costs =
                Gen.listOfLength n (Gen.choose (1, 10_000) |> Gen.map (fun c -> float c / 100.0))

            let! shards = Gen.choose (1, 20)
            return Workload(costs |> List.mapi (fun i c -> $"part/unit-{i}", c), shards)
        }
        |> Arb.fromGen

let private cfg =
    let shared = RateLab.Properties.Generators.config

    { shared with
        arbitrary = typeof<Arbitraries> :: shared.arbitrary }

let private execWith services argv =
    let ui, out, err = captured ()
    let code = Commands.execute services ui argv
    code, out.ToString(), err.ToString().TrimEnd()

let private exec argv = execWith Wiring.services argv

/// A report of two units: `whole`, one cached value, and `divided`, six cached values that shards divide (share i of
/// n computes value k for k % n = i) and whose section lists them all.
let private dividedReport (ctx: RateLab.Analysis.Report.Context.ReportContext) : Units.ReportPlan =
    let value k =
        ctx.Cached $"divided/{k}" (fun () -> JsonValue.Create(float k * 1.5) :> JsonNode)
        |> fun n -> n.GetValue<float>()

    let section title reason : RateLab.Analysis.Report.Model.Section =
        { Title = title
          ClaimIds = []
          Verdict = RateLab.Analysis.Model.Records.ConsistentTight
          Reason = reason
          Evidence = []
          Method = ""
          Fits = []
          Figures = []
          Curves = [] }

    let whole () =
        section "whole" (string (ctx.Cached "whole" (fun () -> JsonValue.Create 7.0 :> JsonNode)))

    let divided () =
        section "divided" (String.Join(",", [ for k in 0..5 -> value k ]))

    { Units.ReportPlan.Title = "divided"
      Parts =
        [ { Slug = "p"
            Title = "p"
            Intro = ""
            Units =
              [ Units.announced ctx.SectionDone "whole" whole
                Units.announced ctx.SectionDone "divided" divided
                |> Units.shared (fun i n ->
                    for k in 0..5 do
                        if k % n = i then
                            value k |> ignore) ] } ] }

/// Both example claims in one file: two units, one per shard of two.
let private twoClaims (dir: string) =
    let claims = JsonArray()

    for file in [ "ula-first-order.json"; "ula-too-fast.json" ] do
        let o =
            JsonNode.Parse(File.ReadAllText(repoFile $"examples/claims/{file}")) |> nonNull

        for c in (nonNull o["claims"]).AsArray() do
            claims.Add((nonNull c).DeepClone())

    let root = JsonObject()
    root["claims"] <- claims
    let path = Path.Combine(dir, "claims.json")
    File.WriteAllText(path, root.ToJsonString())
    path

/// Every report file, by relative path, without the cache, the manifest and the wall-time lines of the top pages.
/// The SVG renderer numbers clip paths with a process-wide counter, so those ids are blanked: two renders in one test
/// process differ there, two processes (a real merge against a real single run) do not.
let private reportFiles (dir: string) =
    Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
    |> Array.map (fun f -> Path.GetRelativePath(dir, f), f)
    |> Array.filter (fun (rel, _) ->
        not (rel.StartsWith ".cache")
        && rel <> "manifest.json"
        && rel <> "timings.json"
        && rel <> Plan.ManifestFile)
    |> Array.map (fun (rel, f) ->
        let lines =
            File.ReadAllLines f |> Array.filter (fun l -> not (l.Contains "wall time"))

        rel, Text.RegularExpressions.Regex.Replace(String.Join("\n", lines), "cl_[0-9a-z]+", "cl_"))
    |> Array.sortBy fst

/// Expects the report in `other` to be the one in `reference`, file by file, timing fields aside.
let private sameReport (reference: string) (other: string) =
    let expected, actual = reportFiles reference, reportFiles other
    Expect.equal (Array.map fst actual) (Array.map fst expected) "the same files"

    for (rel, a), (_, b) in Array.zip expected actual do
        Expect.equal b a $"{rel} is identical"

[<Tests>]
let tests =
    testList
        "Analysis.Cli.Shard"
        [ testPropertyWithConfig cfg "every unit lands in exactly one shard, in range"
          <| fun (Workload(units, shards)) ->
              let assignment = Plan.assign shards units
              Expect.equal (List.map fst assignment) (List.map fst units) "one entry per unit, in report order"
              Expect.all assignment (fun (_, s) -> s >= 0 && s < shards) "shard index in [0, N)"

          testPropertyWithConfig cfg "the assignment is deterministic"
          <| fun (Workload(units, shards)) ->
              Expect.equal (Plan.assign shards units) (Plan.assign shards (List.map id units)) "same shards"

          testPropertyWithConfig cfg "shard loads differ by at most the largest unit's cost"
          <| fun (Workload(units, shards)) ->
              let loads = Plan.loads shards units (Plan.assign shards units)

              let largest =
                  if units.IsEmpty then
                      0.0
                  else
                      units |> List.map snd |> List.max
              // Each unit goes to the least loaded shard, so the shard that ends highest was lowest before its last unit.
              Expect.isLessThanOrEqual (Array.max loads - Array.min loads) (largest + 1e-9) "balance"
              Expect.floatClose Accuracy.high (Array.sum loads) (List.sumBy snd units) "every cost counted once"

          testPropertyWithConfig cfg "a divided unit gives every shard one share; the others are assigned whole"
          <| fun (Workload(units, shards), divide: bool list) ->
              let divided =
                  List.zip units (List.truncate units.Length (divide @ List.replicate units.Length false))
                  |> List.choose (fun ((k, _), d) -> if d then Some k else None)
                  |> set

              let work = Plan.assignWithShares shards divided units
              let whole = units |> List.filter (fst >> divided.Contains >> not)

              let wholeWork =
                  work |> List.filter (fun (k, _, _) -> List.exists (fst >> (=) k) whole)

              Expect.equal
                  [ for k, _, s in wholeWork -> k, s ]
                  (Plan.assign shards whole)
                  "whole units as assign puts them"

              for k in divided do
                  let shares =
                      work
                      |> List.filter (fun (w, _, _) -> w.StartsWith(k + "[", StringComparison.Ordinal))

                  Expect.equal
                      [ for w, _, s in shares -> w, s ]
                      [ for i in 0 .. shards - 1 -> Plan.shareKey k i shards, i ]
                      k

              let loads = Plan.shareLoads shards work
              Expect.floatClose Accuracy.high (Array.sum loads) (List.sumBy snd units) "every cost counted once"

          test "measured costs give a divided unit the sum of its recorded shares" {
              let dir = tempDir "shard"

              try
                  let file = Path.Combine(dir, "timings.json")
                  let units = JsonObject()
                  units[Plan.shareKey "boltzmann/training" 0 2] <- JsonValue.Create 30.0
                  units[Plan.shareKey "boltzmann/training" 1 2] <- JsonValue.Create 50.0
                  units["langevin/ula"] <- JsonValue.Create 4.0
                  let o = JsonObject()
                  o["units"] <- units
                  File.WriteAllText(file, o.ToJsonString())

                  Expect.equal
                      (Plan.costs (Plan.Measured file) [ "boltzmann/training"; "langevin/ula"; "new/unit" ])
                      [ "boltzmann/training", 80.0; "langevin/ula", 4.0; "new/unit", 42.0 ]
                      "shares summed; a new unit gets the mean"
              finally
                  Directory.Delete(dir, true)
          }

          test "--shard I/N is parsed, and out-of-range values are usage errors naming the option" {
              Expect.equal (Plan.parseShard "2/4") { Index = 2; Count = 4 } "2/4"

              for bad in [ "4/4"; "-1/4"; "1/0"; "1"; "a/b"; "1/2/3" ] do
                  Expect.throwsT<ArgumentException> (fun () -> Plan.parseShard bad |> ignore) bad

              let code, _, err =
                  exec [| "check"; repoFile "examples/claims/ula-first-order.json"; "--shard"; "3/2" |]

              Expect.equal code 2 "exit code"

              let expected =
                  "ratelab: --shard = \"3/2\" is out of range; allowed: I/N with integers 0 ≤ I < N"

              Expect.equal err expected "message"
          }

          test "merging rejects two shards that disagree on a configuration, naming its key" {
              let dir = tempDir "shard"

              try
                  let salt = CommandKit.salt ()

                  let store name =
                      Cache.under (Path.Combine(dir, name)) salt

                  let a, b, target = store "a", store "b", store "m"
                  let config = """{"study":"x"}"""
                  Cache.store a config (JsonValue.Create 1.0)
                  Cache.store b config (JsonValue.Create 2.0)
                  let key = Cache.key salt config
                  Expect.equal (Cache.importEntry target (Cache.path a config)) (Ok true) "first copy"
                  Expect.equal (Cache.importEntry target (Cache.path a config)) (Ok false) "an equal entry is there"

                  match Cache.importEntry target (Cache.path b config) with
                  | Error m -> Expect.stringContains m key "names the key"
                  | Ok _ -> failtest "a disagreeing entry was accepted"
                  // A file whose name is not the hash of its configuration fails the content check.
                  let forged = Path.Combine(a.Directory, String('0', 64) + ".json")
                  File.Copy(Cache.path a config, forged)

                  match Cache.importEntry target forged with
                  | Error m -> Expect.stringContains m "content check" "names the check"
                  | Ok _ -> failtest "a forged entry was accepted"
              finally
                  Directory.Delete(dir, true)
          }

          test "a merge with a shard missing is a usage error naming the shard" {
              let dir = tempDir "shard"

              try
                  let claims = twoClaims dir
                  let shard0 = Path.Combine(dir, "s0")
                  let code, _, err = exec [| "check"; claims; "--shard"; "0/2"; "--out"; shard0 |]
                  Expect.equal code 0 $"shard 0 ({err})"
                  let code, _, err = exec [| "merge"; shard0; "--out"; Path.Combine(dir, "m") |]
                  Expect.equal code 2 "exit code"
                  Expect.stringContains err "1/2 missing" "names the missing shard"
              finally
                  Directory.Delete(dir, true)
          }

          test "merge checks its options, its shards and OUT before it copies an entry" {
              let dir = tempDir "shard"

              try
                  let claims = twoClaims dir
                  let s0, s1 = Path.Combine(dir, "s0"), Path.Combine(dir, "s1")
                  exec [| "check"; claims; "--shard"; "0/2"; "--out"; s0 |] |> ignore
                  exec [| "check"; claims; "--shard"; "1/2"; "--out"; s1 |] |> ignore
                  let aFile = Path.Combine(dir, "a-file")
                  File.WriteAllText(aFile, "x")
                  let incomplete = Path.Combine(dir, "incomplete")
                  Directory.CreateDirectory incomplete |> ignore
                  File.WriteAllText(Path.Combine(incomplete, "shard.json"), """{"command":"check"}""")
                  let m = Path.Combine(dir, "m")

                  for argv, expected in
                      [ [| "merge"; s0; s1; "--jobs"; "0"; "--out"; m |], "--jobs"
                        [| "merge"; s0; s1; "--out"; aFile |], "--out"
                        [| "merge"; s0; s1; "--out"; Path.Combine(aFile, "sub") |], "--out"
                        [| "merge"; incomplete; "--out"; m |], "shard.json is malformed (field \"units\" is missing)" ] do
                      let code, out, err = exec argv
                      Expect.equal code 2 $"{argv}: exit code ({err})"
                      Expect.stringContains err expected "names the problem"
                      Expect.isFalse (err.Contains '\n') "one line"
                      Expect.equal out "" "nothing copied"
                      Expect.isFalse (Directory.Exists m) "OUT untouched"
                  // A --costs file that is not a timings file is refused before OUT is created.
                  let code, _, err =
                      exec [| "check"; claims; "--costs"; claims; "--out"; Path.Combine(dir, "c") |]

                  Expect.equal code 2 $"--costs exit code ({err})"
                  Expect.stringContains err "--costs" "names the option"
                  Expect.isFalse (Directory.Exists(Path.Combine(dir, "c"))) "OUT untouched"
              finally
                  Directory.Delete(dir, true)
          }

          test "shards balanced by different costs files are refused by merge (they need not cover every unit)" {
              let dir = tempDir "shard"

              try
                  let claims = twoClaims dir
                  let costs = Path.Combine(dir, "timings.json")
                  File.WriteAllText(costs, """{"units":{"claims/ULA-W2-eps":2.0,"claims/ULA-W2-too-fast":1.0}}""")
                  let s0, s1 = Path.Combine(dir, "s0"), Path.Combine(dir, "s1")
                  exec [| "check"; claims; "--shard"; "0/2"; "--out"; s0 |] |> ignore

                  exec [| "check"; claims; "--shard"; "1/2"; "--costs"; costs; "--out"; s1 |]
                  |> ignore

                  let code, _, err = exec [| "merge"; s0; s1; "--out"; Path.Combine(dir, "m") |]
                  Expect.equal code 2 "exit code"
                  Expect.stringContains err "belongs to another job" "says why"
              finally
                  Directory.Delete(dir, true)
          }

          test "two shards merged write the single-process report, timing fields aside, recomputing nothing" {
              let dir = tempDir "shard"

              try
                  let claims = twoClaims dir

                  let run (argv: string list) =
                      let code, out, err = exec (Array.ofList argv)
                      Expect.equal code 0 $"{argv} ({err})"
                      out

                  run [ "check"; claims; "--out"; Path.Combine(dir, "single") ] |> ignore
                  let shards = [ for i in 0..1 -> Path.Combine(dir, $"s{i}") ]

                  for i, s in List.indexed shards do
                      let out = run [ "check"; claims; "--shard"; $"{i}/2"; "--out"; s ]
                      Expect.stringContains out $"shard {i}/2: 1 units done" "each shard runs one unit"
                      Expect.isFalse (File.Exists(Path.Combine(s, "index.md"))) "a shard writes no report"

                  let merged = Path.Combine(dir, "merged")
                  let out = run ([ "merge" ] @ shards @ [ "--out"; merged ])
                  Expect.stringContains out "0 configurations recomputed" "every unit is a cache hit"

                  sameReport (Path.Combine(dir, "single")) merged
              finally
                  Directory.Delete(dir, true)
          }

          test "shards divide a divided unit: each computes its share, and the merge builds its section from them" {
              let dir = tempDir "shard"

              try
                  let services =
                      { Wiring.services with
                          BuildReport = dividedReport }

                  let run (argv: string list) =
                      let code, out, err = execWith services (Array.ofList argv)
                      Expect.equal code 0 $"{argv} ({err})"
                      out

                  run [ "report"; "--out"; Path.Combine(dir, "single") ] |> ignore
                  let shards = [ for i in 0..2 -> Path.Combine(dir, $"s{i}") ]

                  for i, s in List.indexed shards do
                      let out = run [ "report"; "--shard"; $"{i}/3"; "--out"; s ]
                      Expect.stringContains out $"p/divided[{i}/3] done" "the shard's share"

                      Expect.equal
                          (Cache.entries (Path.Combine(s, ".cache")) |> Seq.length)
                          (if i = 0 then 3 else 2)
                          "its two values (and, on shard 0, the whole unit's)"

                  let merged = Path.Combine(dir, "merged")
                  let out = run ([ "merge" ] @ shards @ [ "--out"; merged ])
                  Expect.stringContains out "0 configurations recomputed" "the shares cover the divided unit"

                  sameReport (Path.Combine(dir, "single")) merged
              finally
                  Directory.Delete(dir, true)
          }

          test "two units at once write the one-at-a-time report, timing fields aside" {
              let dir = tempDir "jobs"

              try
                  let claims = twoClaims dir

                  for j in [ 1; 2 ] do
                      let code, _, err =
                          exec [| "check"; claims; "--jobs"; string j; "--out"; Path.Combine(dir, $"j{j}") |]

                      Expect.equal code 0 err

                  sameReport (Path.Combine(dir, "j1")) (Path.Combine(dir, "j2"))
              finally
                  Directory.Delete(dir, true)
          }

          test "the full profile keeps its report and cache under OUT/full, and a rerun rewrites no entry" {
              let dir = tempDir "full"

              try
                  let claims = repoFile "examples/claims/ula-first-order.json"

                  let run () =
                      let code, _, err = exec [| "check"; claims; "--profile"; "full"; "--out"; dir |]
                      Expect.equal code 0 err

                  run ()
                  let cache = Path.Combine(dir, "full", ".cache")
                  Expect.isFalse (Directory.Exists(Path.Combine(dir, ".cache"))) "no cache beside the quick report"

                  let stamps () =
                      [ for f in Directory.GetFiles cache -> f, File.GetLastWriteTimeUtc f ]

                  let before = stamps ()
                  Expect.isNonEmpty before "entries written under OUT/full/.cache"
                  run ()
                  Expect.equal (stamps ()) before "every entry reused, none rewritten"
              finally
                  Directory.Delete(dir, true)
          }

          test "--jobs outside 1..256 is refused in one line, and plan refuses it" {
              let dir = tempDir "jobs"

              try
                  let claims = twoClaims dir

                  for argv in
                      [ [| "check"; claims; "--jobs"; "0"; "--out"; dir |]
                        [| "plan"; "check"; claims; "--jobs"; "2"; "--out"; dir |] ] do
                      let code, _, err = exec argv
                      Expect.equal code 2 $"{argv}: exit code"
                      Expect.stringContains err "--jobs" "names the option"
                      Expect.equal (err.Trim().Split('\n').Length) 1 "one line"

                  Expect.isFalse (Directory.Exists(Path.Combine(dir, ".cache"))) "nothing computed"
              finally
                  Directory.Delete(dir, true)
          }

          test "plan refuses options that would do nothing there, and --shards outside 1..4096" {
              let dir = tempDir "plan"

              try
                  let claims = twoClaims dir

                  for argv, option in
                      [ [| "plan"; "report"; "--shard"; "0/2"; "--out"; dir |], "--shard"
                        [| "plan"; "check"; claims; "--shard"; "0/2"; "--out"; dir |], "--shard"
                        [| "plan"; "report"; "--checkpoints"; dir; "--out"; dir |], "--checkpoints"
                        [| "plan"; "check"; claims; "--shards"; "0"; "--out"; dir |], "--shards = 0"
                        [| "plan"; "check"; claims; "--shards"; "4097"; "--out"; dir |], "--shards = 4097"
                        [| "plan"; "report"; "--out"; dir; "--out"; dir |], "--out" ] do
                      let code, _, err = exec argv
                      Expect.equal code 2 $"{argv}: exit code ({err})"
                      Expect.stringContains err option "names the option"
                      Expect.isFalse (err.Contains '\n') "one line"

                  Expect.isFalse (File.Exists(Path.Combine(dir, "plan.json"))) "nothing planned"
              finally
                  Directory.Delete(dir, true)
          }

          test "plan divides the full profile's training study between all shards" {
              let dir = tempDir "shard"

              try
                  let code, _, err =
                      exec [| "plan"; "report"; "--profile"; "full"; "--shards"; "3"; "--out"; dir |]

                  Expect.equal code 0 err

                  let plan =
                      JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "plan.json"))) |> nonNull

                  let units =
                      [ for u in (nonNull plan["units"]).AsArray() ->
                            let u = nonNull u
                            (nonNull u["unit"]).GetValue<string>(), (nonNull u["shard"]).GetValue<int>() ]

                  Expect.equal
                      (units
                       |> List.filter (fun (k, _) -> k.StartsWith("boltzmann/training", StringComparison.Ordinal)))
                      [ for i in 0..2 -> Plan.shareKey "boltzmann/training" i 3, i ]
                      "one share per shard, no whole unit"

                  Expect.isFalse (Directory.Exists(Path.Combine(dir, ".cache"))) "nothing computed"
              finally
                  Directory.Delete(dir, true)
          }

          test "plan lists every unit with its shard without running anything" {
              let dir = tempDir "shard"

              try
                  let code, out, err =
                      exec [| "plan"; "check"; twoClaims dir; "--shards"; "2"; "--out"; dir |]

                  Expect.equal code 0 err
                  Expect.stringContains out "2 units, total cost 2 units (unit count)" "summary"

                  let plan =
                      JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "plan.json"))) |> nonNull

                  let shardOf (u: JsonNode | null) =
                      (nonNull (nonNull u).["shard"]).GetValue<int>()

                  let shardsOf = [ for u in (nonNull plan["units"]).AsArray() -> shardOf u ]
                  Expect.equal (List.sort shardsOf) [ 0; 1 ] "one unit per shard"
                  Expect.isFalse (Directory.Exists(Path.Combine(dir, ".cache"))) "nothing computed"
              finally
                  Directory.Delete(dir, true)
          } ]
