/// Monte Carlo measurement through `ratelab run`: on a Gaussian target, where every sample metric has a closed form,
/// each estimate must lie within 4 of its standard errors of the exact distance (a normal estimate misses with
/// probability 6.3e-5 per check; the jackknife overstates the variance near the null, which only lowers it). Seeds
/// are fixed, so a run is reproducible. Non-Gaussian targets run end to end, and what cannot be measured is refused.
module RateLab.Properties.Analysis.Cli.MonteCarloTests

open System
open System.IO
open System.Text.Json.Nodes
open Expecto
open MathNet.Numerics
open RateLab.Core.Randomness
open RateLab.Core.Targets
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Report
open RateLab.Analysis.Studies
open RateLab.Analysis.Cli
open RateLab.Properties
open RateLab.Properties.FakeServices

let private exec argv =
    let ui, out, err = captured ()
    let code = Commands.execute Wiring.services ui argv
    code, out.ToString(), err.ToString().TrimEnd()

/// Runs a spec through `ratelab run` and returns its curves (from results.json) and the results node.
let private run (dir: string) (json: string) =
    let file = Path.Combine(dir, "spec.json")
    File.WriteAllText(file, json)
    let code, _, err = exec [| "run"; file; "--out"; dir |]
    Expect.equal code 0 $"run: {err}"
    let name = (parse json).Name

    let node =
        nonNull (JsonNode.Parse(File.ReadAllText(Path.Combine(dir, name, "results.json"))))

    (nonNull node["curves"]).AsArray()
    |> Seq.map (fun c -> ResultsJson.decodeCurve (nonNull c))
    |> List.ofSeq,
    node

let private ulaSpec (metric: string) (chains: int) =
    $"""{{ "name": "mc", "sampler": {{ "name": "ula", "parameters": {{ "h": 0.8 }} }},
          "target": {{ "name": "isotropic-gaussian" }}, "dimensions": [1], "metric": "{metric}",
          "steps": [4], "chains": {chains}, "seeds": [3] }}"""

/// ULA with h = 0.8 on N(0, 1) from the target: after 4 steps its law is N(0, v) with v = a⁸ + (1 − a⁸)·2h/(1 − a²),
/// a = 1 − h (the chain contracts by a and adds variance 2h a step; 2h/(1 − a²) = 5/3 is its stationary variance).
let private v =
    let h = 0.8 in
    let a = 1.0 - h in
    a ** 8.0 + (1.0 - a ** 8.0) * 2.0 * h / (1.0 - a * a)

/// The single point of a one-point curve.
let private point (curves: ErrorCurve list) =
    (List.exactlyOne curves).Points |> List.exactlyOne

/// The estimate is within 4 SE of the exact value, and the exact value is more than 4 SE from 0, so the check would
/// catch a metric that measured nothing.
let private within4 (name: string) (exact: float) (e: Estimate) =
    Expect.isLessThan (abs (e.Value - exact)) (4.0 * e.StdError) $"{name}: {e.Value} ± {e.StdError} vs exact {exact}"
    Expect.isGreaterThan (abs exact) (4.0 * e.StdError) $"{name}: exact {exact} is resolved by SE {e.StdError}"

