/// The diffusion samplers' grid kinds, their end at τ = 0, their start laws and Heun's EDM churn, through the catalog.
/// Grids and start laws are checked against their formulas and the exact engine (deterministic: no false failures);
/// the churn's exact law is checked against a Monte Carlo run with stated false-failure probability.
module RateLab.Properties.Analysis.Studies.GridAndStartTests

open System
open Expecto
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Cli
open RateLab.Properties.Generators
open RateLab.Properties.FakeServices

let private comp name (parameters: (string * ParamValue) list) =
    { Name = name
      Parameters = Map.ofList parameters }

let private heun (parameters: (string * ParamValue) list) = comp "heun" parameters

let private data = comp "gaussian-data" []

let private taus (g: NoiseGrid) =
    g.Levels.ToArray() |> Array.map (fun l -> l.Tau)

/// The exact analysis of a sampler on gaussian-data (d = 3) after n steps.
let private exact sampler n =
    let spec =
        { Name = "grid"
          Sampler = sampler
          Target = data
          Dimensions = [ 3 ]
          Metric = ExactKl
          Steps = [ n ]
          Chains = 2
          Seeds = [ 1UL ]
          Profile = Quick
          Claims = [] }

    Runner.exactPoint spec 3 n

let private kl sampler n =
    (exact sampler n).Result.MomentMatched.Kl

let private exec argv =
    let ui, _, err = captured ()
    let code = Commands.execute Wiring.services ui argv
    code, err.ToString().TrimEnd()

/// A refusal through `exact`: exit 2, one line naming the option.
let private refused (option: string) (extra: string list) =
    let argv =
        Array.append
            [| "exact"
               "--sampler"
               "heun"
               "--target"
               "gaussian-data"
               "--d"
               "2"
               "--steps"
               "4" |]
            (extra |> List.collect (fun p -> [ "--param"; p ]) |> Array.ofList)

    let code, err = exec argv
    Expect.equal code 2 $"exit code: {err}"
    Expect.isFalse (err.Contains '\n') $"one line: {err}"
    Expect.stringStarts err $"ratelab: {option}" "names the input at fault"
    err

