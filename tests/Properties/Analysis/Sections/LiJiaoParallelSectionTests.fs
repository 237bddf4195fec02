/// B4's regime study: its grids only name configurations Li–Jiao's schedule admits, and the full grid resolves the
/// depth finely enough to decide the claim (steps of N* no coarser than a factor 1.2).
module RateLab.Properties.Analysis.Sections.LiJiaoParallelSectionTests

open Expecto
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Sections.LiJiaoParallelSection
open RateLab.Core.Samplers.Diffusion

[<Tests>]
let tests =
    testList
        "Analysis.Sections.LiJiaoParallelSection"
        [ for profile in [ Quick; Full ] do
              test $"every (T, K) of the {profile} grid builds a Li–Jiao schedule with the catalog's constants" {
                  for t, k in configurations (gridOf profile) do
                      let schedule = LiJiaoSchedule(t, k, 2.0, 4.0)
                      Expect.equal (schedule.K * schedule.N) (2 * t) $"T = {t}, K = {k}: K rounds of N points"
                      Expect.equal (schedule.N % 2) 0 $"T = {t}, K = {k}: N even"
              }

          // Why the full grid mixes 3·2^j with powers of 2: consecutive attainable depths K·M must be close, or N*(ε)
          // becomes a staircase whose steps alone widen the fitted exponent's interval past the claim's margin.
          test
              "the full grid's attainable depths up to 192 rounds step by at most a factor 1.2 (powers of 2 alone step by 1.5)" {
              let g = gridOf Full

              let depths =
                  [ for _, k in configurations g do
                        for m in g.Sweeps -> k * m ]
                  |> List.distinct
                  |> List.filter (fun d -> d >= 32 && d <= 192)
                  |> List.sort

              for a, b in List.pairwise depths do
                  Expect.isLessThanOrEqual (float b / float a) 1.2 $"depths {a} and {b}"
          } ]
