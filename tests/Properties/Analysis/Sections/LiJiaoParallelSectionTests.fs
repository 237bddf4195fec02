/// B4's regime study: its grids only name configurations Li–Jiao's schedule admits, and both grids resolve the depth
/// finely enough to decide the claim (steps of N* no coarser than a factor 1.2 in full, 4/3 in quick).
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

          // Why both grids mix 3·2^j with powers of 2: consecutive attainable depths K·M must be close, or N*(ε)
          // becomes a staircase whose steps alone widen the fitted exponent's interval past the claim's margin.
          for profile, widest in [ Full, 1.2; Quick, 4.0 / 3.0 ] do
              test $"the {profile} grid's attainable depths from 32 to 192 rounds step by at most a factor {widest:g3}" {
                  let g = gridOf profile

                  let depths =
                      [ for _, k in configurations g do
                            for m in g.Sweeps -> k * m ]
                      |> List.distinct
                      |> List.filter (fun d -> d >= 32 && d <= 192)
                      |> List.sort

                  Expect.isGreaterThanOrEqual depths.Length 2 "depths in range"

                  for a, b in List.pairwise depths do
                      Expect.isLessThanOrEqual (float b / float a) (widest + 1e-12) $"depths {a} and {b}"
              } ]
