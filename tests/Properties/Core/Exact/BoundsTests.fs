/// Honest bounds: the jackknife behind Monte Carlo lower bounds, the refusal of contradictory bounds, divergent moment
/// laws, and the labels every exact figure carries.
module RateLab.Properties.Core.Exact.BoundsTests

open System
open Expecto
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Report
open RateLab.Properties.Stats

let private comp name (ps: (string * float) list) =
    { Name = name
      Parameters = ps |> List.map (fun (k, v) -> k, Number v) |> Map.ofList }

let private spec sampler target d steps replicates seed =
    { Name = "bounds"
      Sampler = sampler
      Target = target
      Dimensions = [ d ]
      Metric = KlLower
      Steps = [ steps ]
      Chains = replicates
      Seeds = [ seed ]
      Profile = Quick
      Claims = [] }

// PLMC-DDPM on the one-dimensional data law N(0, 1/4): its draws have no quadrature rule, so its moment-matched lower
// bounds are Monte Carlo, and its KL is near zero (≈ 1.2e-4), where a plug-in divergence is most biased.
let private plmc replicates seed =
    let data = comp "gaussian-data" [ "variance_max", 0.25; "variance_min", 0.25 ]
    spec (comp "plmc-ddpm" []) data 1 40 replicates seed

// RLMC with h = 3 on N(0, I₄): unstable; after 100 steps its laws are finite but enormous, after 400 they overflow.
let private rlmc h steps =
    spec (comp "rlmc" [ "h", h ]) (comp "isotropic-gaussian" []) 4 steps 256 1UL

let private figure metric (r: ExactResult) =
    ExactCurves.figures r |> List.find (fun f -> f.Metric = metric)

let private relClose (a: float) (b: float) =
    a = b || abs (a - b) <= 1e-10 * max (abs a) (abs b)

