module RateLab.Properties.Core.Samplers.Diffusion.LiJiaoScheduleTests

open System
open Expecto
open RateLab.Core.Diffusion
open RateLab.Core.Samplers.Diffusion
open RateLab.Properties.Generators
open RateLab.Properties.Core.Samplers.Diffusion.Fixtures

let private cfg =
    { config with
        arbitrary = typeof<MidpointArbs> :: config.arbitrary }

let private schedule (c: ScheduleCase) = LiJiaoSchedule(c.T, c.K, c.C0, c.C1)

[<Tests>]
let tests =
    testList
        "Core.Samplers.Diffusion.LiJiaoSchedule"
        [ testPropertyWithConfig cfg "multiplicative beta-hat equals the additive form where both are accurate"
          <| fun (c: ScheduleCase) ->
              let s = schedule c
              let h = log (float c.T) / float c.T
              // The textbook additive recursion α̂_{t−1} = α̂_t + c₁ α̂_t (1 − α̂_t) h, run independently here.
              let mutable a = float c.T ** -c.C0
              let mutable ok = true

              for t in c.T + 1 .. -1 .. -(s.N / 2) do
                  let beta = s.BetaHat t
                  // 1 − α̂ keeps ≈ 1e-16/β̂ relative accuracy per operation: compare only where β̂ ≥ 1e-2.
                  if beta >= 1e-2 && abs (beta - (1.0 - a)) > 1e-12 then
                      ok <- false

                  if abs (s.AlphaHat t - a) > 1e-11 * a then
                      ok <- false

                  a <- a + c.C1 * a * (1.0 - a) * h

              ok

          testPropertyWithConfig cfg "drawn levels strictly decrease and each lies in its skeleton cell"
          <| fun (c: ScheduleCase) (Seed seed) ->
              let s = schedule c
              let u = draws s seed 3L

              let levels =
                  [| for t in c.T + 1 .. -1 .. 1 - s.N / 2 -> s.Level(ReadOnlySpan u, t) |]
              // ᾱ may round to 1 at the small end, so strictness is checked on τ and monotonicity on ᾱ.
              let decreasing =
                  levels
                  |> Array.pairwise
                  |> Array.forall (fun (a, b) -> b.Tau < a.Tau && b.AlphaBar >= a.AlphaBar)

              let inCells =
                  [ for k in 0 .. c.K - 1 do
                        for n in 0 .. s.N do
                            let l = s.RoundLevel(ReadOnlySpan u, k, n)
                            yield s.RoundSkeleton(k, n).Tau < l.Tau && l.Tau < s.RoundSkeleton(k, n - 1).Tau ]
                  |> List.forall id

              decreasing && inCells

          testPropertyWithConfig cfg "rounds overlap by half and reuse the same draws"
          <| fun (c: ScheduleCase) (Seed seed) ->
              let s = schedule c
              let u = ReadOnlySpan(draws s seed 0L)
              let mutable ok = s.RoundLevel(u, c.K, 0) = s.RoundLevel(u, c.K - 1, s.N / 2)

              for k in 0 .. c.K - 2 do
                  for n in 0 .. s.N / 2 do
                      if s.RoundLevel(u, k + 1, n) <> s.RoundLevel(u, k, n + s.N / 2) then
                          ok <- false

              ok

          testPropertyWithConfig cfg "partial pieces and cells add up to the level gaps"
          <| fun (c: ScheduleCase) (Seed seed) ->
              let s = schedule c
              let u = ReadOnlySpan(draws s seed 1L)
              let k = c.K - 1
              // Reference gaps from the accurate member of each level, compared on the scale of the enclosing cell.
              let gap (a: NoiseLevel) (b: NoiseLevel) = NoiseLevel.Gap(a, b)
              let close value reference (cell: float) = abs (value - reference) <= 1e-12 * cell
              let topCell = gap (s.RoundSkeleton(k, 0)) (s.RoundSkeleton(k, -1))

              let top =
                  close (s.TopPiece(u, k)) (gap (s.RoundSkeleton(k, 0)) (s.RoundLevel(u, k, 0))) topCell

              let cell1 = gap (s.RoundSkeleton(k, 1)) (s.RoundSkeleton(k, 0))
              let cell = close (s.Cell(k, 1)) cell1 cell1
              let bottomCell = gap (s.RoundSkeleton(k, s.N)) (s.RoundSkeleton(k, s.N - 1))

              let bottom =
                  close
                      (s.BottomPiece(u, k, s.N))
                      (gap (s.RoundLevel(u, k, s.N)) (s.RoundSkeleton(k, s.N - 1)))
                      bottomCell

              top && cell && bottom

          testPropertyWithConfig cfg "start is nearly pure noise: 1 − tau(0,0) <= 2 T^-c0"
          <| fun (c: ScheduleCase) (Seed seed) ->
              let s = schedule c

              s.RoundLevel(ReadOnlySpan(draws s seed 2L), 0, 0).AlphaBar
              <= 2.0 * float c.T ** -c.C0

          testPropertyWithConfig cfg "end level tau(K,0) <= T^-c0 when c1 >= 2 c0"
          <| fun (c: ScheduleCase) (Seed seed) ->
              let cap = min (float c.T / log (float c.T)) (c.C0 + 10.0)
              let c1 = 2.0 * c.C0 + (c.C1 - c.C0) / (cap - c.C0) * (cap - 2.0 * c.C0)

              (2.0 * c.C0 >= cap)
              || (let s = LiJiaoSchedule(c.T, c.K, c.C0, c1)
                  s.RoundLevel(ReadOnlySpan(draws s seed 2L), c.K, 0).Tau <= float c.T ** -c.C0)

          test "end level tau(K,0) <= T^-c0 is NOT implied by c1 > c0 > 0 (docs' fact needs c1/c0 large)" {
              // T = 100, c0 = 2, c1 = 3: the log-SNR picture gives δ ≈ T^{−(c1−c0)} = 1e-2 ≫ T^{−c0} = 1e-4.
              let s = LiJiaoSchedule(100, 4, 2.0, 3.0)
              Expect.isGreaterThan (s.BetaHat 0) 1e-4 "lower edge of the last cell exceeds T^-c0"
          }

          testPropertyWithConfig cfg "upper-endpoint variant evaluates at beta-hat_t"
          <| fun (c: ScheduleCase) (Seed seed) ->
              let s = LiJiaoSchedule(c.T, c.K, c.C0, c.C1, LiJiaoLevels.UpperEndpoint)
              let u = draws s seed 0L

              Array.forall ((=) 1.0) u
              && [ c.T + 1 .. -1 .. 1 - s.N / 2 ]
                 |> List.forall (fun t ->
                     let l = s.Level(ReadOnlySpan u, t)

                     abs (l.Tau - s.BetaHat t) <= 1e-14 * s.BetaHat t
                     && abs (l.AlphaBar - s.AlphaHat t) <= 1e-15) ]
