module RateLab.Properties.Core.Diffusion.ScoreErrorTests

open System
open Expecto
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Targets
open RateLab.Properties
open RateLab.Properties.Generators
open RateLab.Properties.Probes

let private gaussian = GaussianNoisedScore([| 0.5; -1.0 |], [| 0.05; 2.0 |])

let private mixture =
    GaussianMixtureNoisedScore.Isotropic([| 1.0; 3.0 |], [| -2.0; 0.0; 1.5; 1.0 |], [| 0.2; 0.6 |])

/// n exact draws of p_τ for a mixture/Gaussian (component by uniform, then m_j + C_j^½ z; C_j diagonal here).
let private drawNoised (data: INoisedData) (variances: int -> float[]) tau n seed =
    let d = data.Dimension

    Array.init n (fun c ->
        let u = RateLab.Core.Randomness.CounterRng.Uniform(seed, int64 c, 0L, 0)
        let mutable j, acc = 0, data.Weight 0

        while u > acc && j < data.Components - 1 do
            j <- j + 1
            acc <- acc + data.Weight j

        let m = Array.zeroCreate d
        data.ComponentMean(j, tau, Span m)
        let z = Array.zeroCreate d
        RateLab.Core.Randomness.CounterRng.Normals(seed, int64 c, 0L, 1, Span z)
        let v = variances j
        Array.init d (fun i -> m.[i] + sqrt ((1.0 - tau) * v.[i] + tau) * z.[i]))

/// Squared error ‖s̃ − s‖² at each draw.
let private squaredErrors (exact: IScoreField) (perturbed: IScoreField) tau (xs: float[][]) =
    xs
    |> Array.map (fun x ->
        let a, b = Array.zeroCreate x.Length, Array.zeroCreate x.Length
        exact.Score(ReadOnlySpan x, tau, Span a)
        perturbed.Score(ReadOnlySpan x, tau, Span b)
        Array.fold2 (fun acc p q -> acc + (p - q) * (p - q)) 0.0 a b)

let private gaussianVariances _ = [| 0.05; 2.0 |]

let private mixtureVariances j =
    if j = 0 then [| 0.04; 0.04 |] else [| 0.36; 0.36 |]

/// MC check that E_{p_τ}‖s̃ − s‖² = ε² within 5 SE (false-failure probability 5.7e-7 per comparison).
let private realisedError name (data: INoisedData) variances (field: PerturbedScoreField) =
    test name {
        for tau in [ 0.02; 0.5; 0.97 ] do
            let xs = drawNoised data variances tau 20000 (uint64 (tau * 1e6))
            let m, se = Stats.meanAndSe (squaredErrors data field tau xs)
            let eps2 = field.EpsilonScore ** 2.0
            Expect.isTrue (Stats.within Stats.z5 se m eps2) $"τ = {tau}: E‖error‖² = {m} ± {se}, expected {eps2}"
    }

[<Tests>]
let tests =
    testList
        "Core.Diffusion.ScoreError"
        [ realisedError
              "L2 error under p_τ equals ε_score (Gaussian data)"
              gaussian
              gaussianVariances
              (PerturbedScoreField(gaussian, 0.3, 11UL))
          realisedError
              "L2 error under p_τ equals ε_score (mixture data)"
              mixture
              mixtureVariances
              (PerturbedScoreField(mixture, 0.8, 12UL, features = 16, frequency = 2.0))
          realisedError
              "Lipschitz-preserving variant keeps the L2 error"
              gaussian
              gaussianVariances
              (PerturbedScoreField(
                  gaussian,
                  3.0,
                  13UL,
                  frequency = 30.0,
                  scoreLipschitz = Func<_, _> gaussian.ScoreLipschitz
              ))
          test "Lipschitz-preserving variant keeps the error's Lipschitz bound within the score's" {
              let f =
                  PerturbedScoreField(
                      gaussian,
                      3.0,
                      13UL,
                      frequency = 30.0,
                      scoreLipschitz = Func<_, _> gaussian.ScoreLipschitz
                  )

              let plain = PerturbedScoreField(gaussian, 3.0, 13UL, frequency = 30.0)

              for tau in [ 0.02; 0.5; 0.97 ] do
                  Expect.isLessThanOrEqual (f.ErrorLipschitz tau) (gaussian.ScoreLipschitz tau) $"τ = {tau}"
                  // The plain field at this frequency would break the bound, so the cap is actually exercised.
                  Expect.isGreaterThan (plain.ErrorLipschitz tau) (gaussian.ScoreLipschitz tau) $"plain τ = {tau}"
                  Expect.isLessThan (f.Frequency tau) 30.0 $"frequency lowered at τ = {tau}"
          }
          testPropertyWithConfig config "the random-feature field obeys its Lipschitz bound"
          <| fun (Seed s) ->
              let f = RandomFeatureField(3, 8, s)
              let omega = 0.1 + 5.0 * uniform s 0
              let x, y = normals s 1 3, normals s 2 3 |> Array.map (fun v -> 0.01 * v)
              let y = Array.map2 (+) x y
              let ex, ey = Array.zeroCreate 3, Array.zeroCreate 3
              f.AddTo(ReadOnlySpan x, omega, 1.0, Span ex)
              f.AddTo(ReadOnlySpan y, omega, 1.0, Span ey)

              let dist (a: float[]) b =
                  sqrt (Array.fold2 (fun acc p q -> acc + (p - q) * (p - q)) 0.0 a b)

              dist ex ey <= f.LipschitzBound omega * dist x y
          test "ε_score = 0 is the exact score" {
              let f = PerturbedScoreField(gaussian, 0.0, 1UL)
              let x = [| 0.3; 0.7 |]
              let a, b = Array.zeroCreate 2, Array.zeroCreate 2
              gaussian.Score(ReadOnlySpan x, 0.4, Span a)
              f.Score(ReadOnlySpan x, 0.4, Span b)
              Expect.equal b a "same score"
          }
          test "bad inputs raise errors naming the parameter" {
              Expect.isTrue
                  (throwsNaming "epsilonScore" (fun () -> PerturbedScoreField(gaussian, -0.1, 1UL) |> ignore))
                  "ε < 0"

              Expect.isTrue
                  (throwsNaming "features" (fun () -> PerturbedScoreField(gaussian, 0.1, 1UL, features = 0) |> ignore))
                  "M = 0"

              let f = PerturbedScoreField(gaussian, 0.1, 1UL)

              Expect.isTrue
                  (throwsNaming "tau" (fun () -> f.Score(ReadOnlySpan [| 0.0; 0.0 |], 1.0, Span(Array.zeroCreate 2))))
                  "τ = 1"
          } ]
