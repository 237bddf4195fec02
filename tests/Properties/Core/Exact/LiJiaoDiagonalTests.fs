module RateLab.Properties.Core.Exact.LiJiaoDiagonalTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Randomness
open RateLab.Core.Samplers.Diffusion
open RateLab.Properties.Generators

/// A small Li–Jiao problem: schedule (T, K, c₀, c₁) and diagonal Gaussian data with distinct variances.
type DiagonalCase =
    { T: int
      K: int
      C0: float
      C1: float
      Mean: float[]
      Variances: float[]
      Replicate: int64 }

let private diagonalCase =
    gen {
        let! s = liJiaoSchedule 48
        let! d = Gen.choose (1, 11)
        let! mean, variances = diagonalGaussianOn hundredths d (-300, 300) (1, 500)
        let! r = Gen.choose (0, 1000)

        return
            { T = s.T
              K = s.K
              C0 = s.C0
              C1 = s.C1
              Mean = mean
              Variances = variances
              Replicate = int64 r }
    }

type DiagonalArbs =
    static member Case() : Arbitrary<DiagonalCase> = Arb.fromGen diagonalCase

let private cfg =
    { config with
        arbitrary = typeof<DiagonalArbs> :: config.arbitrary }

/// The generic probe engine's law for the same kernel, data and draw.
let private probed (schedule: LiJiaoSchedule) (data: GaussianNoisedScore) (seed: uint64) (replicate: int64) =
    let d = data.Dimension
    let kernel = LiJiao(d, schedule)
    let centred = GaussianNoisedScore(Array.zeroCreate d, data.DataVariances.ToArray())
    let propagator = AffinePropagator(kernel, data, centred, ProbeNoise())
    let law = GaussianState(1, d)
    ExactAnalysis.PropagateDraw(propagator, PhiloxNoise seed, replicate, int64 schedule.K, law)
    law.Mean, law.Covariance

// Relative agreement on the coordinate's own scale: |a − b| ≤ tol·max(|a|, |b|, sd) (a mean near 0 has no digits of its own).
let private close tol (scale: float) (a: float) (b: float) =
    abs (a - b) <= tol * (Seq.max [ abs a; abs b; scale ])

[<Tests>]
let tests =
    testList
        "Core.Exact"
        [ testList
              "LiJiaoDiagonal"
              [ testPropertyWithConfig cfg "agrees with the generic exact engine to 1e-10 relative"
                <| fun (c: DiagonalCase) (Seed seed) ->
                    let schedule = LiJiaoSchedule(c.T, c.K, c.C0, c.C1)
                    let data = GaussianNoisedScore(c.Mean, c.Variances)
                    let d = c.Mean.Length
                    let mean, variance = Array.zeroCreate d, Array.zeroCreate d
                    let u = LiJiaoDiagonal.Draw(schedule, data, PhiloxNoise seed, c.Replicate)
                    LiJiaoDiagonal.Propagate(schedule, data, ReadOnlySpan u, mean, variance)
                    let refMean, refVariance = probed schedule data seed c.Replicate

                    Array.forall
                        id
                        [| for i in 0 .. d - 1 ->
                               close 1e-10 (sqrt refVariance.[i]) mean.[i] refMean.[i]
                               && close 1e-10 0.0 variance.[i] refVariance.[i] |]

                test "blocks and threads do not change the result (d spans several blocks)" {
                    let d = 1500

                    let data =
                        GaussianNoisedScore(
                            Array.init d (fun i -> sin (float i)),
                            Array.init d (fun i -> 0.5 + float i / float d)
                        )

                    let schedule = LiJiaoSchedule(32, 4, 2.0, 4.0)
                    let u = LiJiaoDiagonal.Draw(schedule, data, PhiloxNoise 9UL, 3L)

                    let run threads =
                        let m, v = Array.zeroCreate d, Array.zeroCreate d
                        LiJiaoDiagonal.Propagate(schedule, data, ReadOnlySpan u, m, v, threads)
                        m, v

                    let m1, v1 = run 1
                    let m2, v2 = run 2
                    Expect.equal m2 m1 "means"
                    Expect.equal v2 v1 "variances"
                    // Coordinate 1400 (third block) against the engine on that coordinate alone.
                    let single =
                        GaussianNoisedScore([| data.DataMean.[1400] |], [| data.DataVariances.[1400] |])

                    let rm, rv = probed schedule single 9UL 3L

                    Expect.isTrue
                        (close 1e-10 (sqrt rv.[0]) m1.[1400] rm.[0] && close 1e-10 0.0 v1.[1400] rv.[0])
                        $"coordinate 1400: ({m1.[1400]}, {v1.[1400]}) vs ({rm.[0]}, {rv.[0]})"
                }

                test "rejects outputs of the wrong length, naming the parameter" {
                    let data = GaussianNoisedScore([| 0.0; 1.0 |], [| 1.0; 2.0 |])
                    let schedule = LiJiaoSchedule(8, 2, 2.0, 3.0)
                    let u = Array.create schedule.DrawCount 0.5

                    let ex =
                        Expect.throwsC
                            (fun () ->
                                LiJiaoDiagonal.Propagate(
                                    schedule,
                                    data,
                                    ReadOnlySpan u,
                                    Array.zeroCreate 3,
                                    Array.zeroCreate 2
                                ))
                            id

                    Expect.stringContains ex.Message "mean" "names the parameter"
                } ] ]
