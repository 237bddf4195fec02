module RateLab.Properties.Core.Targets.MixtureScoreTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Targets
open RateLab.Properties.Generators

/// A mixture and a point: K components in dimension d, isotropic or diagonal.
type MixtureCase =
    { Weights: float[]
      Means: float[][]
      Variances: float[][]
      Isotropic: bool
      X: float[] }

let private mixtureCase =
    gen {
        let! d = Gen.choose (1, 70) // crosses the vector width and leaves every tail length
        let! k = Gen.choose (1, 20)
        let! isotropic = Gen.elements [ true; false ]

        let! weights, means, sds = isotropicMixtureParameters k d
        let! diag = Gen.arrayOfLength k (Gen.arrayOfLength d (hundredths 20 300))

        let variances =
            if isotropic then
                sds |> Array.map (fun s -> Array.create d (s * s))
            else
                diag

        let! x = Gen.arrayOfLength d (hundredths -400 400)

        return
            { Weights = weights
              Means = means
              Variances = variances
              Isotropic = isotropic
              X = x }
    }

type HotPathArbs =
    static member Mixture() : Arbitrary<MixtureCase> = Arb.fromGen mixtureCase

let private cfg =
    { config with
        arbitrary = typeof<HotPathArbs> :: config.arbitrary
        maxTest = 100 }

/// The textbook formula: ℓ_j = log w_j − ½ Σ log(2πσ²) − ½ Σ (x − μ)²/σ², r = softmax ℓ, s = Σ_j r_j (μ_j − x)/σ_j².
/// Also returns the error scale of coordinate i: Σ_j r_j (|μ_j| + |x|)/σ_j² (the terms' size) times 1 + max_j Λ_j with
/// Λ_j = Σ_i |½ log(2πσ²)| + (x − μ)²/(2σ²) (the logits' size): a logit of size Λ carries an absolute rounding error
/// ~Λ·ε in any implementation, the naive one included, and moves the responsibilities by that much relatively.
let private naiveScore (c: MixtureCase) =
    let d, k = c.X.Length, c.Weights.Length
    let total = Array.sum c.Weights

    let logits =
        Array.init k (fun j ->
            let mutable q = log (c.Weights.[j] / total)

            for i in 0 .. d - 1 do
                let v = c.Variances.[j].[i]
                q <- q - 0.5 * log (2.0 * Math.PI * v) - 0.5 * (c.X.[i] - c.Means.[j].[i]) ** 2.0 / v

            q)

    let m = Array.max logits
    let e = logits |> Array.map (fun l -> exp (l - m))
    let r = e |> Array.map (fun v -> v / Array.sum e)

    let score =
        Array.init d (fun i ->
            Array.sum (Array.init k (fun j -> r.[j] * (c.Means.[j].[i] - c.X.[i]) / c.Variances.[j].[i])))

    let size j =
        Array.sum (
            Array.init d (fun i ->
                let v = c.Variances.[j].[i] in

                abs (0.5 * log (2.0 * Math.PI * v))
                + 0.5 * (c.X.[i] - c.Means.[j].[i]) ** 2.0 / v)
        )

    let condition = 1.0 + (Array.init k size |> Array.max)

    let scale =
        Array.init d (fun i ->
            condition
            * Array.sum (Array.init k (fun j -> r.[j] * (abs c.Means.[j].[i] + abs c.X.[i]) / c.Variances.[j].[i])))

    score, scale

let private build (c: MixtureCase) =
    if c.Isotropic then
        GaussianMixture(c.Weights, c.Means, c.Variances |> Array.map (fun v -> v.[0]))
    else
        GaussianMixture(c.Weights, c.Means, c.Variances)

let private bits (a: float[]) =
    a |> Array.map BitConverter.DoubleToInt64Bits

[<Tests>]
let tests =
    testList
        "Core.Targets"
        [ testList
              "MixtureScore"
              [ testPropertyWithConfig cfg "mixture score matches the naive formula to 1e-13 relative"
                <| fun (c: MixtureCase) ->
                    let fast = Array.zeroCreate c.X.Length
                    (build c).Score(ReadOnlySpan c.X, Span fast)
                    let slow, scale = naiveScore c
                    Array.forall id (Array.init fast.Length (fun i -> abs (fast.[i] - slow.[i]) <= 1e-13 * scale.[i]))

                testPropertyWithConfig
                    cfg
                    "mixture score does not depend on a previous call (no stale per-thread state)"
                <| fun (c: MixtureCase) ->
                    let m = build c
                    let first, again = Array.zeroCreate c.X.Length, Array.zeroCreate c.X.Length
                    m.Score(ReadOnlySpan c.X, Span first)
                    m.Score(ReadOnlySpan(Array.map (fun v -> -v) c.X), Span again)
                    m.Score(ReadOnlySpan c.X, Span again)
                    bits first = bits again ] ]
