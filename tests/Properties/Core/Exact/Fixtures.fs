/// What the exact-analysis tests share: diagonal Gaussian problems for the exact engine and their generator.
module RateLab.Properties.Core.Exact.Fixtures

open System
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Properties.Generators

/// A diagonal Gaussian problem: target N(μ, diag λ), start N(m₀, diag s₀²), step h = fraction·min λ, n steps.
type Problem =
    { Mean: float[]
      Variances: float[]
      StartMean: float[]
      StartSd: float[]
      StepFraction: float
      Steps: int
      Seed: uint64 }

    member p.H = p.StepFraction * Array.min p.Variances
    member p.Start = StartLaw(p.StartMean, p.StartSd)

    member p.Reduction =
        GaussianReduction.Diagonal(ReadOnlySpan p.Mean, ReadOnlySpan p.Variances, p.Start)

type PropagationArbs =
    static member Problem() : Arbitrary<Problem> =
        gen {
            let! d = Gen.choose (1, 6)
            let! mean, variances = diagonalGaussian d (-2.0, 2.0) (0.2, 5.0)
            let! startMean, startSd = diagonalGaussian d (-3.0, 3.0) (0.0, 2.0)
            let! fraction = uniformOn 0.05 0.9
            let! steps = Gen.choose (1, 30)
            let! seed = ArbMap.defaults |> ArbMap.generate<uint64>

            return
                { Mean = mean
                  Variances = variances
                  StartMean = startMean
                  StartSd = startSd
                  StepFraction = fraction
                  Steps = steps
                  Seed = seed }
        }
        |> Arb.fromGen
