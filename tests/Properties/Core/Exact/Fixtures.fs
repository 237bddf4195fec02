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

/// A finite Gaussian mixture p = Σₐ πₐ N(μₐ, diag Sₐ): its atoms (product laws sharing the multiplicities), their
/// probabilities, and its exact per-coordinate moment-matched law p_G (means Σ πμ, variances Σ π(S + μ²) − mean²).
type AtomMixture =
    { Atoms: DiagonalLaw[]
      Probabilities: float[]
      Matched: DiagonalLaw }

    /// χ²(p‖p_G) = Σₐ Σ_b πₐπ_b (I(a, b) − 1), exact over the finite atoms.
    member m.ChiSquare =
        Array.sum
            [| for a in 0 .. m.Atoms.Length - 1 do
                   for b in 0 .. m.Atoms.Length - 1 do
                       m.Probabilities.[a]
                       * m.Probabilities.[b]
                       * MixtureChiSquare.PairExcess(m.Atoms.[a], m.Atoms.[b], m.Matched) |]

    /// M independent draws ω ~ π, by inversion of uniforms from `rng`.
    member m.Draw (rng: Random) (count: int) =
        let cumulative = Array.scan (+) 0.0 m.Probabilities |> Array.tail

        Array.init count (fun _ ->
            let u = rng.NextDouble() * cumulative.[cumulative.Length - 1]
            m.Atoms.[cumulative |> Array.findIndex (fun c -> u < c)])

/// The mixture of `atoms` (mean, variance arrays) with probabilities `probabilities` and multiplicities `multiplicity`.
let atomMixture (probabilities: float[]) (atoms: (float[] * float[])[]) (multiplicity: float[]) =
    let total = Array.sum probabilities
    let pi = probabilities |> Array.map (fun p -> p / total)
    let d = multiplicity.Length

    let mean =
        Array.init d (fun c -> Array.fold2 (fun s p (m: float[], _) -> s + p * m.[c]) 0.0 pi atoms)

    let variance =
        Array.init d (fun c ->
            Array.fold2 (fun s p (m: float[], v: float[]) -> s + p * (v.[c] + (m.[c] - mean.[c]) ** 2.0)) 0.0 pi atoms)

    { Atoms = atoms |> Array.map (fun (m, v) -> DiagonalLaw(m, v, multiplicity))
      Probabilities = pi
      Matched = DiagonalLaw(mean, variance, multiplicity) }
