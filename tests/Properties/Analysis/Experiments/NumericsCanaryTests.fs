/// The numerics canary: the cache salt names Cache.NumericsVersion, not the commit, so a committed cache is reused by
/// later builds. This recomputes the exact law of every catalog sampler that runs on a Gaussian target and compares
/// it with the values stored for the current version; a figure that moved without a version bump fails here, so a
/// stale cache can never be read as current. Exact laws from fixed seeds: no false-failure probability.
module RateLab.Properties.Analysis.Experiments.NumericsCanaryTests

open System
open System.IO
open System.Text.Json
open System.Text.Json.Nodes
open Expecto
open RateLab.Analysis.Experiments
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Cli
open RateLab.Properties

/// Where the values live, and the variable that rewrites them (the test then fails, so it is never green while
/// writing):
/// RATELAB_CANARY_WRITE=1 dotnet run --project tests/Properties -c Release -- --filter Analysis.Experiments.NumericsCanary
let private file = "tests/Properties/Analysis/Experiments/numerics-canary.json"
let private writeVariable = "RATELAB_CANARY_WRITE"

/// Relative agreement asked: reassociated sums (another vector width) move a figure by a few 1e-16; any change to a
/// kernel, a grid or the engine moves it by far more than 1e-12.
let private tolerance = 1e-12

/// Every catalog sampler with its defaults on a small Gaussian problem (diffusion samplers on diffusion data,
/// Langevin ones on a κ = 4 target over horizon 1, stable for all of them): every figure's value and interval ends, the NFE and
/// the velocity law.
let private compute () =
    [ for e in Catalog.samplers do
          let parameters =
              if e.Parameters |> List.exists (fun p -> p.Name = "horizon") then
                  Map.ofList [ "horizon", Number 1.0 ]
              else
                  Map.empty

          let target =
              if e.Diffusion then
                  { Name = "gaussian-data"
                    Parameters = Map.empty }
              else
                  { Name = "ill-conditioned-gaussian"
                    Parameters = Map.ofList [ "kappa", Number 4.0 ] }

          let q: Services.ExactQuery =
              { Sampler =
                  { Name = e.Name
                    Parameters = parameters }
                Target = target
                Dimension = 3
                Steps = 20
                Seed = 1UL
                Replicates = 16 }

          let r = Wiring.exactEval q
          yield $"{e.Name}/nfe", r.Nfe

          for f in r.Figures do
              let m = MetricNames.toName f.Metric
              yield $"{e.Name}/{m}/value", f.Estimate.Value
              yield $"{e.Name}/{m}/lower", f.Estimate.Lower
              yield $"{e.Name}/{m}/upper", f.Estimate.Upper

          match r.Velocity with
          | Some v ->
              yield $"{e.Name}/velocity/kl", v.Kl
              yield $"{e.Name}/velocity/w2", v.W2
          | None -> () ]

/// Digests of the random streams every Monte Carlo figure is drawn from: the SHA-256 of the bits of a few keys'
/// normals (lengths that end inside a vector and chunk, a step above 2³²) and uniforms. The normals rest on the
/// runtime's vector Log, so a .NET update that moved its last bit would change Monte Carlo results while the exact
/// laws above stay put; bits, not a tolerance, because one ulp can flip an accept/reject or a mode switch.
let private streams () =
    let digest (a: float[]) =
        a
        |> Array.collect (fun x -> BitConverter.GetBytes(BitConverter.DoubleToInt64Bits x))
        |> Security.Cryptography.SHA256.HashData
        |> Convert.ToHexStringLower

    [ for seed, chain, step, role, n in [ 1UL, 0L, 0L, 0, 4099; 0xDEADBEEFCAFEUL, 12345L, (1L <<< 33) + 7L, 5, 1000 ] do
          let normals = Array.zeroCreate n
          RateLab.Core.Randomness.CounterRng.Normals(seed, chain, step, role, Span normals)
          yield $"normals/{seed}/{chain}/{step}/{role}/{n}", digest normals

          let uniforms =
              Array.init 64 (fun i -> RateLab.Core.Randomness.CounterRng.Uniform(seed, chain, step, i))

          yield $"uniforms/{seed}/{chain}/{step}/64", digest uniforms ]

