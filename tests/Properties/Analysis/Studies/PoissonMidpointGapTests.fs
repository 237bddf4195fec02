/// The two-sided A9/S5 study: the upper bounds (synchronous coupling, KL(p_G ‖ q) + χ², Talagrand) against the lower
/// ones, the coupling's exact joint second moments against a Monte Carlo run of the coupled kernel, its degenerate cases
/// (K = 1 exactly; K = 2 in closed form), the two-sided verdict rule, and the section's S5/S5' verdicts through the
/// engine.
module RateLab.Properties.Analysis.Studies.PoissonMidpointGapTests

open System
open Expecto
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Core.Targets
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Claims
open RateLab.Analysis.Studies
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Sections
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Properties

let private problem name (start: StartLaw) : PoissonMidpointStudy.GapProblem =
    { Name = name
      Mean = [| 0.0 |]
      Variance = [| 1.0 |]
      Start = start }

let private estimate lo hi : Estimate =
    { Value = (lo + hi) / 2.0
      Lower = lo
      Upper = hi
      StdError = nan
      Level = 0.95 }

/// Runs `chains` chains of the coupled kernel with Philox noise; the whole state (both chains) per chain.
let private run seed (kernel: ISamplerKernel) (field: IScoreField) chains (steps: int64) =
    let oracle = ScoreOracle(field, chains)
    let batch = ChainBatch(chains, kernel.StateLength, kernel.Dimension)
    SamplerRunner.Run(kernel, PhiloxNoise(seed), oracle, batch, steps)
    batch, oracle

/// Fails unless |estimate − expected| ≤ 5 SE (false-failure probability 5.7e-7 per call under the null).
let private expectWithin5Se what (estimate: float, se: float) (expected: float) =
    Expect.isTrue
        (Stats.within Stats.z5 se estimate expected)
        $"{what}: estimate {estimate} ± {se} (SE) differs from {expected} by more than 5 SE"

let private direct: ReportContext =
    { Profile = Quick
      Run = fun spec -> spec.Dimensions |> List.map (Runner.run spec)
      Cached = fun _ compute -> compute ()
      SectionDone = ignore
      Checkpoints = RateLab.Analysis.Report.Context.defaultCheckpoints }

