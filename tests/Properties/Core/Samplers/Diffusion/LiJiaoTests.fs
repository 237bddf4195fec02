module RateLab.Properties.Core.Samplers.Diffusion.LiJiaoTests

open Expecto
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Randomness
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Samplers.Diffusion.References
open RateLab.Properties
open RateLab.Properties.Generators
open RateLab.Properties.Core.Samplers.Diffusion.Fixtures

let private cfg =
    { config with
        arbitrary = typeof<MidpointArbs> :: config.arbitrary
        maxTest = 25 }

let private data = GaussianNoisedScore([| 0.3; -0.2; 0.1 |], [| 0.5; 1.0; 2.0 |])

[<Tests>]
let tests =
    testList
        "Core.Samplers.Diffusion.LiJiao"
        [ testPropertyWithConfig cfg "sequential: exactly 2T score calls in K rounds of N"
          <| fun (c: ScheduleCase) (Seed seed) ->
              let k = LiJiao(3, LiJiaoSchedule(c.T, c.K, c.C0, c.C1))
              let _, oracle = run k data (PhiloxNoise seed) 3 k.Steps

              [ 0L .. 2L ]
              |> List.forall (fun ch -> oracle.Evaluations ch = int64 (2 * c.T) && oracle.Rounds ch = int64 (2 * c.T))

          testPropertyWithConfig
              { cfg with maxTest = 12 }
              "parallel with M = N sweeps reproduces the sequential output to 1e-10"
          <| fun (c: ScheduleCase) (Seed seed) ->
              let s = LiJiaoSchedule(c.T, c.K, c.C0, c.C1)
              let seq, _ = run (LiJiao(3, s)) data (PhiloxNoise seed) 1 c.K
              let par, _ = run (LiJiaoParallel(3, s, s.N)) data (PhiloxNoise seed) 1 c.K

              Array.forall2
                  (fun (a: float) b -> abs (a - b) <= 1e-10 * (1.0 + abs a))
                  (seq.Positions())
                  (par.Positions())

          testPropertyWithConfig cfg "parallel: depth M*K rounds, width N, M*N*K evaluations"
          <| fun (c: ScheduleCase) (Seed seed) ->
              let m = 1 + int (seed % 4UL)
              let k = LiJiaoParallel(3, LiJiaoSchedule(c.T, c.K, c.C0, c.C1), m)
              let _, oracle = run k data (PhiloxNoise seed) 2 k.Steps

              k.Depth = int64 (m * c.K)
              && k.Width = 2 * c.T / c.K
              && oracle.Rounds 1L = k.Depth
              && oracle.Evaluations 1L = int64 (m * 2 * c.T)

          test "few Picard sweeps differ from the sequential output (the equivalence test can fail)" {
              let s = LiJiaoSchedule(64, 2, 2.0, 6.0)
              let seq, _ = run (LiJiao(3, s)) data (PhiloxNoise 5UL) 2 2
              let par, _ = run (LiJiaoParallel(3, s, 2)) data (PhiloxNoise 5UL) 2 2

              let gap =
                  Array.map2 (fun (a: float) b -> abs (a - b)) (seq.Positions()) (par.Positions())
                  |> Array.max

              Expect.isGreaterThan gap 1e-6 "two sweeps of a 64-point round are not converged"
          }

          test "randomized levels beat the upper-endpoint variant in strong error at the same T (paired)" {
              // Same seed: same start, same injections, so the per-chain difference of squared errors is a paired sample.
              // One-sided 5-SE test: false-failure probability ≤ 2.9e-7 when the means are equal.
              let flow = GaussianReferenceFlow.For data

              let measure levels =
                  CoupledReference.Measure(LiJiao(3, LiJiaoSchedule(64, 4, 2.0, 6.0, levels)), data, flow, 11UL, 400, 1)

              let r, e = measure LiJiaoLevels.Randomized, measure LiJiaoLevels.UpperEndpoint
              let diff = Array.map2 (-) e.SquaredErrors r.SquaredErrors
              let m, se = Stats.meanAndSe diff
              Expect.isGreaterThan m (Stats.z5 * se) $"upper-endpoint minus randomized MSE = {m} (SE {se})"
          }

          test "the last injection is applied: shifting the last round's Z by 1 moves the output by its sd" {
              // The output is affine in Z_{K−1}: Y = a·Y_{K−1,N} + b·Z_{K−1}, so a unit shift moves it by b exactly.
              let s = LiJiaoSchedule(8, 2, 1.0, 2.0)
              let k = LiJiao(1, s)
              // Data of the kernel's dimension: the lockstep block step scores rows of exactly d.
              let data = GaussianNoisedScore([| 0.3 |], [| 0.5 |])
              let a, _ = run k data (PhiloxNoise 1UL) 1 k.Steps

              let shiftedLast =
                  { new INoiseSource with
                      member _.Normals(ch, st, role, dst) =
                          CounterRng.Normals(1UL, ch, st, role, dst)

                          if st = 1L then
                              for i in 0 .. dst.Length - 1 do
                                  dst.[i] <- dst.[i] + 1.0

                      member _.Uniform(ch, st, i) = CounterRng.Uniform(1UL, ch, st, i)
                      member _.BrownianIncrements(_, _, _, _, _) = failwith "unused" }

              let b, _ = run k data shiftedLast 1 k.Steps
              let u = System.ReadOnlySpan(b.State(0).Slice(1).ToArray())

              let sd =
                  NoiseTransitions.Forward(s.RoundLevel(u, 1, s.N), s.RoundLevel(u, 2, 0)).NoiseSd

              Expect.floatClose Accuracy.high (b.Positions().[0] - a.Positions().[0]) sd "output moves by b"
          } ]