[<Tests>]
let tests =
    testList
        "Analysis.Cli.MonteCarlo"
        [ test "energy distance through run is within 4 SE of the closed form on N(0, v) against N(0, 1)" {
              let dir = RepoFiles.tempDir "mc-energy"
              let curves, _ = run dir (ulaSpec "sample:energy" 4000)
              // E|X − Y| = √(2/π)·√(var X + var Y) for independent centred normals.
              let e s = sqrt (2.0 / Math.PI) * sqrt s
              within4 "energy" (2.0 * e (v + 1.0) - e (2.0 * v) - e 2.0) (point curves).Error
          }
          test "MMD² through run is within 4 SE of the closed form at the bandwidth the run used" {
              let dir = RepoFiles.tempDir "mc-mmd"
              let curves, _ = run dir (ulaSpec "sample:mmd" 4000)

              let iso =
                  { Name = "isotropic-gaussian"
                    Parameters = Map.empty }

              let target = Catalog.sampled (Catalog.Gaussian(Catalog.gaussianProblem iso 1))
              let ell = MonteCarlo.bandwidth (MonteCarlo.referenceDraws target 1 0.0 3UL 0L 4000)
              // E exp(−(X − Y)²/(2ℓ²)) = (1 + s/ℓ²)^(−1/2) for X − Y ~ N(0, s).
              let k s = 1.0 / sqrt (1.0 + s / (ell * ell))
              within4 "mmd" (k (2.0 * v) + k 2.0 - 2.0 * k (v + 1.0)) (point curves).Error
          }
          test "sliced W2² (W2² in d = 1) minus its floor is within 4 SE of (√v − 1)²" {
              let dir = RepoFiles.tempDir "mc-sw2"
              let curves, _ = run dir (ulaSpec "sample:sliced_w2" 20000)
              within4 "sliced_w2" ((sqrt v - 1.0) ** 2.0) (point curves).Error
          }
          test "the noise floor of an unbiased metric is within 4 of its SE of 0, and run writes it" {
              let dir = RepoFiles.tempDir "mc-floor"
              let _, node = run dir (ulaSpec "sample:energy" 2000)
              let floor = (nonNull node["noise_floors"]).AsArray()[0] |> nonNull

              let value, se =
                  (nonNull floor["value"]).GetValue<float>(), (nonNull floor["std_error"]).GetValue<float>()

              Expect.isLessThan (abs value) (4.0 * se) "floor near 0"
          }
          test "a non-Gaussian target runs end to end: ULA and ULMC on the double well, DDIM on a mixture" {
              let dir = RepoFiles.tempDir "mc-dw"

              let spec sampler parameters target metric =
                  $"""{{ "name": "mc-{sampler}", "sampler": {{ "name": "{sampler}", "parameters": {{ {parameters} }} }},
                      "target": {{ "name": "{target}" }}, "dimensions": [2], "metric": "{metric}",
                      "steps": [8, 16], "chains": 300, "seeds": [1] }}"""

              for json in
                  [ spec "ula" "\"h\": 0.05" "double-well" "sample:mmd"
                    spec "ulmc" "\"eta\": 0.1" "double-well" "sample:energy"
                    spec "ddim" "\"grid\": \"edm\", \"final_zero\": true" "gaussian-mixture" "sample:energy" ] do
                  let curves, _ = run dir json
                  let points = (List.exactlyOne curves).Points
                  Expect.equal points.Length 2 "two points"

                  for p in points do
                      Expect.isTrue (Double.IsFinite p.Error.Value && p.Error.StdError > 0.0) "an estimate with SE"
                      Expect.isGreaterThan p.Nfe 0.0 "NFE counted"
          }
          test "what a Monte Carlo run cannot measure is refused in one line before any work" {
              let dir = RepoFiles.tempDir "mc-refuse"

              let refused (json: string) (path: string) =
                  let file = Path.Combine(dir, "bad.json")
                  File.WriteAllText(file, json)
                  let out = Path.Combine(dir, $"out-{Guid.NewGuid():N}")
                  let code, stdout, err = exec [| "run"; file; "--out"; out |]
                  Expect.equal code 2 $"exit code: {err}"
                  Expect.isFalse (err.Contains '\n') "one line"
                  Expect.stringStarts err $"ratelab: {path}" "names the field"
                  Expect.equal stdout "" $"{path}: nothing started"
                  Expect.isFalse (Directory.Exists out) $"{path}: nothing written"

              let spec sampler target metric chains =
                  $"""{{ "name": "bad", "sampler": {{ "name": "{sampler}", "parameters": {{ "h": 0.1 }} }},
                      "target": {{ "name": "{target}" }}, "dimensions": [2], "metric": "{metric}",
                      "steps": [4], "chains": {chains}, "seeds": [1] }}"""

              refused (spec "ula" "double-well" "exact_kl" 10) "spec.target.name"
              refused (spec "ula" "double-well" "sample:histogram" 10) "spec.metric"
              refused (spec "ula" "double-well" "sample:sliced_w2" 10) "spec.chains"
              refused ((spec "ddim" "double-well" "sample:mmd" 10).Replace("\"h\": 0.1", "")) "spec.target.name"
              refused (spec "ula" "isotropic-gaussian" "strong_error" 10) "spec.metric: strong_error is defined"
              // RLMC's midpoints are random: its exact analysis gives bounds, not the exact KL.
              refused (spec "rlmc" "isotropic-gaussian" "exact_kl" 10) "spec.metric: exact_kl is not available"

              let code, _, err =
                  exec
                      [| "exact"
                         "--sampler"
                         "ula"
                         "--target"
                         "double-well"
                         "--d"
                         "2"
                         "--steps"
                         "4"
                         "--param"
                         "h=0.1" |]

              Expect.equal code 2 "exact on a non-Gaussian target"
              Expect.stringStarts err "ratelab: --target: double-well is not Gaussian" "names the target"
              Expect.stringContains err "sample:mmd" "points at the Monte Carlo metrics"
          }
          test "strong_error through run: Heun's RMS falls at second order, and noise injectors are refused" {
              let dir = RepoFiles.tempDir "mc-strong"

              let json sampler =
                  $"""{{ "name": "se-{sampler}", "sampler": {{ "name": "{sampler}" }},
                      "target": {{ "name": "gaussian-data" }}, "dimensions": [2], "metric": "strong_error",
                      "steps": [8, 16], "chains": 400, "seeds": [2] }}"""

              let curves, _ = run dir (json "heun")

              match (List.exactlyOne curves).Points with
              | [ a; b ] ->
                  // Halving h divides the error by 4 at second order and by 2 at first; the ratio's lower 4.5-SE limit
                  // (delta method over the per-chain spread; false failure 6.8e-6 if the order is 2) must be above
                  // 2√2, their geometric midpoint, so a first-order Heun would fail.
                  let r = a.Error.Value / b.Error.Value
                  let relative (p: ErrorPoint) = p.Error.StdError / p.Error.Value
                  let se = r * sqrt (relative a ** 2.0 + relative b ** 2.0)
                  Expect.isGreaterThan (r - 4.5 * se) (2.0 * sqrt 2.0) $"ratio {r} ± {se}"
              | other -> failtestf "expected two points, got %d" other.Length

              let file = Path.Combine(dir, "bad.json")
              File.WriteAllText(file, json "sde-em")
              let code, _, err = exec [| "run"; file; "--out"; dir |]
              Expect.equal code 2 $"sde-em refused: {err}"
              Expect.stringStarts err "ratelab: spec.metric: strong_error needs" "names the metric"
          }
          test "the Monte Carlo kinds are exactly the sample metrics a spec accepts" {
              Expect.equal (MonteCarlo.kinds |> List.map snd) MetricNames.sampleNames "names"
          }
          test "the double well's exact draws have E[x₁²] of its density (quadrature), within 4.5 SE" {
              // 200 000 draws; a normal mean misses 4.5 SE with probability 6.8e-6.
              let a = 1.0
              let density x = exp (-a * (x * x - 1.0) ** 2.0)
              let z = Integrate.OnClosedInterval(Func<float, float> density, -6.0, 6.0, 1e-12)

              let m2 =
                  Integrate.OnClosedInterval(Func<float, float>(fun x -> x * x * density x), -6.0, 6.0, 1e-12)
                  / z

              let target = DoubleWell(2, a)
              let noise = PhiloxNoise(5UL)
              let n = 200000

              let squares =
                  Array.init n (fun i ->
                      let x = Array.zeroCreate 2
                      target.SampleExact(noise, int64 i, 0L, Span x)
                      x[0] * x[0])

              let mean = Array.average squares

              let sd =
                  sqrt ((squares |> Array.sumBy (fun s -> (s - mean) ** 2.0)) / float (n - 1))

              Expect.isLessThan (abs (mean - m2)) (4.5 * sd / sqrt (float n)) $"E x1² = {mean} vs {m2}"
          }
          test "specs with grid, start and churn parameters round-trip through JSON" {
              let json =
                  """{ "name": "rt", "sampler": { "name": "heun-churn", "parameters": { "grid": "list",
                     "levels": "0.9,0.5,0", "start": "sigma-max", "s_churn": 2.5 } },
                     "target": { "name": "gaussian-mixture", "parameters": { "components": 3 } },
                     "dimensions": [2], "metric": "sample:sliced_w2", "steps": [2], "chains": 64, "seeds": [9] }"""

              let spec = parse json
              Expect.equal (parse (toJson spec)) spec "round trip"
          }
          test "the example spec and the example Monte Carlo claim are accepted" {
              let spec =
                  parse (File.ReadAllText(RepoFiles.repoFile "examples/ula-double-well-sw2.json"))

              Preflight.checkSpec Int64.MaxValue spec
              MonteCarlo.check Int64.MaxValue spec
              let file = RepoFiles.repoFile "examples/claims/ula-double-well-second-order.json"
              let claims = Wiring.services.LoadClaims file
              Expect.equal (claims |> List.map (fun c -> c.Id)) [ "ULA-DW-SW2" ] "the claim"
          } ]
