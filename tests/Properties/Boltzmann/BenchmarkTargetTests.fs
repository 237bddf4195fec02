module RateLab.Properties.Boltzmann.BenchmarkTargetTests

open System
open Expecto
open RateLab.Core.Randomness
open RateLab.Core.Targets.Benchmarks
open RateLab.Boltzmann
open RateLab.Properties.Generators
open RateLab.Properties.Stats

let private draws (target: RateLab.Core.Targets.IExactSampler) d n seed =
    let noise = PhiloxNoise(seed)

    Array.init n (fun k ->
        let x = Array.zeroCreate d
        target.SampleExact(noise, int64 k, 0L, Span x)
        x)

let private fdScoreMatches (target: RateLab.Core.Targets.ITarget) (x: float[]) =
    let d = x.Length
    let g = Array.zeroCreate d
    target.Score(ReadOnlySpan x, Span g)

    [ for i in 0 .. d - 1 ->
          let e = 1e-5
          let xp = Array.copy x
          let xm = Array.copy x
          xp.[i] <- xp.[i] + e
          xm.[i] <- xm.[i] - e

          let fd =
              (target.LogDensity(ReadOnlySpan xp) - target.LogDensity(ReadOnlySpan xm))
              / (2.0 * e)
          // Central difference: truncation e²|f'''|/6 ≈ 1e-9 and round-off 2u|f|/e ≈ 1e-10 (1 + |f|) for these scales.
          abs (fd - g.[i])
          <= 1e-6 * (1.0 + abs g.[i] + abs (target.LogDensity(ReadOnlySpan x))) ]
    |> List.forall id

[<Tests>]
let tests =
    testList
        "Boltzmann.Targets"
        [ test "Many-well Z₁ agrees with an independent quadrature rule and the authors' printed value; log Z of d = 32" {
              // 400-point Gauss–Legendre on [−8, 8] (the integrand is below e^{−3700} beyond): a rule independent of the
              // adaptive Simpson the target uses; each is accurate to about 1e-13 relative, so they agree to 1e-11.
              let z1 =
                  MathNet.Numerics.Integration.GaussLegendreRule.Integrate(
                      (fun x -> exp (-(x ** 4.0) + 6.0 * x * x + 0.5 * x)),
                      -8.0,
                      8.0,
                      400
                  )

              Expect.floatClose { absolute = 0.0; relative = 1e-11 } ManyWell.Z1 z1 "Z₁ against Gauss–Legendre"
              // The authors' many_well energy prints Z₁ = 11784.50927, rounded to 5 decimals: within 5e-6.
              Expect.isLessThanOrEqual (abs (ManyWell.Z1 - 11784.50927)) 5e-6 "Z₁ against the authors' printed value"
              // 16 double-well coordinates, each with Z₁, and 16 standard normal ones, each with √(2π).
              let logZ = 16.0 * (log z1 + 0.5 * log (2.0 * Math.PI))
              Expect.floatClose { absolute = 0.0; relative = 1e-12 } (ManyWell(32).LogNormaliser) logZ "log Z"
          }
          test "Many-well rejection envelope 3 Z1 q dominates the double well" {
              let q y =
                  0.2 * exp (-2.0 * (y + 1.7) ** 2.0) / (0.5 * sqrt (2.0 * Math.PI))
                  + 0.8 * exp (-2.0 * (y - 1.7) ** 2.0) / (0.5 * sqrt (2.0 * Math.PI))

              for k in 0..16000 do
                  let y = -8.0 + 16.0 * float k / 16000.0
                  Expect.isLessThanOrEqual (ManyWell.DoubleWell y) (3.0 * ManyWell.Z1 * q y) $"envelope at {y}"
          }
          test "Funnel in d = 2 integrates to 1 (nested quadrature)" {
              let f = Funnel(2)

              let inner x0 =
                  let w = 14.0 * exp (0.5 * x0)
                  AdaptiveSimpson.Integrate((fun x1 -> exp (f.LogDensity(ReadOnlySpan [| x0; x1 |]))), -w, w, 1e-11)

              let z = AdaptiveSimpson.Integrate(Func<float, float> inner, -33.0, 33.0, 1e-10)
              Expect.floatClose { absolute = 1e-8; relative = 0.0 } z 1.0 "Z"
          }
          test "Funnel exact sampler moments (5 SE each; false-failure ≤ 3 × 5.7e-7)" {
              let xs = draws (Funnel(10)) 10 20000 11UL
              let x0 = xs |> Array.map (fun x -> x.[0])
              let m, se = meanAndSe x0
              Expect.isTrue (within z5 se m 0.0) $"E x0 = {m} ± {se}"
              let v, vse = varianceAndSe x0
              Expect.isTrue (within z5 vse v 9.0) $"Var x0 = {v} ± {vse}"
              // xᵢ² e^{−x₀} = zᵢ² has mean 1 and finite variance, unlike the heavy-tailed xᵢ².
              let zs = xs |> Array.map (fun x -> x.[3] * x.[3] * exp (-x.[0]))
              let mz, sez = meanAndSe zs
              Expect.isTrue (within z5 sez mz 1.0) $"E z² = {mz} ± {sez}"
          }
          test "Many-well exact sampler moments (5 SE each; false-failure ≤ 3 × 5.7e-7)" {
              let xs = draws (ManyWell(4)) 4 20000 12UL

              let meanEven =
                  AdaptiveSimpson.Integrate((fun x -> x * ManyWell.DoubleWell x), -8.0, 8.0, 1e-9)
                  / ManyWell.Z1

              let secondEven =
                  AdaptiveSimpson.Integrate((fun x -> x * x * ManyWell.DoubleWell x), -8.0, 8.0, 1e-9)
                  / ManyWell.Z1

              let m, se = meanAndSe (xs |> Array.map (fun x -> x.[2]))
              Expect.isTrue (within z5 se m meanEven) $"E x2 = {m} ± {se} vs {meanEven}"
              let m2, se2 = meanAndSe (xs |> Array.map (fun x -> x.[2] * x.[2]))
              Expect.isTrue (within z5 se2 m2 secondEven) $"E x2² = {m2} ± {se2} vs {secondEven}"
              let v, vse = varianceAndSe (xs |> Array.map (fun x -> x.[1]))
              Expect.isTrue (within z5 vse v 1.0) $"Var x1 = {v} ± {vse}"
          }
          testPropertyWithConfig config "Funnel and Many-well scores match central differences"
          <| fun (Seed s) ->
              let rng = Random(int (s % 100000UL))
              let x10 = Array.init 10 (fun _ -> rng.NextDouble() * 4.0 - 2.0)
              let x8 = Array.init 8 (fun _ -> rng.NextDouble() * 4.0 - 2.0)
              fdScoreMatches (Funnel(10)) x10 && fdScoreMatches (ManyWell(8)) x8
          test "invalid benchmark settings are rejected" {
              Expect.throwsT<ArgumentOutOfRangeException> (fun () -> ManyWell(5) |> ignore) "odd d"
              Expect.throwsT<ArgumentOutOfRangeException> (fun () -> Funnel(1) |> ignore) "d = 1"
              Expect.throwsT<ArgumentOutOfRangeException> (fun () -> Funnel(10, 0.0) |> ignore) "scale 0"
          } ]