[<Tests>]
let tests =
    testList
        "Analysis.Studies.GridsAndStarts"
        [ test "the default grid is the historic log-SNR grid, to the bit" {
              let built = GridChoice.build (heun []) 10
              Expect.equal (taus built) (taus (NoiseGrid.LogSnrUniform(1.0 - 1e-4, 1e-3, 10))) "levels"
          }
          test "grid=edm follows Karras' ρ formula between σ(tau_max) and σ(tau_min)" {
              let c =
                  heun
                      [ "grid", Text "edm"
                        "rho", Number 5.0
                        "tau_max", Number 0.99
                        "tau_min", Number 0.01 ]

              let g = GridChoice.build c 8
              let sigma (t: float) = sqrt (t / (1.0 - t))
              let a, b = sigma 0.99 ** (1.0 / 5.0), sigma 0.01 ** (1.0 / 5.0)
              Expect.equal g.Steps 8 "steps"

              for i in 0..8 do
                  let expected = (a + float i / 8.0 * (b - a)) ** 5.0
                  Expect.floatClose Accuracy.veryHigh g[i].Sigma expected $"σ_{i}"
          }
          test "grid=ou-time is uniform in OU time and may end at τ = 0" {
              let g = GridChoice.build (heun [ "grid", Text "ou-time"; "tau_min", Number 0.0 ]) 6
              Expect.equal g.End.Tau 0.0 "ends at 0"
              let t = g.Levels.ToArray() |> Array.map (fun l -> l.OuTime)

              for i in 1..6 do
                  Expect.floatClose Accuracy.veryHigh (t[i - 1] - t[i]) (t[0] / 6.0) $"OU step {i}"
          }
          test "grid=list is exactly the listed levels and fixes the step count" {
              let c = heun [ "grid", Text "list"; "levels", Text "0.9, 0.5,0.125,0" ]
              Expect.equal (taus (GridChoice.build c 3)) [| 0.9; 0.5; 0.125; 0.0 |] "levels"
              let err = refused "--steps" [ "grid=list"; "levels=0.9,0.5,0" ]
              Expect.stringContains err "allowed: 2" "the listed count"
          }
          test "final_zero adds one last step to τ = 0 on every kind, n steps in all" {
              for kind in [ "log-snr"; "edm"; "ou-time" ] do
                  let c = heun [ "grid", Text kind; "final_zero", Flag true ]
                  let g = GridChoice.build c 6
                  Expect.equal g.Steps 6 $"{kind}: steps"
                  Expect.equal g.End.Tau 0.0 $"{kind}: ends at 0"
                  Expect.floatClose Accuracy.veryHigh g[5].Tau 1e-3 $"{kind}: then tau_min"
          }
          test "Heun's last step to 0 is one Euler step: 2n − 1 evaluations, counted" {
              let p = exact (heun [ "grid", Text "edm"; "final_zero", Flag true ]) 10
              Expect.equal p.Nfe 19.0 "NFE"
          }
          test "grids that cannot reach 0 and misplaced grid parameters are refused in one line" {
              refused "--param tau_min" [ "tau_min=0" ] |> ignore
              refused "--param tau_min" [ "grid=edm"; "tau_min=0" ] |> ignore
              refused "--param rho" [ "rho=3" ] |> ignore
              refused "--param levels" [ "levels=0.9,0.1" ] |> ignore

              refused "--param tau_max" [ "grid=list"; "levels=0.9,0.1"; "tau_max=0.5" ]
              |> ignore

              let err = refused "--param levels" [ "grid=list"; "levels=0.5,0.9" ]
              Expect.stringContains err "strictly decreasing" "why"
          }
          test "start=sigma-max is N(0, τ₀ I) and start=exact is q_τ₀ = N(√ᾱ₀ μ, ᾱ₀ λ + τ₀)" {
              let problem = Catalog.gaussianProblem data 3
              let entry = Catalog.sampler "heun"
              let c = heun [ "tau_max", Number 0.9 ]

              let sd (start: string) =
                  let c = heun [ "tau_max", Number 0.9; "start", Text start ]
                  (Catalog.startLaw entry c problem).Sd.ToArray()

              Expect.equal (sd "standard") [| 1.0; 1.0; 1.0 |] "standard"
              Expect.equal (sd "sigma-max") (Array.create 3 (sqrt (GridChoice.top c))) "sigma-max"
              let expected = problem.Variance |> Array.map (fun v -> sqrt (0.1 * v + 0.9))

              for i in 0..2 do
                  Expect.floatClose Accuracy.veryHigh (sd "exact").[i] expected[i] $"exact sd {i}"
          }
          test "the start-law floor is the limit of the standard and σ_max starts, and the exact start has none" {
              let at start =
                  heun [ "tau_max", Number 0.9; "start", Text start ]

              for start in [ "standard"; "sigma-max" ] do
                  let floor = (Floors.startLaw (at start) data ExactKl 3).Value
                  // At n = 512 Heun's discretisation KL is ~1e-10 (it falls as n⁻⁴), six orders below the floor.
                  Expect.isLessThan (abs (kl (at start) 512 - floor)) (0.01 * floor) $"{start}: KL(512) is the floor"

              Expect.isNone (Floors.startLaw (at "exact") data ExactKl 3) "no floor for the exact start"
              let standardFloor = (Floors.startLaw (at "standard") data ExactKl 3).Value
              Expect.isLessThan (kl (at "exact") 512) (1e-6 * standardFloor) "exact start: only discretisation is left"
              Expect.isGreaterThan (kl (at "exact") 64 / kl (at "exact") 512) 1000.0 "and it falls as n⁻⁴ (8⁴ = 4096)"
          }
          test "heun-churn with s_churn = 0 is Heun to the bit on a Monte Carlo run" {
              let grid = NoiseGrid.Edm(12)

              let field =
                  let mean, variance = spreadGaussian ()
                  GaussianMixtureNoisedScore([| 1.0 |], mean, variance)

              let run (kernel: ISamplerKernel) =
                  let batch = ChainBatch(64, kernel.StateLength, 3)
                  SamplerRunner.Run(kernel, PhiloxNoise(7UL), ScoreOracle(field, 64), batch, int64 grid.Steps)
                  batch.Positions()

              Expect.equal (run (HeunChurn(3, grid, 0.0, 0.0, infinity, 1.0))) (run (Heun(3, grid))) "positions"
              let churned = HeunChurn(3, grid, 40.0, 0.05, 50.0, 1.003)
              Expect.notEqual (run churned) (run (Heun(3, grid))) "churn changes the run"
          }
          test "heun-churn's exact law agrees with a Monte Carlo run within 4.5 standard errors" {
              // 40 000 chains; per coordinate |mean − m| ≤ 4.5·√(v/n) and |var − v| ≤ 4.5·√(2/n)·v (normal output law).
              // Each check fails with probability 6.8e-6 when the law is right; 6 checks: at most 4.1e-5.
              let c =
                  comp "heun-churn" [ "s_churn", Number 10.0; "s_tmin", Number 0.1; "s_tmax", Number 20.0 ]

              let target = comp "gaussian-data" [ "variance_min", Number 0.3 ]

              let spec =
                  { Name = "churn"
                    Sampler = c
                    Target = target
                    Dimensions = [ 3 ]
                    Metric = KlLower
                    Steps = [ 12 ]
                    Chains = 2
                    Seeds = [ 1UL ]
                    Profile = Quick
                    Claims = [] }

              let law =
                  (Runner.analyse spec 3 12).Result.Law.Position(ReadOnlySpan(Array.create 3 1.0))

              let problem = Catalog.gaussianProblem target 3
              let start = StartLaw.Isotropic(3, 1.0)

              let carrier =
                  GaussianReduction.Diagonal(ReadOnlySpan problem.Mean, ReadOnlySpan problem.Variance, start)

              let kernel = ((Catalog.sampler "heun-churn").Build c carrier 12).Kernel
              let field = GaussianMixtureNoisedScore([| 1.0 |], problem.Mean, problem.Variance)
              let n = 40000
              let batch = ChainBatch(n, kernel.StateLength, 3)
              SamplerRunner.Run(kernel, PhiloxNoise(11UL), ScoreOracle(field, n), batch, 12L)
              let xs = batch.Positions()

              for i in 0..2 do
                  let column = Array.init n (fun k -> xs[k * 3 + i])
                  let m, v = Array.average column, law.Variance[i]
                  let sampleVar = (column |> Array.sumBy (fun x -> (x - m) ** 2.0)) / float (n - 1)
                  Expect.isLessThan (abs (m - law.Mean[i])) (4.5 * sqrt (v / float n)) $"mean {i}"
                  Expect.isLessThan (abs (sampleVar - v)) (4.5 * sqrt (2.0 / float n) * v) $"variance {i}"
          } ]
