/// Poisson midpoint (PLMC): reduction to the base dynamics at K = 1, the unbiased drift correction given the start and
/// the Gaussian noise, the random cost (evaluations and rounds), and the PLMC table of
/// docs/algorithms.md, 'Stationary bias on N(0, 1)' by exact enumeration.
module RateLab.Properties.Core.Samplers.Langevin.PoissonMidpointTests

open Expecto
open MathNet.Numerics.LinearAlgebra
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Core.Targets
open RateLab.Properties
open RateLab.Properties.Core.Samplers.Langevin.Fixtures

let private maxAbsDiff (a: float[]) (b: float[]) =
    Array.map2 (fun x y -> abs (x - y)) a b |> Array.max

/// Excess stationary variance of overdamped PLMC(α, K) on N(0,1), by exact enumeration of the Bernoulli patterns
/// H_1..H_{K−1} (H_0 carries no correction), propagating each step as linear forms in (x₀, Z_0..Z_{K−1}) through the
/// fine recursion (docs/algorithms.md, Poisson midpoint) — independently of the kernel's closed form.
let plmcExcessVariance alpha k =
    let h = alpha / float k
    let p = 1.0 / float k
    let mutable ec2, ew2 = 0.0, 0.0

    for pattern in 0 .. (1 <<< (k - 1)) - 1 do
        let selected i =
            i > 0 && (pattern >>> (i - 1)) &&& 1 = 1

        let prob =
            Seq.init (k - 1) (fun j -> if selected (j + 1) then p else 1.0 - p)
            |> Seq.fold (*) 1.0

        let x = Array.zeroCreate (k + 1)
        let xc = Array.zeroCreate (k + 1)
        x.[0] <- 1.0
        xc.[0] <- 1.0

        for i in 0 .. k - 1 do
            // b₀ = −x₀ (form e₀), bᵢ = −xᶜᵢ.
            let corr = if selected i then float k else 0.0

            for j in 0..k do
                let b0 = if j = 0 then -1.0 else 0.0
                x.[j] <- x.[j] + h * (b0 + corr * (-xc.[j] - b0))

            x.[i + 1] <- x.[i + 1] + sqrt (2.0 * h)
            xc.[0] <- xc.[0] - h
            xc.[i + 1] <- xc.[i + 1] + sqrt (2.0 * h)

        ec2 <- ec2 + prob * x.[0] * x.[0]
        ew2 <- ew2 + prob * (Array.sumBy (fun w -> w * w) x.[1..])

    ew2 / (1.0 - ec2) - 1.0

/// One outer step from a point start with the Gaussian noise of chain 0 shared by all chains (patterns vary).
let private patternsGivenNoise (kernel: PoissonMidpoint) (target: ITarget) seed chains =
    let noise = PhiloxNoise(seed)
    let batch, _ = runWith (SharedNormals noise) kernel target chains 1L
    batch, noise

