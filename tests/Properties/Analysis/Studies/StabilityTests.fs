/// Step-size stability limits: refused beyond the limit, accepted below it, and the limits agree with the exact
/// engine — just below a limit the exact KL settles, just above it grows without bound. Everything here is exact
/// (closed forms, quadrature exact for polynomials, the deterministic exact engine), so no false-failure probability.
module RateLab.Properties.Analysis.Studies.StabilityTests

open System
open Expecto
open RateLab.Core.Samplers
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Cli
open RateLab.Analysis.Cli.Services
open RateLab.Properties.FakeServices

let private comp name (parameters: (string * ParamValue) list) =
    { Name = name
      Parameters = Map.ofList parameters }

let private plan sampler target steps : Preflight.Plan =
    { Sampler = sampler
      Target = target
      Dimensions = [ 1; 4 ]
      Steps = steps
      Replicates = 2 }

let private refusal (p: Preflight.Plan) =
    messageOf<SpecException>(fun () -> Preflight.check Int64.MaxValue Preflight.specNames p)

let private iso = comp "isotropic-gaussian" []

/// The exact KL (or its moment-matched lower bound for a randomized kernel) after n steps, started at the target;
/// None when the engine stops on a non-finite law.
let private klAfter sampler target n =
    let spec =
        { Name = "stability"
          Sampler = sampler
          Target = target
          Dimensions = [ 1 ]
          Metric = KlLower
          Steps = [ n ]
          Chains = 2
          Seeds = [ 1UL ]
          Profile = Quick
          Claims = [] }
    // The law itself, unchecked: two replicates cannot bound it from above near the limit, and only the law matters.
    try
        Some (Runner.analyse spec 1 n).Result.MomentMatched.Kl
    with :? SamplerDivergedException ->
        None

/// Below the limit the KL after 2n steps equals the KL after n (the chain has reached its stationary law); above it
/// the KL has grown by orders of magnitude or the law is no longer finite.
let private settles sampler target n =
    match klAfter sampler target n, klAfter sampler target (2 * n) with
    | Some a, Some b -> abs (b - a) <= 1e-6 * max a 1e-300
    | _ -> false

let private explodes sampler target n =
    match klAfter sampler target n, klAfter sampler target (2 * n) with
    | Some a, Some b -> b > 1e3 * a
    | _ -> true

