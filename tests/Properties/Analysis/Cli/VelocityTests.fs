/// The velocity columns of kinetic samplers: the exact law of the velocity at the end against its stationary law
/// N(0, u I). Everything is exact (the exact engine on an affine kernel), so there is no false-failure probability.
module RateLab.Properties.Analysis.Cli.VelocityTests

open System.IO
open System.Text.Json.Nodes
open Expecto
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Cli
open RateLab.Properties
open RateLab.Properties.FakeServices

let private spec sampler (parameters: (string * ParamValue) list) n =
    { Name = "velocity"
      Sampler =
        { Name = sampler
          Parameters = Map.ofList parameters }
      Target =
        { Name = "ill-conditioned-gaussian"
          Parameters = Map.ofList [ "kappa", Number 10.0 ] }
      Dimensions = [ 4 ]
      Metric = ExactKl
      Steps = [ n ]
      Chains = 2
      Seeds = [ 1UL ]
      Profile = Quick
      Claims = [] }

[<Tests>]
let tests =
    testList
        "Analysis.Cli.Velocity"
        [ test "ULMC's velocity law tends to N(0, u I) at second order in KL as the step shrinks at a fixed horizon" {
              // From the stationary start the exact dynamics keep v ~ N(0, u I); the integrator's law is O(η) away, so
              // the velocity KL falls as η²: by 64 from n = 8 to 64. The check needs more than √(8·64) ≈ 22.6, the
              // geometric midpoint between first and second order.
              let at n =
                  (Runner.velocity (spec "ulmc" [ "horizon", Number 1.0; "u", Number 2.0 ] n) 4 n).Value

              let coarse, fine = at 8, at 64
              Expect.equal fine.InverseMass 2.0 "u"
              Expect.isFalse fine.MomentMatched "ULMC is deterministic given its noise: exact law"
              Expect.isGreaterThan (coarse.Kl / fine.Kl) (sqrt (8.0 * 64.0)) $"KL {coarse.Kl} → {fine.Kl}"
          }
          test "one-block samplers have no velocity; run writes the velocity columns for kinetic ones" {
              Expect.isNone (Runner.velocity (spec "ula" [ "h", Number 0.1 ] 4) 4 4) "ULA"
              let dir = RepoFiles.tempDir "velocity"
              let file = Path.Combine(dir, "spec.json")

              File.WriteAllText(
                  file,
                  toJson
                      { spec "shen-lee" [ "h", Number 0.1 ] 4 with
                          Metric = KlLower }
              )

              let ui, out, err = captured ()
              let code = Commands.execute Wiring.services ui [| "run"; file; "--out"; dir |]
              Expect.equal code 0 $"run: {err}"
              Expect.stringContains (out.ToString()) "velocity KL" "column"

              let node =
                  nonNull (JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "velocity", "results.json"))))

              let v = (nonNull node["velocity"]).AsArray()[0] |> nonNull

              Expect.equal
                  ((nonNull v["kind"]).GetValue<string>())
                  "moment-matched lower bound"
                  "Shen–Lee is randomized"
          } ]