let private write (values: (string * float) list) =
    let o = JsonObject()
    o["numerics_version"] <- JsonValue.Create Cache.NumericsVersion
    let revisions = JsonObject()

    for KeyValue(m, r) in Cache.MetricRevisions do
        revisions[m] <- JsonValue.Create r

    o["metric_revisions"] <- revisions
    let v = JsonObject()

    for k, x in values do
        v[k] <- JsonValue.Create(x.ToString "R")

    o["values"] <- v
    let st = JsonObject()

    for k, h in streams () do
        st[k] <- JsonValue.Create h

    o["streams"] <- st

    File.WriteAllText(
        Path.Combine(Path.GetDirectoryName(RepoFiles.repoFile "README.md") |> nonNull, file),
        o.ToJsonString(JsonSerializerOptions(WriteIndented = true)) + "\n"
    )

let private close (a: float) (b: float) =
    a = b
    || (Double.IsNaN a && Double.IsNaN b)
    || abs (a - b) <= tolerance * max (abs a) (abs b)

[<Tests>]
let tests =
    testList
        "Analysis.Experiments.NumericsCanary"
        [ test "every catalog sampler's exact law is the one stored for this numerics version" {
              let values = compute ()

              if Environment.GetEnvironmentVariable writeVariable = "1" then
                  write values
                  failtest $"{file} rewritten for {Cache.NumericsVersion}; run again without {writeVariable}"

              let stored = nonNull (JsonNode.Parse(File.ReadAllText(RepoFiles.repoFile file)))
              let version = (nonNull stored["numerics_version"]).GetValue<string>()

              Expect.equal
                  version
                  Cache.NumericsVersion
                  $"{file} was made for {version}; after bumping Cache.NumericsVersion rewrite it ({writeVariable}=1)"

              let revisions =
                  match stored["metric_revisions"] with
                  | null -> Map.empty
                  | r ->
                      r.AsObject()
                      |> Seq.map (fun kv -> kv.Key, (nonNull kv.Value).GetValue<int>())
                      |> Map.ofSeq

              Expect.equal
                  revisions
                  Cache.MetricRevisions
                  $"{file} was made for other metric revisions; after revising one in Cache.MetricRevisions rewrite it ({writeVariable}=1)"

              let table = (nonNull stored["values"]).AsObject()

              let missing =
                  values |> List.filter (fun (k, _) -> not (table.ContainsKey k)) |> List.map fst

              Expect.isEmpty missing $"not in {file} (a new sampler or figure: rewrite it with {writeVariable}=1)"

              let moved =
                  [ for k, x in values do
                        let s =
                            Double.Parse(
                                (nonNull table[k]).GetValue<string>(),
                                Globalization.CultureInfo.InvariantCulture
                            )

                        if not (close x s) then
                            yield $"{k}: {s:R} -> {x:R}" ]

              // A figure of one metric only may move with a revision of that metric (Cache.MetricRevisions).
              Expect.isEmpty
                  moved
                  ($"numbers moved under {Cache.NumericsVersion}: bump Cache.NumericsVersion (committed caches are stale), "
                   + $"or, if one metric alone moved, its revision in Cache.MetricRevisions; then rewrite {file}. Moved: "
                   + String.Join("; ", moved))
          }

          test "the normal and uniform streams are the ones stored for this numerics version" {
              let stored = nonNull (JsonNode.Parse(File.ReadAllText(RepoFiles.repoFile file)))

              let table =
                  match stored["streams"] with
                  | null -> failtest $"{file} has no stream digests: rewrite it with {writeVariable}=1"
                  | t -> t.AsObject()

              let moved =
                  [ for k, h in streams () do
                        match table[k] with
                        | null -> yield $"{k}: not stored"
                        | v when v.GetValue<string>() <> h -> yield $"{k}: {v.GetValue<string>()} -> {h}"
                        | _ -> () ]

              Expect.isEmpty
                  moved
                  ($"random streams moved under {Cache.NumericsVersion} (Philox, the transform or the runtime's vector "
                   + $"Log changed, or this machine's vector Log rounds differently: AVX2 {Runtime.Intrinsics.X86.Avx2.IsSupported}, "
                   + $"AVX-512 {Runtime.Intrinsics.X86.Avx512F.IsSupported}, {Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}; "
                   + $"the digests were made with AVX2), so every Monte Carlo figure moved: bump Cache.NumericsVersion and rewrite {file}. "
                   + String.Join("; ", moved))
          } ]