[<Tests>]
let tests =
    testList
        "Core.Samplers.Langevin.PoissonMidpoint"
        [ test "K = 1 reduces to the base step: overdamped PLMC is ULA, underdamped PLMC is ULMC with u = 1" {
              let target = DiagonalGaussian([| 0.5; -1.0; 2.0 |], [| 0.7; 1.3; 2.0 |])
              let ula, _ = run 21UL (Ula(3, 0.2, startIso 3 1.0)) target 8 25L

              let plmc, _ =
                  run 21UL (PoissonMidpoint.Overdamped(3, 0.2, 1, startIso 3 1.0)) target 8 25L

              Expect.isLessThan (maxAbsDiff ula.States plmc.States) 1e-12 "OLMC base"
              let ulmc, _ = run 22UL (Ulmc(3, 0.3, 1.7, 1.0, startIso 3 1.0)) target 8 25L

              let plmcU, _ =
                  run 22UL (PoissonMidpoint.Underdamped(3, 0.3, 1, 1.7, startIso 3 1.0)) target 8 25L

              Expect.isLessThan (maxAbsDiff ulmc.States plmcU.States) 1e-12 "ULMC base"
          }

          test
              "overdamped: given start and Z, the mean over patterns is the chain driven by every midpoint drift (5 SE)" {
              // The correction K·H_i·(b_i − b_0) does not have mean zero; its centred part (K·H_i − 1)(b_i − b_0) does, so
              // E_H[X̃_K] = X̃ᶜ_K + h Σ_{i≥1} (b_i − b_0): the step that uses the midpoint drift b_i at every fine step.
              let alpha, k = 0.5, 8
              let h = alpha / float k
              let a = [| 1.0; 2.5 |]
              let x0 = [| 1.2; -0.8 |]

              let target =
                  DiagonalGaussian(Array.zeroCreate 2, a |> Array.map (fun ai -> 1.0 / ai))

              let chains = 20000

              let batch, noise =
                  patternsGivenNoise (PoissonMidpoint.Overdamped(2, alpha, k, StartLaw.Point x0)) target 31UL chains

              let z =
                  Array.init k (fun i ->
                      let v = Array.zeroCreate 2 in
                      noise.Normals(0L, 0L, i, System.Span v)
                      v)
              // Two comparisons: false-failure probability ≤ 1.2e-6.
              for c in 0..1 do
                  let b0 = -a.[c] * x0.[c]
                  let mutable xc, expected = x0.[c], x0.[c]

                  for i in 0 .. k - 1 do
                      let bi = -(xc * a.[c])
                      expected <- expected + h * bi + sqrt (2.0 * h) * z.[i].[c]
                      xc <- xc + h * b0 + sqrt (2.0 * h) * z.[i].[c]

                  let xs = Array.init chains (fun ch -> batch.Position(ch).[c])
                  expectWithin5Se $"coordinate {c}" (Stats.meanAndSe xs) expected
          }

          test
              "underdamped: given start and Z, the mean over patterns uses A_h^{K−1−i} G_h on every midpoint drift (5 SE)" {
              let alpha, k, gamma = 0.8, 6, 1.3
              let h = alpha / float k
              let a = 1.7
              let x0 = [| 0.9 |]
              let target = DiagonalGaussian([| 0.0 |], [| 1.0 / a |])
              let chains = 20000

              let kernel =
                  PoissonMidpoint.Underdamped(1, alpha, k, gamma, StartLaw.Point x0, zeroVelocity = true)

              let batch, noise = patternsGivenNoise kernel target 32UL chains
              // The fine recursion with explicit matrices; drift b(x) = −a x on the position.
              let e = exp (-gamma * h)

              let am =
                  Matrix<float>.Build.DenseOfArray(array2D [ [ 1.0; (1.0 - e) / gamma ]; [ 0.0; e ] ])

              let g =
                  Vector<float>.Build.Dense([| (h - (1.0 - e) / gamma) / gamma; (1.0 - e) / gamma |])

              let pair = ExponentialBrownianPair.For(gamma, h)

              let gammaZ i =
                  let z1, z2 = Array.zeroCreate 1, Array.zeroCreate 1
                  noise.Normals(0L, 0L, 2 * i, System.Span z1)
                  noise.Normals(0L, 0L, 2 * i + 1, System.Span z2)

                  Vector<float>
                      .Build.Dense(
                          [| sqrt (2.0 / gamma) * pair.D(z1.[0])
                             sqrt (2.0 * gamma) * pair.A(z1.[0], z2.[0]) |]
                      )

              let start = Vector<float>.Build.Dense([| x0.[0]; 0.0 |])
              let b0 = -a * x0.[0]
              let mutable xc = start
              let mutable expected = start

              for i in 0 .. k - 1 do
                  let bi = -a * xc.[0]
                  expected <- am * expected + g * bi + gammaZ i
                  xc <- am * xc + g * b0 + gammaZ i
              // Two comparisons: false-failure probability ≤ 1.2e-6.
              for block in 0..1 do
                  let xs = Array.init chains (fun ch -> batch.State(ch).[block])
                  expectWithin5Se $"block {block}" (Stats.meanAndSe xs) expected.[block]
          }

          test "evaluations per outer step have mean 2 − 1/K and rounds mean 2 − (1 − 1/K)^{K−1} (5 SE)" {
              let k, chains, steps = 10, 1000, 40L

              let _, oracle =
                  run 41UL (PoissonMidpoint.Overdamped(2, 0.3, k, startIso 2 1.0)) (isotropic 2 1.0) chains steps

              let p = 1.0 / float k
              let n = float chains * float steps
              // Evaluations = steps + Bin((K−1)·steps, 1/K): per step variance (K−1)·p(1−p) = (1 − 1/K)².
              let meanEvals = float oracle.TotalEvaluations / n
              expectWithin5Se "evaluations per step" (meanEvals, (1.0 - p) / sqrt n) (2.0 - p)
              // The expectation the reports charge PLMC with is this mean.
              Expect.floatClose Accuracy.veryHigh (PoissonMidpoint.ExpectedEvaluationsPerStep k) (2.0 - p) "stated mean"
              let rounds = Array.init chains (fun c -> float (oracle.Rounds(int64 c)))
              let pAny = 1.0 - (1.0 - p) ** float (k - 1)
              expectWithin5Se "rounds per step" (Array.sum rounds / n, sqrt (pAny * (1.0 - pAny) / n)) (1.0 + pAny)

              Expect.isTrue
                  (rounds |> Array.forall (fun r -> r >= float steps && r <= 2.0 * float steps))
                  "1 or 2 rounds per step"
          }

          test "PLMC (K = 10, N(0,1)): exact excess variance by enumeration of patterns as the docs table prints" {
              // The last gap: PLMC 3.2778e-3 minus LMC(α/K) 2.5031e-3 = 7.747e-4, printed 0.00077.
              for alpha, plmc, gap in
                  [ 0.8, 0.758, 0.716
                    0.4, 0.108, 0.088
                    0.2, 0.026, 0.016
                    0.1, 0.0084, 0.0034
                    0.05, 0.0033, 0.00077 ] do
                  let excess = plmcExcessVariance alpha 10
                  let lmcFine = (alpha / 10.0) / (2.0 - alpha / 10.0)

                  let digits (printed: float) x =
                      abs (x - printed) <= 0.5 * 10.0 ** (floor (log10 printed) - 1.0)

                  Expect.isTrue (digits plmc excess) $"α = {alpha}: PLMC excess {excess} vs docs {plmc}"
                  Expect.isTrue (digits gap (excess - lmcFine)) $"α = {alpha}: gap {excess - lmcFine} vs docs {gap}"
          } ]

[<Tests>]
let slowTests =
    testList
        "Core.Samplers.Langevin.PoissonMidpoint stationary (slow)"
        [ test "overdamped PLMC (α = 0.4, K = 10) on N(0,1): Monte Carlo variance matches the enumeration (5 SE)" {
              let kernel = PoissonMidpoint.Overdamped(8, 0.4, 10, startIso 8 1.0)
              // The outer step contracts by about (1 − α)² in variance: 40 steps erase the start.
              let batch, _ = run 42UL kernel (isotropic 8 1.0) 5000 40L
              let est = Stats.meanAndSe (chainMeanSquares batch kernel 0)
              expectWithin5Se "Var x" est (1.0 + plmcExcessVariance 0.4 10)
              Expect.isFalse (Stats.within Stats.z5 (snd est) (fst est) (2.0 / (2.0 - 0.4))) "PLMC differs from LMC(α)"
          } ]