[<Tests>]
let tests =
    testList
        "Core.Exact.Bounds"
        [ test "the leave-one-out sums equal the moments recomputed without each replicate" {
              let random = Random 11

              for _ in 1..50 do
                  let d, n = random.Next(1, 5), random.Next(2, 7)

                  let law () =
                      DiagonalLaw(
                          Array.init d (fun _ -> 4.0 * random.NextDouble() - 2.0),
                          Array.init d (fun _ -> if random.Next 4 = 0 then 0.0 else 2.0 * random.NextDouble())
                      )

                  let laws = Array.init n (fun _ -> law ())

                  let reference =
                      DiagonalLaw(Array.zeroCreate d, Array.init d (fun _ -> 0.5 + random.NextDouble()))

                  let jackknife = MomentJackknife n
                  laws |> Array.iter jackknife.Add
                  let leftOut = jackknife.LeaveOneOut reference

                  for r in 0 .. n - 1 do
                      let acc = MomentAccumulator(1, d)

                      laws
                      |> Array.iteri (fun j l ->
                          if j <> r then
                              acc.Add(1.0, l.Mean, l.Variance))

                      let state = GaussianState(1, d)
                      acc.WriteTo state
                      let direct = DistanceSums.Of(state.Position(reference.Multiplicity), reference)
                      let kl = leftOut[r].Kl
                      Expect.isTrue (relClose kl direct.Kl) $"KL without replicate {r}: {kl} vs {direct.Kl}"
                      Expect.isTrue (relClose leftOut[r].W2Squared direct.W2Squared) $"W2² without replicate {r}"
          }

          // The reference uses 8192 replicates of an independent seed; both estimates carry their SE, so the check
          // |K̂₂₅₆ − K̂₈₁₉₂| ≤ 5·√(SE₂₅₆² + SE₈₁₉₂²) fails with probability 5.7e-7 when the SEs are right (normal
          // approximation). At the default seed K̂₂₅₆ = 5.1e-7 sits far below the reference: only an SE that accounts for
          // the plug-in's quadratic term (the 2b² of the jackknife) covers it.
          test "PLMC-DDPM's Monte Carlo lower bounds carry a positive SE that covers 8192 replicates" {
              let small = Runner.exactPoint (plmc 256 1UL) 1 40
              let large = Runner.exactPoint (plmc 8192 2UL) 1 40
              Expect.isFalse small.Result.MomentsExact "moments from replicates"

              for metric in [ KlLower; W2Lower ] do
                  let f, reference = figure metric small.Result, figure metric large.Result
                  Expect.equal f.Bound ExactCurves.LowerBound "a lower bound"
                  Expect.equal f.Evaluation (ExactCurves.MonteCarlo 256) "Monte Carlo over 256 replicates"
                  let se = f.Estimate.StdError
                  Expect.isTrue (Double.IsFinite se && se > 0.0) $"{metric}: finite positive SE, got {se}"

                  Expect.isTrue
                      (f.Estimate.Lower <= f.Estimate.Value && f.Estimate.Value <= f.Estimate.Upper)
                      "interval"

                  let combined = sqrt (se * se + reference.Estimate.StdError ** 2.0)

                  Expect.isTrue
                      (within z5 combined f.Estimate.Value reference.Estimate.Value)
                      $"{metric}: {f.Estimate.Value} ± {se} vs {reference.Estimate.Value} ± {reference.Estimate.StdError}"
          }

          test "a lower bound by quadrature is exact: no SE, no interval" {
              let r = (Runner.exactPoint (rlmc 0.1 100) 4 100).Result
              Expect.isNull r.LowerError "no jackknife"
              let f = figure KlLower r
              Expect.equal f.Evaluation ExactCurves.QuadratureOrEnumeration "quadrature"
              Expect.isTrue (Format.isExact f.Estimate) "exact estimate"
              Expect.isTrue (Double.IsNaN f.Estimate.StdError) "no SE"
          }

          test "a lower bound above its upper bound is an error naming sampler, steps and both figures" {
              let e = Expect.throwsC (fun () -> Runner.run (rlmc 3.0 100) 4 |> ignore) id

              match e with
              | :? BoundsContradictionException as b ->
                  Expect.equal (b.Sampler, b.Steps, b.Quantity) ("RLMC", 100L, "KL") "sampler, steps, quantity"
                  Expect.isGreaterThan b.Lower b.Upper "lower above upper"
                  Expect.stringContains b.Message "sampler 'RLMC' after 100 steps" "names sampler and steps"
                  Expect.stringContains b.Message $"{b.Lower:G4}" "names the lower figure"
                  Expect.stringContains b.Message $"{b.Upper:G4}" "names the upper figure"
              | other -> failtest $"expected BoundsContradictionException, got {other.GetType().Name}: {other.Message}"
          }

          test "the TV separation bound is held against the TV upper bound" {
              // RLMC at d = 4 on N(0, I): a real mixture whose separating-event bound the runner computes for TV.
              let spec = { rlmc 0.1 100 with Metric = TvLower }
              let r = (Runner.exactPoint spec 4 100).Result
              let s = nonNull r.Separation
              let f = figure TvLower r
              Expect.equal f.Evaluation (ExactCurves.MonteCarlo s.Draws) "Monte Carlo over the draws it averaged"
              Expect.isLessThanOrEqual s.Lower.Value (r.Upper.TvUpper.Value + 5.0 * s.StandardError) "below E_draws TV"
              // The same result with a bound forged above the upper one must fail the check, naming TV.
              let forged =
                  ExactResult(
                      r.Sampler,
                      r.Steps,
                      r.Randomized,
                      r.Upper,
                      r.MomentMatched,
                      r.MomentsExact,
                      r.Law,
                      r.Evaluations,
                      r.Rounds,
                      LowerError = r.LowerError,
                      Separation = MixtureSeparation.Estimate(r.Upper.TvUpper.Value + 0.5, 1e-3, 0.0, s.Draws, false)
                  )

              let e = Expect.throwsC (fun () -> forged.CheckBounds()) id

              match e with
              | :? BoundsContradictionException as b -> Expect.equal b.Quantity "TV" "the TV pair"
              | other -> failtest $"expected BoundsContradictionException, got {other.GetType().Name}"
          }

          test "a contradiction is judged on z = 5 combined standard errors; NaN is one" {
              let check lower upper =
                  BoundsContradictionException.Check("S", 1L, "KL", lower, upper)

              check (McEstimate(1.0 + 4.99, 0.6)) (McEstimate(1.0, 0.8))

              let fails lower upper message =
                  Expect.throwsT<BoundsContradictionException> (fun () -> check lower upper) message

              fails (McEstimate(1.0 + 5.01, 0.6)) (McEstimate(1.0, 0.8)) "5.01 SE above"
              fails (McEstimate(nan, 0.0)) (McEstimate(1.0, 0.1)) "NaN"
          }

          test "an overflowing moment law is the sampler's divergence" {
              let e =
                  Expect.throwsC (fun () -> Runner.exactPoint (rlmc 3.0 400) 4 400 |> ignore) id

              match e with
              | :? SamplerDivergedException as s ->
                  Expect.equal s.Chain ExactAnalysis.MomentLawChain "the moment law, not a chain"
                  Expect.isLessThan s.StepIndex 400L "a step of the run"
              | other -> failtest $"expected SamplerDivergedException, got {other.GetType().Name}: {other.Message}"
          }

          test "curves say what their figures are and how NFE was counted" {
              let randomized = Runner.run (plmc 256 1UL) 1

              Expect.stringContains
                  randomized.Method
                  "kl_lower is a lower bound (Monte Carlo over 256 replicates"
                  "label"

              Expect.stringContains randomized.Method "NFE is the mean over 256 chains" "NFE label"

              let exact =
                  Runner.run
                      { rlmc 0.1 100 with
                          Sampler = comp "ula" [ "h", 0.1 ]
                          Metric = ExactKl }
                      4

              Expect.stringContains exact.Method "exact_kl is the exact value (closed form" "label"
              Expect.stringContains exact.Method "NFE is the count of one chain" "NFE label"
          }

          test "an exact value prints alone, an estimate with its SE and interval" {
              Expect.equal (Format.estimate (ExactCurves.exactEstimate 0.25)) "0.25" "exact"
              let e = ExactCurves.mcEstimate (McEstimate(0.25, 0.01))
              Expect.equal (Format.estimate e) $"0.25 ± 0.01 [{Format.num e.Lower}, {Format.num e.Upper}]" "estimate"
          } ]