[<Tests>]
let tests =
    testList
        "Analysis.Studies.Stability"
        [ test "ULA with h = 2 and h = 3 on N(0, 1) is refused with the limit named" {
              for h in [ 2.0; 3.0 ] do
                  let message = refusal (plan (comp "ula" [ "h", Number h ]) iso [ 8 ])

                  let expected =
                      $"spec.sampler.parameters.h: h = {h} is beyond the stability limit: "
                      + "ula is unstable on this target (variances in [1, 1]); allowed: h < 2"

                  Expect.equal message expected "message"
          }
          test "ULA's limit is 2·(smallest variance) on an ill-conditioned target" {
              let target = comp "ill-conditioned-gaussian" [ "kappa", Number 100.0 ]
              let message = refusal (plan (comp "ula" [ "h", Number 0.03 ]) target [ 8 ])
              Expect.stringEnds message "allowed: h < 0.02" "2/κ"
              Preflight.check Int64.MaxValue Preflight.specNames (plan (comp "ula" [ "h", Number 0.0199 ]) target [ 8 ])
          }
          test "a horizon is refused at the step count where its step crosses the limit, naming the horizon" {
              let message =
                  refusal (plan (comp "ula" [ "horizon", Number 16.0 ]) iso [ 16; 4; 32 ])

              let expected =
                  "spec.sampler.parameters.horizon: horizon = 16 gives the step 4 at 4 steps"

              Expect.stringStarts message expected "message"
              Expect.stringEnds message "allowed: horizon < 8 at 4 steps (a step below 2)" "allowed"
          }
          test "each target's variance extremes are those of its built problem" {
              let cases =
                  [ comp "isotropic-gaussian" [ "variance", Number 0.3 ]
                    comp "ill-conditioned-gaussian" [ "kappa", Number 50.0 ]
                    comp "gaussian-data" [ "variance_max", Number 2.0; "variance_min", Number 0.01 ] ]

              for c in cases do
                  for d in [ 1; 2; 7; 100 ] do
                      let v = (Catalog.gaussianProblem c d).Variance
                      let extremes = (Catalog.target c.Name).Extremes c d
                      Expect.equal extremes (Some(Array.min v, Array.max v)) $"{c.Name} d = {d}"
          }
          test "RLMC's ratio a* is the real root of a³ − 3a² + 6a − 6 and E[(1 − a + U a²)²] = 1 there" {
              let a = Stability.rlmcRatio
              Expect.isLessThan (abs (a * a * a - 3.0 * a * a + 6.0 * a - 6.0)) 1e-12 "root of the cubic"
              // Simpson's rule is exact for the quadratic-in-U integrand squared (degree 2 in U).
              let m u = 1.0 - a + u * a * a
              let second = (m 0.0 ** 2.0 + 4.0 * m 0.5 ** 2.0 + m 1.0 ** 2.0) / 6.0
              Expect.isLessThan (abs (second - 1.0)) 1e-12 "mean-square multiplier 1"
          }
          test "the ULA limit agrees with the exact engine" {
              Expect.isTrue (settles (comp "ula" [ "h", Number 1.98 ]) iso 2000) "h = 1.98 settles"
              Expect.isTrue (explodes (comp "ula" [ "h", Number 2.02 ]) iso 2000) "h = 2.02 explodes"
          }
          test "the RLMC limit agrees with the exact engine's moment-matched law" {
              let a = Stability.rlmcRatio
              Expect.isTrue (settles (comp "rlmc" [ "h", Number(0.98 * a) ]) iso 4000) "0.98 a* settles"
              Expect.isTrue (explodes (comp "rlmc" [ "h", Number(1.02 * a) ]) iso 4000) "1.02 a* explodes"
          }
          test "the ULMC limit agrees with the exact engine, and eta = 50 is refused" {
              let limit =
                  (Stability.limit (Stability.UnderdampedExponential(2.0, 1.0)) 1.0 1.0).Value

              Expect.isTrue (settles (comp "ulmc" [ "eta", Number(0.98 * limit) ]) iso 4000) "0.98 limit settles"
              Expect.isTrue (explodes (comp "ulmc" [ "eta", Number(1.02 * limit) ]) iso 4000) "1.02 limit explodes"
              let message = refusal (plan (comp "ulmc" [ "eta", Number 50.0 ]) iso [ 8 ])

              Expect.stringStarts
                  message
                  "spec.sampler.parameters.eta: eta = 50 is beyond the stability limit"
                  "message"
          }
          test "ULMC is stable exactly below its limit on a scan of step sizes" {
              // The Jury conditions could in principle admit several stable windows; the scan shows one for γ = 2, u = 1.
              let rule = Stability.UnderdampedExponential(2.0, 1.0)
              let limit = (Stability.limit rule 0.01 1.0).Value

              for k in 1..400 do
                  let eta = limit * float k / 100.0
                  Expect.equal (Stability.stable rule eta 0.01 1.0) (eta < limit) $"eta = {eta}"
          }
          test "a diverged exact law is a one-line failure naming sampler, step and replicate (exit 1)" {
              let services =
                  { fakeServices (ref 0) None with
                      ExactEval = fun _ -> raise (SamplerDivergedException("plmc", 41L, 0L)) }

              let ui, _, err = captured ()

              let argv =
                  [| "exact"
                     "--sampler"
                     "plmc"
                     "--target"
                     "isotropic-gaussian"
                     "--d"
                     "2"
                     "--steps"
                     "8"
                     "--param"
                     "alpha=5" |]

              let code = Commands.execute services ui argv
              Expect.equal code 1 "exit code"

              let expected =
                  "ratelab: sampler 'plmc' produced a non-finite state at step 41 of chain 0"

              Expect.stringStarts (err.ToString()) expected "message"
              Expect.isFalse (err.ToString().TrimEnd().Contains '\n') "one line"
          } ]
