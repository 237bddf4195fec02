/// Python samplers through the step protocol: reference implementations of Euler, Heun, DDIM, DDPM, the reverse SDE
/// and Euler ancestral match the exact laws of RateLab's own kernels on the same grid to 1e-10 relative; planted bugs
/// and non-affine samplers are caught with readable verdicts; randomized samplers get reproducible E_draws bounds;
/// bad input is one line and exit 2. Skipped with the reason where /usr/bin/python3 lacks NumPy (CI installs it).
module RateLab.Properties.Analysis.External.BridgeTests

#nowarn "3261" "3264"

open System.Text.Json.Nodes
open Expecto
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Cli
open RateLab.Analysis.Studies
open RateLab.Analysis.External
open RateLab.Analysis.External.Protocol
open RateLab.Analysis.External.ExternalAnalysis
open RateLab.Properties.RepoFiles
open RateLab.Properties.Analysis.External.Fixtures

let private component' name (parameters: (string * float) list) =
    { Name = name
      Parameters = parameters |> List.map (fun (k, v) -> k, Number v) |> Map.ofList }

/// Runs `fn` on gaussian-data in dimension d for each step count and compares with the catalog sampler: the laws
/// (means, variances) and the exact KL and W2 agree to 1e-10 relative and the NFE counted by Python is the kernel's.
let private matches (fn: string) (kind: SamplerKind) (reference: Component) (grid: (string * ParamValue) list) d =
    needNumpy ()
    let script = repoFile "bridge/python/reference/samplers.py"

    let sampler =
        { Script = script
          Function = fn
          Kind = kind
          Backend = NumPy }

    use bridge = new Session.Bridge(python, Session.bridgeDirectory None)
    bridge.Ask(Protocol.load script fn kind NumPy) |> ignore

    let grid =
        { Name = "grid"
          Parameters = Map.ofList grid }

    let withGrid =
        Map.fold (fun m k v -> Map.add k v m) reference.Parameters grid.Parameters

    let reference = { reference with Parameters = withGrid }

    for n in [ 1; 4; 16; 64 ] do
        let problem =
            { Target = component' "gaussian-data" []
              Grid = grid
              Dimension = d
              Steps = n
              Seed = 1UL
              Replicates = 2 }

        let o = analyse bridge sampler problem
        let c = ReferenceMatch.compare reference problem o
        Expect.isLessThanOrEqual c.Difference ReferenceMatch.MatchTolerance $"{fn} against {reference.Name} at n = {n}"

        let spec =
            { Name = "nfe"
              Sampler = reference
              Target = problem.Target
              Dimensions = [ d ]
              Metric = ExactKl
              Steps = [ n ]
              Chains = 2
              Seeds = [ 1UL ]
              Profile = Quick
              Claims = [] }

        Expect.equal o.Figures.Nfe (Runner.exactPoint spec d n).Nfe $"{fn}: NFE counted by Python at n = {n}"

let private json (out: string) =
    (nonNull (JsonNode.Parse out)).AsObject()

/// The reference Euler sampler on the kdiffusion protocol at d = 1 and 4 steps, with `extra` options.
let private eulerWith (extra: string list) =
    [ reference "euler"; "--kind"; "kdiffusion"; "--d"; "1"; "--steps"; "4" ]
    @ extra

