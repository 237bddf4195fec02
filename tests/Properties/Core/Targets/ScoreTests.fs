/// The score of every target against central finite differences of its log-density, and the one-component mixture
/// against the Gaussian.
module RateLab.Properties.Core.Targets.ScoreTests

open System
open Expecto
open RateLab.Core.Targets
open RateLab.Properties.Core.Targets.Fixtures

let private eps = Math.Pow(2.0, -52.0)
let private eta = 1e-4

/// Central difference of ℓ along the unit vector v at x against s(x)·v. With exact arithmetic,
/// (ℓ(x+ηv) − ℓ(x−ηv))/(2η) − D_vℓ(x) = (η²/12)(D³_vℓ(ξ₁) + D³_vℓ(ξ₂)), so |error| ≤ η² c3 / 6 for any c3 bounding
/// |D³_vℓ| on the segment. Rounding adds at most e_ℓ/η, where e_ℓ bounds the absolute rounding error of one ℓ
/// evaluation (taken as 64·d·ε·rounding scale, the scale being the sum of the magnitudes combined in ℓ), plus
/// ε‖x‖‖s‖/η from rounding x ± ηv (with a factor 4 of margin).
let fdCheck (t: ITarget) (x: float[]) (v: float[]) (c3: float) (roundingScale: float) =
    let d = float x.Length

    let shifted sign =
        Array.map2 (fun xi vi -> xi + sign * eta * vi) x v

    let fd = (logDensity t (shifted 1.0) - logDensity t (shifted -1.0)) / (2.0 * eta)
    let s = score t x
    let exact = dot s v

    let tol =
        eta * eta * c3 / 6.0
        + 64.0 * d * eps * roundingScale / eta
        + 4.0 * eps * (norm x + eta) * norm s / eta

    let err = abs (fd - exact)

    if err <= tol then
        true
    else
        failwithf "%s: |FD − s·v| = %g > %g at x = %A (FD %g, s·v %g)" t.Name err tol x fd exact

/// A bound on |D³_vℓ| over [x − ηv, x + ηv] for a Gaussian mixture. Along v each component's log-term φ_j has
/// φ_j' = a_j = g_j·v (affine in t) and φ_j'' = b_j = −vᵀΣ_j⁻¹v, so D³ℓ = 3 Cov_r(a, b) + κ₃,r(a) (cumulants under
/// the responsibilities r). With R_a, R_b the ranges of a and b: |Cov| ≤ R_a R_b / 4 and |κ₃| ≤ R_a³ / 4, and R_a on
/// the segment is at most R_a(x) + 2η max|b|.
let mixtureThirdDerivativeBound (g: GaussianMixture) (x: float[]) (v: float[]) =
    let a, b =
        Array.init g.Components (fun j ->
            let mu = g.ComponentMean(j).ToArray()
            let var = g.ComponentVariances(j).ToArray()

            let aj =
                Array.init x.Length (fun i -> -(x.[i] - mu.[i]) / var.[i] * v.[i]) |> Array.sum

            let bj = Array.init x.Length (fun i -> -v.[i] * v.[i] / var.[i]) |> Array.sum
            aj, bj)
        |> Array.unzip

    let range (z: float[]) = Array.max z - Array.min z
    let rb = range b
    let ra = range a + 2.0 * eta * (b |> Array.map abs |> Array.max)
    3.0 * ra * rb / 4.0 + ra ** 3.0 / 4.0

/// Rounding scale of a mixture's ℓ: the quadratic forms are formed as ‖x‖² − 2x·μ_j + ‖μ_j‖² over σ_j².
let mixtureRoundingScale (g: GaussianMixture) (x: float[]) =
    let worst =
        Array.init g.Components (fun j ->
            let mu = g.ComponentMean(j).ToArray()
            let var = g.ComponentVariances(j).ToArray()

            (dot x x + dot mu mu) / Array.min var
            + (var |> Array.sumBy (fun s -> abs (log s))))
        |> Array.max

    1.0 + abs (logDensity g x) + worst + float x.Length * 2.0

/// A point near the mixture's means (scale 4) and a direction, both from the case's seed.
let private pointAndDirection (c: TargetCase) =
    normals c.Seed 900L 0 c.D |> Array.map ((*) 4.0), direction c.Seed 901L 0 c.D

