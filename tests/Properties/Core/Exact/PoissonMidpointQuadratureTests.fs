/// PLMC's one-step kernel by quadrature (PoissonMidpointQuadrature): against the exact enumeration of the Bernoulli
/// patterns on N(0, 1), against LMC at K = 1, against the sampler itself on the double well (Monte Carlo, fixed seed),
/// and under refinement. The Monte Carlo case states its false-failure probability; the rest is deterministic.
module RateLab.Properties.Core.Exact.PoissonMidpointQuadratureTests

open System
open Expecto
open RateLab.Core.Exact
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Core.Targets
open RateLab.Properties.Core.Samplers.Langevin.Fixtures

let private propagate (t: GridTransition) (start: GridLaw) steps =
    let mutable law = start
    let mutable lost = 0.0

    for _ in 1..steps do
        let mutable e, u = 0.0, 0.0
        law <- t.Apply(law, &e, &u)
        lost <- lost + e + u

    law, lost

let private normalStart lo dx count (m: float) (s: float) =
    GridLaw.FromLogDensity(lo, dx, count, fun x -> -0.5 * (x - m) * (x - m) / (s * s))

[<Tests>]
let tests =
    testList
        "Core.Exact.PoissonMidpointQuadrature"
        [ testCase "on N(0, 1) the law's moments equal the exact enumeration for K = 2, 3, 4"
          <| fun () ->
              let target = DiagonalGaussian([| 0.0 |], [| 1.0 |])

              for k in [ 2; 3; 4 ] do
                  let alpha, steps = 0.2, 6
                  let dx = sqrt (2.0 * alpha / float k) / 3.0
                  let lo = -9.0
                  let count = int (18.0 / dx) + 1
                  let start = normalStart lo dx count 1.0 0.5
                  let plmc = PoissonMidpointQuadrature.Plmc(target, alpha, k, lo, dx, count)
                  let law, _ = propagate plmc start steps

                  let reduction =
                      GaussianReduction.Diagonal(
                          ReadOnlySpan [| 0.0 |],
                          ReadOnlySpan [| 1.0 |],
                          StartLaw([| 1.0 |], [| 0.5 |])
                      )

                  let kernel = PoissonMidpoint.Overdamped(1, alpha, k, reduction.Start)

                  let r =
                      ExactAnalysis.Analyse(
                          ExactProblem.Langevin(reduction, kernel, int64 steps),
                          ExactOptions(Replicates = 2, Seed = 7UL)
                      )

                  Expect.isTrue r.MomentsExact "enumerated"
                  let exact = r.Law.Position(ReadOnlySpan [| 1.0 |])
                  Expect.isLessThan (abs (law.Mean - exact.Mean.[0])) 1e-12 $"mean, K = {k}"
                  Expect.isLessThan (abs (law.Variance - exact.Variance.[0])) 1e-12 $"variance, K = {k}"

          // KL(p ‖ q) = KL(p ‖ p_G) + KL(p_G ‖ q) for a Gaussian q and the Gaussian p_G with p's mean and variance
          // (log p_G − log q is quadratic): the grid's KL must split so, with p_G from the exact enumeration.
          testCase "on N(0, 1) the gap's KL splits by the Pythagorean identity, p_G from the enumeration"
          <| fun () ->
              let target = DiagonalGaussian([| 0.0 |], [| 1.0 |])
              let alpha, k, steps = 2.0 / 64.0, 3, 64
              let dx = sqrt (2.0 * alpha / float k) / 3.0
              let lo = -9.0
              let count = int (18.0 / dx) + 1
              let start = normalStart lo dx count 0.0 1.0

              let p, _ =
                  propagate (PoissonMidpointQuadrature.Plmc(target, alpha, k, lo, dx, count)) start steps

              let q, _ =
                  propagate (PoissonMidpointQuadrature.Lmc(target, alpha / float k, lo, dx, count)) start (k * steps)

              let reduction =
                  GaussianReduction.Diagonal(
                      ReadOnlySpan [| 0.0 |],
                      ReadOnlySpan [| 1.0 |],
                      StartLaw([| 0.0 |], [| 1.0 |])
                  )

              let r =
                  ExactAnalysis.Analyse(
                      ExactProblem.Langevin(
                          reduction,
                          PoissonMidpoint.Overdamped(1, alpha, k, reduction.Start),
                          int64 steps
                      ),
                      ExactOptions(Replicates = 2, Seed = 7UL)
                  )

              let exact = r.Law.Position(ReadOnlySpan [| 1.0 |])
              let pG = normalStart lo dx count exact.Mean.[0] (sqrt exact.Variance.[0])
              let whole = GridLaw.KullbackLeibler(p, q)
              let split = GridLaw.KullbackLeibler(p, pG) + GridLaw.KullbackLeibler(pG, q)
              // The grid law's moments match the enumeration to about 1e-12, which moves the split by about 1e-10
              // of the KL here (measured 5.6e-11).
              Expect.isLessThan (abs (whole / split - 1.0)) 1e-9 $"KL(p ‖ q) = {whole}, split {split}"
              Expect.isGreaterThan (GridLaw.KullbackLeibler(p, pG)) 0.0 "PLMC's law is not Gaussian"

          testCase "K = 1 is LMC(α)"
          <| fun () ->
              let target = DoubleWell(1, 1.0)
              let lo, dx, count = -4.0, 0.02, 401
              let start = normalStart lo dx count 0.5 0.3

              let p, _ =
                  propagate (PoissonMidpointQuadrature.Plmc(target, 0.01, 1, lo, dx, count)) start 20

              let q, _ =
                  propagate (PoissonMidpointQuadrature.Lmc(target, 0.01, lo, dx, count)) start 20

              Expect.isLessThan (GridLaw.TotalVariation(p, q)) 1e-12 "same law"

          // 2^16 chains; each statistic's tolerance is 4.5 standard errors (two-sided false-failure probability
          // 6.8e-6 each, 2.7e-5 for the four).
          testCase "on the double well the law matches the sampler (Monte Carlo, 4.5 SE)"
          <| fun () ->
              let target = DoubleWell(1, 1.0)
              let alpha, k, steps, chains = 0.02, 3, 30, 1 <<< 16
              let lo, dx, count = -4.0, 0.01, 801
              let start = normalStart lo dx count 1.5 0.25

              let law, lost =
                  propagate (PoissonMidpointQuadrature.Plmc(target, alpha, k, lo, dx, count)) start steps
              // Far below what 2^16 chains resolve (a standard error of 2e-3 on P(x < 0)).
              Expect.isLessThan lost 1e-6 "the window holds the law"

              let kernel =
                  PoissonMidpoint.Overdamped(1, alpha, k, StartLaw([| 1.5 |], [| 0.25 |]))

              let batch, _ = run 20261206UL kernel target chains (int64 steps)
              let xs = Array.init chains (fun c -> batch.State(c).[0])

              let check name (f: float -> float) =
                  let values = xs |> Array.map f
                  let mean = Array.average values

                  let se =
                      sqrt ((values |> Array.averageBy (fun v -> (v - mean) * (v - mean))) / float chains)

                  let exact =
                      Seq.init count (fun j -> f (law.Node j) * law.Density.[j] * dx) |> Seq.sum

                  Expect.isLessThan (abs (mean - exact)) (4.5 * se) $"{name}: sampler {mean} ± {se}, quadrature {exact}"

              check "E x" id
              check "E x²" (fun x -> x * x)
              check "P(x < 0)" (fun x -> if x < 0.0 then 1.0 else 0.0)
              check "E x⁴" (fun x -> x * x * x * x)

          testCase "the gap to LMC(α/K) on the double well is stable under refinement"
          <| fun () ->
              let target = DoubleWell(1, 1.0)
              let alpha, k, steps = 2.0 / 256.0, 3, 256

              let gap refinement =
                  let dx = min 0.02 (sqrt (2.0 * alpha / float k) / 3.0) / refinement
                  let count = int (ceil (8.0 / dx)) + 1

                  let start =
                      GridLaw.FromLogDensity(-4.0, dx, count, fun x -> target.LogDensity(ReadOnlySpan [| x |]))

                  let plmc =
                      PoissonMidpointQuadrature.Plmc(target, alpha, k, -4.0, dx, count, refinement = refinement)

                  let lmc = PoissonMidpointQuadrature.Lmc(target, alpha / float k, -4.0, dx, count)
                  let p, _ = propagate plmc start steps
                  let q, _ = propagate lmc start (k * steps)
                  GridLaw.KullbackLeibler(p, q), GridLaw.Wasserstein2(p, q)

              let kl1, w1 = gap 1.0
              let kl2, w2 = gap 1.5
              Expect.isLessThan (abs (kl2 / kl1 - 1.0)) 1e-5 $"KL {kl1} vs {kl2}"
              Expect.isLessThan (abs (w2 / w1 - 1.0)) 1e-5 $"W2 {w1} vs {w2}"

          testCase "the law has the same bits for one thread and for all"
          <| fun () ->
              let target =
                  GaussianMixture([| 0.4; 0.6 |], [| [| -1.5 |]; [| 1.0 |] |], [| 0.25; 0.5 |])

              let lo, dx, count = -6.0, 0.02, 601
              let start = normalStart lo dx count 0.5 0.4

              let law threads =
                  fst (propagate (PoissonMidpointQuadrature.Plmc(target, 0.05, 3, lo, dx, count, threads)) start 5)

              Expect.sequenceEqual ((law 1).Density.ToArray()) ((law 0).Density.ToArray()) "same bits"

          testCase "a score of dimension 2 is refused, naming the argument"
          <| fun () ->
              let attempt () =
                  PoissonMidpointQuadrature.Plmc(DoubleWell(2, 1.0), 0.1, 2, -1.0, 0.1, 21)
                  |> ignore

              match Expect.throwsC attempt id with
              | :? ArgumentException as e ->
                  Expect.equal e.ParamName "score" "names score"
                  Expect.stringContains e.Message "dimension = 2" "shows the value"
              | other -> failtestf "expected an ArgumentException, got %s" (other.GetType().Name) ]