[<Tests>]
let tests =
    testList
        "Analysis.Studies.PoissonMidpointGap"
        [ test "the coupling upper bound is at least the Gelbrich lower bound at every α of the grid, on every problem" {
              for p in PoissonMidpointStudy.gapProblems () do
                  for n in [ 8; 16; 32; 64; 128; 256 ] do
                      let g =
                          PoissonMidpointStudy.gapPoint PoissonMidpointStudy.Overdamped p 8 2.0 2 64 20261123UL n

                      Expect.isTrue g.MomentsExact $"{p.Name}, n = {n}: moments enumerated"
                      let coupling = Option.get g.W2Coupling

                      Expect.isGreaterThanOrEqual
                          coupling
                          g.W2Lower
                          $"{p.Name}, n = {n}: coupling {coupling} ≥ Gelbrich {g.W2Lower}"

                      Expect.isGreaterThanOrEqual
                          g.W2Talagrand.Value
                          g.W2Lower
                          $"{p.Name}, n = {n}: Talagrand {g.W2Talagrand.Value} ≥ Gelbrich {g.W2Lower}"

                      Expect.isGreaterThanOrEqual
                          g.KlBound.Value
                          g.KlLower
                          $"{p.Name}, n = {n}: KL(p_G ‖ q) + χ² {g.KlBound.Value} ≥ KL(p_G ‖ q) {g.KlLower}"
          }

          test "the exact coupled second moments agree with a Monte Carlo run of the coupled kernel (5 SE each)" {
              // 40 000 chains of the real kernel on Philox noise, seed fixed; each comparison fails falsely with
              // probability 5.7e-7 under a normal approximation (4 comparisons: below 2.3e-6 in all).
              let alpha, k, steps, chains = 0.4, 4, 5, 40000
              let start = StartLaw([| 3.0 |], [| 0.5 |])

              let law, _, exact =
                  PoissonMidpointStudy.coupledLaw (problem "N(0, 1)" start) alpha k steps 7UL

              Expect.isTrue exact "moments enumerated"
              let kernel = CoupledPoissonMidpoint.Overdamped(1, alpha, k, start)

              let batch, _ =
                  run 991UL kernel (DiagonalGaussian([| 0.0 |], [| 1.0 |])) chains (int64 steps)

              let sample f =
                  let xs =
                      Array.init chains (fun c ->
                          let s = batch.State(c)
                          f s.[0] s.[1])

                  let m = Array.average xs

                  let se =
                      sqrt (
                          (xs |> Array.sumBy (fun x -> (x - m) * (x - m)))
                          / float (chains - 1)
                          / float chains
                      )

                  m, se

              let mx, my = law.Mean.[0], law.Mean.[1]
              let c00, c01, c11 = law.Covariance.[0], law.Covariance.[1], law.Covariance.[2]
              expectWithin5Se "E x_PLMC" (sample (fun x _ -> x)) mx
              expectWithin5Se "E x_PLMC²" (sample (fun x _ -> x * x)) (c00 + mx * mx)
              expectWithin5Se "E x_PLMC x_LMC" (sample (fun x y -> x * y)) (c01 + mx * my)

              expectWithin5Se
                  "E |x_PLMC − x_LMC|²"
                  (sample (fun x y -> (x - y) * (x - y)))
                  (PoissonMidpointStudy.couplingSquare law [| 1.0 |])
          }

          test "K = 1: PLMC(α, 1) is LMC(α) to the bit, so the coupled chains coincide and the bounds vanish" {
              let p = problem "N(0, 1) from N(3, 0.5²)" (StartLaw([| 3.0 |], [| 0.5 |]))

              for n in [ 4; 16 ] do
                  let g =
                      PoissonMidpointStudy.gapPoint PoissonMidpointStudy.Overdamped p 1 2.0 2 3 1UL n

                  Expect.equal g.W2Coupling (Some 0.0) $"n = {n}: coupling (the same chain twice, bit for bit)"
                  // q is propagated by repeated squaring, PLMC step by step: equal laws up to rounding.
                  Expect.isLessThan g.W2Lower 1e-12 $"n = {n}: Gelbrich"
                  Expect.isLessThan g.KlLower 1e-20 $"n = {n}: KL lower"
                  Expect.isLessThan (abs g.ChiSquare.Value) 1e-20 $"n = {n}: one law, no non-Gaussian part"

              let kernel =
                  CoupledPoissonMidpoint.Overdamped(1, 0.3, 1, StartLaw([| 3.0 |], [| 0.5 |]))

              let batch, _ = run 5UL kernel (DiagonalGaussian([| 0.0 |], [| 1.0 |])) 64 20L

              for c in 0..63 do
                  let s = batch.State(c)
                  Expect.equal s.[0] s.[1] $"chain {c}: same state"
          }

          test "K = 2, one step from a point x₀ on N(0, 1): E|x_PLMC − x_LMC|² = α⁴x₀²/16 + α³/4 exactly" {
              // Either selection gives x_PLMC − x_LMC = ±(α²x₀/4 − α^(3/2) Z₀/2): the midpoint correction is K-amplified.
              for alpha, x0 in [ 0.5, 2.0; 0.1, -1.0; 0.25, 0.0 ] do
                  let law, w, _ =
                      PoissonMidpointStudy.coupledLaw (problem "N(0, 1)" (StartLaw.Point [| x0 |])) alpha 2 1 3UL

                  let expected = alpha ** 4.0 * x0 * x0 / 16.0 + alpha ** 3.0 / 4.0

                  Expect.floatClose
                      Accuracy.veryHigh
                      (PoissonMidpointStudy.couplingSquare law w)
                      expected
                      $"α = {alpha}, x₀ = {x0}"
          }

          test
              "the two-sided rule: tight inside the margin, violates and faster by their own side, a wide bracket undecided" {
              let j u l =
                  (Verdicts.judgeTwoSided "s" Verdicts.LargerIsFaster 2.0 0.2 u l).Verdict

              Expect.equal (j (estimate 1.95 2.05) (estimate 1.98 2.1)) ConsistentTight "tight"
              Expect.equal (j (estimate 0.9 1.1) (estimate 1.5 1.7)) ViolatesBound "the lower bound decays too slowly"
              Expect.equal (j (estimate 2.5 2.7) (estimate 2.6 2.9)) ConsistentFaster "the upper bound decays faster"
              Expect.equal (j (estimate 1.9 2.0) (estimate 2.1 2.5)) Consistent "consistent, not shown tight"
              Expect.equal (j (estimate 0.95 1.05) (estimate 1.95 2.05)) Inconclusive "the bracket [1, 2] straddles"
              Expect.equal (j (estimate 1.9 2.0) (estimate 1.0 1.5)) Inconclusive "contradicting bounds"
              // The cost sense mirrors it: a cost exponent 2 from bounds on both sides within the margin is tight.
              Expect.equal
                  (Verdicts.judgeTwoSided "s" Verdicts.SmallerIsFaster 2.0 0.2 (estimate 1.9 2.05) (estimate 1.95 2.1))
                      .Verdict
                  ConsistentTight
                  "cost sense"
          }

          test
              "the section judges S5 and S5' from both sides on every problem, and the engine's verdict follows the numbers" {
              let s = ClaimsSection.plmcGapSection direct
              Expect.equal s.ClaimIds [ "A9"; "S5"; "S5'" ] "claims"
              let problems = PoissonMidpointStudy.gapProblems ()
              let s5 = s.Evidence |> List.filter (fun j -> j.Subject.StartsWith "S5 order")
              let kl = s.Evidence |> List.filter (fun j -> j.Subject.StartsWith "S5' order")
              Expect.equal s5.Length problems.Length "one W2 row per problem"
              Expect.equal kl.Length problems.Length "one KL row per problem"

              for j in s5 @ kl do
                  Expect.isTrue j.Counted j.Subject
                  Expect.stringContains j.Reason "upper-bound evidence" j.Subject
                  Expect.stringContains j.Reason "lower-bound evidence" j.Subject

              // The numbers: Gelbrich and Talagrand decay at order 2, KL(p_G ‖ q) and KL(p_G ‖ q) + χ² at order 4 (the χ²
              // part is O(α⁶)), so each bracket lies inside its claim's margin: tight on every problem.
              for j in s5 @ kl do
                  Expect.equal j.Verdict ConsistentTight j.Reason

              // Every counted row (S5, S5′) is tight, so the section's verdict is.
              Expect.equal s.Verdict ConsistentTight s.Reason

              Expect.stringContains
                  s.Method
                  "| n | α | W2 lower (Gelbrich) | W2 upper (Talagrand, estimate) | W2 upper (coupling)"
                  "per-α table"
          }
          // Underdamped PLMC against ULMC(α/K) (S6, S6'): the same bounds on the position marginals.
          test "underdamped: every upper bound is at least the matching exact lower bound, on every problem" {
              for p in PoissonMidpointStudy.gapProblems () do
                  for n in [ 8; 32; 128 ] do
                      let g =
                          PoissonMidpointStudy.gapPoint
                              (PoissonMidpointStudy.Underdamped 2.0)
                              p
                              8
                              2.0
                              16
                              64
                              20261123UL
                              n

                      Expect.isTrue g.MomentsExact $"{p.Name}, n = {n}: moments enumerated"
                      Expect.isNone g.W2Coupling $"{p.Name}, n = {n}: no coupling for the underdamped base"

                      Expect.isGreaterThanOrEqual
                          g.W2Talagrand.Value
                          g.W2Lower
                          $"{p.Name}, n = {n}: Talagrand {g.W2Talagrand.Value} ≥ Gelbrich {g.W2Lower}"

                      Expect.isGreaterThanOrEqual
                          g.KlBound.Value
                          g.KlLower
                          $"{p.Name}, n = {n}: KL bound {g.KlBound.Value} ≥ KL(p_G ‖ q) {g.KlLower}"
          }

          test "underdamped, K = 1: PLMC(α, 1) is ULMC(α), so the exact gap vanishes" {
              let p = problem "N(0, 1) from N(3, 0.5²)" (StartLaw([| 3.0 |], [| 0.5 |]))

              for n in [ 4; 16 ] do
                  let g =
                      PoissonMidpointStudy.gapPoint (PoissonMidpointStudy.Underdamped 2.0) p 1 2.0 2 3 1UL n
                  // q is propagated by repeated squaring, PLMC step by step: equal laws up to rounding.
                  Expect.isLessThan g.W2Lower 1e-12 $"n = {n}: Gelbrich"
                  Expect.isLessThan g.KlLower 1e-20 $"n = {n}: KL lower"
          }

          // The exact lower bounds carry no Monte Carlo noise, so their order is checked against the registered claim
          // (S6: 3, S6': 6) within the claim's own margin (10 %), deterministically.
          test "underdamped: the exact lower bounds' local orders at the finest α are S6's 3 and S6''s 6" {
              let p = problem "N(0, 1) from the target" (StartLaw([| 0.0 |], [| 1.0 |]))

              let at n =
                  PoissonMidpointStudy.gapPoint (PoissonMidpointStudy.Underdamped 2.0) p 8 2.0 2 3 1UL n

              let coarse, fine = at 128, at 256
              let w2Order = log (coarse.W2Lower / fine.W2Lower) / log 2.0
              let klOrder = log (coarse.KlLower / fine.KlLower) / log 2.0
              Expect.floatClose { absolute = 0.3; relative = 0.0 } w2Order 3.0 $"W2 order {w2Order}"
              Expect.floatClose { absolute = 0.6; relative = 0.0 } klOrder 6.0 $"KL order {klOrder}"
          } ]