[<Tests>]
let tests =
    testList
        "Core.Targets.Score"
        [ testPropertyWithConfig targetConfig "diagonal Gaussian: score = FD of log-density"
          <| fun (c: TargetCase) ->
              let t = diagonalGaussian c
              let x, v = pointAndDirection c
              // Quadratic ℓ: the third derivative is 0, only rounding remains.
              fdCheck t x v 0.0 (1.0 + abs (logDensity t x))

          testPropertyWithConfig targetConfig "full Gaussian: score = FD of log-density"
          <| fun (c: TargetCase) ->
              let t, _, lambda = rotatedGaussian c
              let x, v = pointAndDirection c
              // Quadratic ℓ; the triangular solves lose up to a factor κ = λmax/λmin in relative accuracy.
              fdCheck t x v 0.0 ((Array.max lambda / Array.min lambda) * (1.0 + abs (logDensity t x)))

          testPropertyWithConfig targetConfig "diagonal mixture: score = FD of log-density"
          <| fun (c: TargetCase) ->
              let g = diagonalMixture c
              let x, v = pointAndDirection c
              fdCheck g x v (mixtureThirdDerivativeBound g x v) (mixtureRoundingScale g x)

          testPropertyWithConfig targetConfig "isotropic mixture: score = FD of log-density"
          <| fun (c: TargetCase) ->
              let g = isotropicMixture c
              let x, v = pointAndDirection c
              fdCheck g x v (mixtureThirdDerivativeBound g x v) (mixtureRoundingScale g x)

          testPropertyWithConfig targetConfig "25GMM: score = FD of log-density"
          <| fun (c: TargetCase) ->
              let g = GaussianMixture.TwentyFive()
              let x = normals c.Seed 902L 0 2 |> Array.map ((*) 7.0)
              let v = direction c.Seed 903L 0 2
              fdCheck g x v (mixtureThirdDerivativeBound g x v) (mixtureRoundingScale g x)

          testPropertyWithConfig targetConfig "double well: score = FD of log-density"
          <| fun (c: TargetCase) ->
              let a = uniformIn c.Seed 904L 0 0.1 5.0
              let t = DoubleWell(c.D, a)
              let x, v = pointAndDirection c
              // D³_vℓ = −24 a x₁ v₁³ along the segment.
              let c3 = 24.0 * a * (abs x.[0] + eta) * abs (v.[0] ** 3.0)
              let scale = a * (x.[0] * x.[0] + 1.0) ** 2.0 + dot x x
              fdCheck t x v c3 scale

          testPropertyWithConfig targetConfig "mixture log-density is log Σ_j w_j N(x; μ_j, Σ_j), normalised"
          <| fun (c: TargetCase) ->
              // The finite-difference checks cannot see an error shared by ℓ and s (say a dropped ½ log det Σ_j); this one
              // compares with the density written out term by term, with the weights normalised here.
              let x = normals c.Seed 910L 0 c.D |> Array.map ((*) 3.0)
              let raw = Array.init c.K (fun j -> uniformIn c.Seed 100L j 0.2 1.0)

              [ diagonalMixture c; isotropicMixture c ]
              |> List.forall (fun g ->
                  let terms =
                      Array.init c.K (fun j ->
                          let mu, var = g.ComponentMean(j).ToArray(), g.ComponentVariances(j).ToArray()

                          let perCoordinate =
                              Array.init c.D (fun i ->
                                  -0.5 * (x.[i] - mu.[i]) ** 2.0 / var.[i] - 0.5 * log (2.0 * Math.PI * var.[i]))

                          log (raw.[j] / Array.sum raw) + Array.sum perCoordinate, Array.sumBy abs perCoordinate)

                  let top = terms |> Array.map fst |> Array.max
                  let expected = top + log (terms |> Array.sumBy (fun (t, _) -> exp (t - top)))
                  // Rounding of both sides: relative ε per term of the written-out sums, plus the mixture's own scale.
                  let scale = mixtureRoundingScale g x + (terms |> Array.map snd |> Array.max)
                  abs (logDensity g x - expected) <= 64.0 * float (c.D + c.K) * eps * scale)

          testPropertyWithConfig targetConfig "one-component mixture is the Gaussian"
          <| fun (c: TargetCase) ->
              let mu = normals c.Seed 905L 0 c.D |> Array.map ((*) 3.0)
              let var = logUniform c.Seed 906L c.D 0.2 5.0
              let gauss = DiagonalGaussian(mu, var)
              let isoVar = Array.create c.D var.[0]
              let isoGauss = DiagonalGaussian(mu, isoVar)
              let diag = GaussianMixture([| 2.5 |], [| mu |], [| var |])
              let iso = GaussianMixture([| 0.5 |], [| mu |], [| var.[0] |])
              // log N(x; μ, Σ) = ℓ_Gauss(x) − ½ log det Σ − (d/2) log 2π.
              let constant (v: float[]) =
                  -0.5 * (v |> Array.sumBy log) - 0.5 * float c.D * log (2.0 * Math.PI)

              [ 0..4 ]
              |> List.forall (fun p ->
                  let x = normals c.Seed (907L + int64 p) 0 c.D |> Array.map ((*) 4.0)

                  let check (m: GaussianMixture) (g: DiagonalGaussian) (v: float[]) =
                      let rounding =
                          64.0
                          * eps
                          * (1.0
                             + abs (logDensity g x)
                             + abs (constant v)
                             + (dot x x + dot mu mu) / Array.min v)

                      let dLog = abs (logDensity m x - (logDensity g x + constant v))
                      // r = 1 exactly, so the scores differ only by the rounding of (μ − x)/σ² formed as μ/σ² − x/σ².
                      let sm, sg = score m x, score g x

                      let scoreOk =
                          Array.forall
                              id
                              (Array.init c.D (fun i ->
                                  abs (sm.[i] - sg.[i]) <= 4.0 * eps * (abs x.[i] + abs mu.[i]) / v.[i]))

                      if dLog <= rounding && scoreOk then
                          true
                      else
                          failwithf
                              "%s vs %s at %A: log-density gap %g (tol %g), scores %A vs %A"
                              m.Name
                              g.Name
                              x
                              dLog
                              rounding
                              sm
                              sg

                  check diag gauss var && check iso isoGauss isoVar) ]