[<Tests>]
let tests =
    testList
        "Analysis.External.Bridge"
        [ testList
              "reference samplers match the catalog's exact laws to 1e-10"
              [ test "k-diffusion-style Euler is DDIM with eta = 0" {
                    matches "euler" KDiffusion (component' "ddim" []) [] 4
                }
                test "k-diffusion-style Heun is the catalog's Heun (2 NFE per step)" {
                    matches "heun" KDiffusion (component' "heun" []) [] 4
                }
                test "k-diffusion-style Euler ancestral is DDIM with eta = 1 (noise via noise_sampler)" {
                    matches "euler_ancestral" KDiffusion (component' "ddim" [ "eta", 1.0 ]) [] 4
                }
                test "DDIM step on a non-default grid is DDIM with eta = 0" {
                    matches "ddim_step" Step (component' "ddim" []) [ "tau_max", Number 0.99; "tau_min", Number 0.01 ] 3
                }
                test "posterior-variance DDPM step is DDIM with eta = 1" {
                    matches "ddpm_posterior_step" Step (component' "ddim" [ "eta", 1.0 ]) [] 4
                }
                test "probability-flow Euler step is pf-euler" {
                    matches "pf_euler_step" Step (component' "pf-euler" []) [] 4
                }
                test "reverse-SDE Euler–Maruyama step is sde-em" {
                    matches "sde_em_step" Step (component' "sde-em" []) [] 4
                } ]
          // At n = 1 the single step from σ₀ = 100 to 0 is x + (x − D)/σ₀·(0 − σ₀) = D in k-diffusion's form, which
          // cancels about log10(σ₀²) digits: measured 5.7e-11 there, at most 6e-13 for n ≥ 4.
          testList
              "grids ending at sigma = 0 and start laws, as the catalog's"
              [ test "Heun with a last Euler step to sigma = 0 is heun with final_zero=true" {
                    matches "heun" KDiffusion (component' "heun" []) [ "final_zero", Flag true ] 4
                }
                test "Heun on Karras' EDM grid (rho = 7) ending at sigma = 0 is heun on the same grid" {
                    matches "heun" KDiffusion (component' "heun" []) [ "grid", Text "edm"; "final_zero", Flag true ] 4
                }
                test "Euler ancestral on the EDM grid is ddim with eta = 1 on it" {
                    matches "euler_ancestral" KDiffusion (component' "ddim" [ "eta", 1.0 ]) [ "grid", Text "edm" ] 4
                }
                test "PF Euler step on an OU-time grid ending at tau = 0 is pf-euler on it" {
                    let grid = [ "grid", Text "ou-time"; "tau_min", Number 0.0 ]
                    matches "pf_euler_step" Step (component' "pf-euler" []) grid 3
                }
                test "DDIM step from k-diffusion's sigma-max start law is ddim from it" {
                    matches "ddim_step" Step (component' "ddim" []) [ "start", Text "sigma-max" ] 3
                }
                test "Euler from the exact start law q_tau0 is ddim from it" {
                    matches "euler" KDiffusion (component' "ddim" []) [ "start", Text "exact" ] 3
                }
                test "NFE counted by Python for Heun ending at sigma = 0 is 2n - 1" {
                    needNumpy ()

                    let code, out, err =
                        external
                            [ reference "heun"
                              "--kind"
                              "kdiffusion"
                              "--d"
                              "2"
                              "--steps"
                              "1,4,16"
                              "--param"
                              "final_zero=true"
                              "--json" ]

                    Expect.equal code 0 err

                    let nfe =
                        (json out).["runs"].AsArray()
                        |> Seq.map (fun r -> r["nfe"].GetValue<float>())
                        |> List.ofSeq

                    Expect.equal nfe [ 1.0; 7.0; 31.0 ] "one model call on the last step, two on the others"
                } ]
          testList
              "planted bugs"
              [ test "noise scaled by sigma_next instead of sigma_up: DIFFERS from ddim(eta=1), exit 1" {
                    needNumpy ()

                    let code, out, _ =
                        external
                            [ reference "euler_ancestral_wrong_noise"
                              "--kind"
                              "kdiffusion"
                              "--d"
                              "4"
                              "--steps"
                              "4,16"
                              "--reference"
                              "ddim"
                              "--reference-param"
                              "eta=1" ]

                    Expect.equal code 1 "a mismatch with the reference is a failure"
                    Expect.stringContains out "DIFFERS from ddim(eta=1)" "the verdict names the reference"
                }
                test "denoiser asked at the next grid level: DIFFERS from ddim, exit 1" {
                    needNumpy ()

                    let code, out, _ =
                        external
                            [ reference "euler_off_by_one"
                              "--kind"
                              "kdiffusion"
                              "--d"
                              "4"
                              "--steps"
                              "4,16"
                              "--reference"
                              "ddim" ]

                    Expect.equal code 1 "a mismatch with the reference is a failure"
                    Expect.stringContains out "DIFFERS from ddim:" "the verdict names the reference"
                }
                test "a clipped denoiser is refused as not affine, in one line" {
                    needNumpy ()

                    let code, _, err =
                        external
                            [ reference "euler_clipped"
                              "--kind"
                              "kdiffusion"
                              "--d"
                              "4"
                              "--steps"
                              "16" ]

                    Expect.equal code 1 "a sampler that is not affine cannot be analysed exactly"
                    Expect.stringContains err "not affine" "the reason"
                    Expect.isFalse (err.Contains '\n') "one line"
                }
                test "the correct Euler ancestral matches, exit 0" {
                    needNumpy ()

                    let code, out, _ =
                        external
                            [ reference "euler_ancestral"
                              "--kind"
                              "kdiffusion"
                              "--d"
                              "4"
                              "--steps"
                              "4,16"
                              "--reference"
                              "ddim"
                              "--reference-param"
                              "eta=1" ]

                    Expect.equal code 0 "matches"
                    Expect.stringContains out "matches ddim(eta=1)" "the verdict"
                } ]
          testList
              "randomized samplers"
              [ test "draws that do not change the map: E_draws bounds equal ddim's exact KL and W2 to 1e-10" {
                    needNumpy ()
                    let script = repoFile "bridge/python/reference/samplers.py"
                    let fn = "ddim_step_idle_draw"
                    use bridge = new Session.Bridge(python, Session.bridgeDirectory None)
                    bridge.Ask(Protocol.load script fn Step NumPy) |> ignore

                    let sampler =
                        { Script = script
                          Function = fn
                          Kind = Step
                          Backend = NumPy }

                    let target, grid = component' "gaussian-data" [], component' "grid" []

                    let problem =
                        { Target = target
                          Grid = grid
                          Dimension = 4
                          Steps = 16
                          Seed = 3UL
                          Replicates = 8 }

                    let o = analyse bridge sampler problem

                    let spec =
                        { Name = "ddim"
                          Sampler = component' "ddim" []
                          Target = target
                          Dimensions = [ 4 ]
                          Metric = ExactKl
                          Steps = [ 16 ]
                          Chains = 2
                          Seeds = [ 1UL ]
                          Profile = Quick
                          Claims = [] }

                    let exact = (Runner.exactPoint spec 4 16).Result.MomentMatched

                    let close (x: float) (y: float) what =
                        Expect.isLessThanOrEqual (abs (x - y)) (ReferenceMatch.MatchTolerance * abs y) what

                    Expect.isTrue o.Result.Randomized "it calls uniform(), so it is analysed over replicates"
                    Expect.equal o.Result.Upper.Replicates 8 "R replicates"
                    close o.Result.Upper.Kl.Value exact.Kl "E_draws KL = the exact KL (every draw has the same law)"
                    close o.Result.Upper.W2 exact.W2 "(E_draws W2²)^½ = the exact W2"

                    close
                        o.Result.MomentMatched.Kl
                        exact.Kl
                        "the moment-matched KL = the exact KL (no spread over draws)"

                    Expect.isLessThanOrEqual
                        o.Result.Upper.Kl.StandardError
                        (1e-10 * exact.Kl)
                        "identical replicates: a standard error of rounding size"
                }
                test "uniform() draws give E_draws bounds with standard errors, reproducible from the seed" {
                    needNumpy ()

                    let args =
                        [ reference "randomized_pf_step"
                          "--kind"
                          "step"
                          "--d"
                          "3"
                          "--steps"
                          "8"
                          "--replicates"
                          "16"
                          "--seed"
                          "5"
                          "--json" ]

                    let code, out, err = external args
                    Expect.equal code 0 err
                    let _, again, _ = external args
                    let run = (json out).["runs"].AsArray().[0].AsObject()
                    let rerun = (json again).["runs"].AsArray().[0].AsObject()

                    Expect.equal
                        (rerun["metrics"].ToJsonString())
                        (run["metrics"].ToJsonString())
                        "the same seed gives the same draws and figures"

                    Expect.equal (run["nfe_chains"].GetValue<int>()) 16 "NFE is a mean over the replicate chains"
                    Expect.equal (run["nfe"].GetValue<float>()) 8.0 "one score call per step"
                    let metrics = run["metrics"].AsObject()
                    let upper, lower = metrics["kl_upper"].AsObject(), metrics["kl_lower"].AsObject()
                    Expect.isGreaterThan (upper["std_error"].GetValue<float>()) 0.0 "a Monte Carlo upper bound"

                    Expect.isLessThanOrEqual
                        (lower["value"].GetValue<float>())
                        (upper["value"].GetValue<float>())
                        "moment-matched KL ≤ E_draws KL (convexity; here without Monte Carlo slack, same replicates)"

                    // A user's randomized sampler gets the mixture's TV from below too, over half the replicates.
                    let tvUpper, tvLower =
                        metrics["tv_upper"].AsObject(), metrics["tv_lower"].AsObject()

                    Expect.equal (tvLower["kind"].GetValue<string>()) "lower bound" "a lower bound"

                    Expect.isLessThanOrEqual
                        (tvLower["value"].GetValue<float>())
                        (tvUpper["value"].GetValue<float>()
                         + 5.0
                           * (tvLower["std_error"].GetValue<float>() + tvUpper["std_error"].GetValue<float>()))
                        "the separating-event bound ≤ E_draws TV within 5 SE"
                } ]
          testList
              "claims and fits"
              [ test "a true and a false decay claim get consistent and violates" {
                    needNumpy ()

                    let code, out, err =
                        external
                            [ reference "euler_ancestral"
                              "--kind"
                              "kdiffusion"
                              "--d"
                              "8"
                              "--steps"
                              "16,32,64"
                              "--claim"
                              repoFile "examples/python/claims.json"
                              "--json" ]

                    Expect.equal code 0 err

                    let verdicts =
                        (json out).["claims"].AsArray()
                        |> Seq.map (fun c -> c["id"].GetValue<string>(), c["verdict"].GetValue<string>())
                        |> Map.ofSeq

                    Expect.equal verdicts["EA-KL-2"] (VerdictNames.toName ConsistentTight) "KL ∝ n⁻² holds"
                    Expect.equal verdicts["EA-KL-4"] (VerdictNames.toName ViolatesBound) "KL ∝ n⁻⁴ does not"
                }
                test "three step counts give an order fit of KL near 2 for Euler" {
                    needNumpy ()

                    let code, out, err =
                        external
                            [ reference "euler"
                              "--kind"
                              "kdiffusion"
                              "--d"
                              "4"
                              "--steps"
                              "64,128,256,512"
                              "--json" ]

                    Expect.equal code 0 err
                    let fit = (json out).["fit"].AsObject()

                    let interval =
                        fit["interval"].AsArray()
                        |> Seq.map (fun x -> x.GetValue<float>())
                        |> Array.ofSeq

                    Expect.isTrue (interval[0] <= 2.0 && 2.0 <= interval[1]) $"order 2 in KL within {interval}"
                } ]
          testList
              "speed"
              [
                // The issue's budget is 1 s of Python time; measured 0.03–0.06 s here (docs/bridge.md), so the limit
                // leaves a 15× margin for slow CI machines.
                test "a 256-step ancestral sampler on d = 64 distinct coordinates probes in under 1 s of Python" {
                    needNumpy ()

                    let code, out, err =
                        external
                            [ reference "euler_ancestral"
                              "--kind"
                              "kdiffusion"
                              "--target"
                              "gaussian-data"
                              "--d"
                              "64"
                              "--steps"
                              "256"
                              "--json" ]

                    Expect.equal code 0 err
                    let run = (json out).["runs"].AsArray().[0].AsObject()
                    Expect.equal (run["probe_rows"].GetValue<int>()) 259 "K + 3 rows for K = 256 noise arrays"
                    Expect.isLessThan (run["python_seconds"].GetValue<float>()) 1.0 "Python seconds"
                } ]
          testList
              "PyTorch"
              [ test "the example's torch sampler (torch.randn_like noise) matches ddim(eta=1)" {
                    needTorch ()

                    let code, out, err =
                        external
                            [ repoFile "examples/python/torch_sampler.py" + ":sample_euler_ancestral"
                              "--kind"
                              "kdiffusion"
                              "--backend"
                              "torch"
                              "--d"
                              "4"
                              "--steps"
                              "4,16"
                              "--reference"
                              "ddim"
                              "--reference-param"
                              "eta=1" ]

                    Expect.equal code 0 err
                    Expect.stringContains out "matches ddim(eta=1)" "the verdict"
                } ]
          testList
              "bad input: one line, exit 2"
              [ for name, args, fragment in
                    [ "missing script",
                      [ "nowhere.py:f"; "--kind"; "step"; "--d"; "1"; "--steps"; "4" ],
                      "SCRIPT = nowhere.py"
                      "unknown function",
                      [ reference "nope"; "--kind"; "step"; "--d"; "1"; "--steps"; "4" ],
                      "FUNCTION = nope"
                      "unknown kind", [ reference "euler"; "--kind"; "ode"; "--d"; "1"; "--steps"; "4" ], "--kind = ode"
                      "decreasing steps",
                      [ reference "euler"; "--kind"; "kdiffusion"; "--d"; "1"; "--steps"; "8,4" ],
                      "--steps = 8,4"
                      "grid out of order", eulerWith [ "--param"; "tau_min=0.5"; "--param"; "tau_max=0.4" ], "tau_min"
                      "log-SNR grid ending at 0", eulerWith [ "--param"; "tau_min=0" ], "tau_min"
                      "unknown start law", eulerWith [ "--param"; "start=zero" ], "start"
                      "unknown target", eulerWith [ "--target"; "foo" ], "--target = foo: unknown"
                      "a Langevin reference",
                      eulerWith [ "--reference"; "ula" ],
                      "--reference = ula: not a diffusion sampler"
                      "a reference parameter without a reference",
                      eulerWith [ "--reference-param"; "eta=1" ],
                      "--reference-param: only with --reference"
                      "d beyond the largest array",
                      [ reference "euler"
                        "--kind"
                        "kdiffusion"
                        "--d"
                        "2147483647"
                        "--steps"
                        "4" ],
                      "--d: d = 2147483647 exceeds the largest array"
                      "a file that is not Python source",
                      [ typeof<Session.Bridge>.Assembly.Location + ":f"
                        "--kind"
                        "step"
                        "--d"
                        "1"
                        "--steps"
                        "4" ],
                      "not importable as Python source" ] ->
                    test name {
                        needNumpy ()
                        let code, _, err = external args
                        Expect.equal code 2 err
                        Expect.stringContains err fragment "names the parameter and value"
                        Expect.isFalse (err.Contains '\n') "one line"
                    } ]
          test "a request of another protocol version is refused by the Python side" {
              needNumpy ()
              use bridge = new Session.Bridge(python, Session.bridgeDirectory None)

              let refused =
                  Expect.throwsC (fun () -> bridge.Ask """{"version": 2, "op": "load"}""" |> ignore) id

              Expect.stringContains refused.Message "version = 2; allowed: 1" "the mismatch, named"
          } ]
