/// The training study's section (C3, C6) and what it rests on: the equal-cost and paired comparisons, checkpoint
/// resumption, the report cache, the start order and the partial rendering.
module RateLab.Properties.Analysis.Sections.BoltzmannTrainingSectionTests

open System
open System.IO
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Boltzmann
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Claims
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Plots.Figure
open RateLab.Analysis.Studies.BoltzmannStudies
open RateLab.Analysis.Claims.Comparisons
open RateLab.Analysis.Sections
open RateLab.Properties.Generators

let private tempDir () =
    let d =
        Path.Combine(Path.GetTempPath(), "ratelab-bsection-" + Guid.NewGuid().ToString("N"))

    Directory.CreateDirectory d |> ignore
    d

let private tinyBudget dir : TrainingBudget =
    { Benchmarks = [ gmm25 ]
      Objectives = [ Objective.TrajectoryBalance ]
      TrainSteps = [ 5; 10; 100 ]
      Seeds = [ 1UL; 2UL ]
      Iterations = 4L
      Batch = 4
      Width = 8
      Harmonics = 4
      EvaluationSamples = 16
      EvaluationSweep = [ 10; 20 ]
      CheckpointDirectory = dir }

/// Caches the untrained evaluations on 25GMM and the runs of `arms` for `objective`, every seed of the budget.
let private cacheArms cached (budget: TrainingBudget) objective (arms: Arm list) =
    for seed in budget.Seeds do
        untrainedCached cached budget gmm25 seed |> ignore

        for a in arms do
            trainCached cached budget gmm25 objective a.Grid a.Steps seed a.Iterations
            |> ignore

/// A budget that trains the time-local FL-SubTB beside TB, so that C3's second half is judged.
let private withSubTB (b: TrainingBudget) =
    { b with
        Objectives = [ Objective.TrajectoryBalance; Objective.SubTrajectoryBalance ] }

/// An in-memory report cache: each result stored through its JSON text, as on disk, and its computations counted.
let private memoryCache () =
    let store =
        System.Collections.Generic.Dictionary<string, System.Text.Json.Nodes.JsonNode>()

    let computed = ref 0

    let cached key (compute: unit -> System.Text.Json.Nodes.JsonNode) =
        if not (store.ContainsKey key) then
            computed.Value <- computed.Value + 1
            store.[key] <- nonNull (System.Text.Json.Nodes.JsonNode.Parse((compute ()).ToJsonString()))

        store.[key]

    store, computed, cached

/// The same store read as a `--cached-only` rendering reads its cache: a missing entry is a miss, never computed.
let private cachedOnlyFrom (store: System.Collections.Generic.Dictionary<string, System.Text.Json.Nodes.JsonNode>) =
    fun key (_: unit -> System.Text.Json.Nodes.JsonNode) ->
        match store.TryGetValue key with
        | true, v -> v
        | _ -> raise (RateLab.Analysis.Report.Context.NotInCache key)

[<Tests>]
let tests =
    testList
        "Analysis.Sections.BoltzmannTrainingSection"
        [ test "C3 comparison on synthetic numbers (paired by seed with the untrained sampler)" {
              let verdict b c f = fst (compareEqualCost 0.2 b c f)
              let five = [ 5.0; 5.1; 4.9 ]
              Expect.equal (verdict [ 5.0 ] [ 1.0 ] [ 1.0 ]) Inconclusive "one seed"
              Expect.equal (verdict [ 5.0; 5.0 ] [ 1.0; 1.1 ] [ 1.0; 1.1; 1.2 ]) Inconclusive "unpaired"

              Expect.equal
                  (verdict [ 1.0; 1.1 ] [ 1.0; 1.1 ] [ 1.0; 1.1 ])
                  Inconclusive
                  "neither arm better than untrained"

              Expect.equal
                  (verdict [ 1.0; 1.02; 1.01 ] [ 0.50; 0.52; 0.51 ] [ 1.00; 1.02; 1.01 ])
                  Consistent
                  "only the coarse arm trained"

              Expect.equal (verdict five [ 0.50; 0.52; 0.51 ] [ 1.00; 1.02; 1.01 ]) Consistent "coarse better"
              Expect.equal (verdict five [ 2.00; 2.02; 2.01 ] [ 1.00; 1.02; 1.01 ]) ViolatesBound "coarse worse"
              Expect.equal (verdict five [ 1.00; 1.02; 1.01 ] [ 1.01; 0.99; 1.00 ]) Consistent "similar"
              Expect.equal (verdict five [ 0.2; 1.8; 1.0 ] [ 0.9; 1.1; 1.0 ]) Inconclusive "too wide"
              Expect.equal (verdict [ 5.0; 5.0 ] [ nan; 1.0 ] [ 1.0; 1.1 ]) Inconclusive "nan"
          }

          // A quality level c ∈ [0.1, 10] and a relative gap 1.5 + p, p ∈ [0.25, 2], between the arms.
          testPropertyWithConfig config "C3: swapping better and worse arms swaps Consistent and ViolatesBound"
          <| Prop.forAll (Arb.fromGen (Gen.zip (hundredths 10 1000) (hundredths 25 200))) (fun (c, p) ->
              let good = [ c; c * 1.01; c * 0.99 ]
              let bad = good |> List.map (fun x -> x * (1.5 + p))
              let baseline = List.replicate 3 (100.0 * c * (2.0 + p))

              fst (compareEqualCost 0.2 baseline good bad) = Consistent
              && fst (compareEqualCost 0.2 baseline bad good) = ViolatesBound)

          test "C3 at the same iterations: similarity within 0.2 of the fine mean, on synthetic numbers" {
              let verdict c f =
                  fst (compareSimilar 0.2 [ 5.0; 5.1; 4.9 ] c f)

              let fine = [ 1.00; 1.02; 0.98 ]
              Expect.equal (verdict [ 1.10; 1.12; 1.08 ] fine) Consistent "10 % worse: within the margin"
              Expect.equal (verdict [ 0.50; 0.52; 0.48 ] fine) Consistent "better"
              Expect.equal (verdict [ 1.50; 1.52; 1.48 ] fine) ViolatesBound "50 % worse, tightly"
              Expect.equal (verdict [ 1.0; 1.6; 1.3 ] fine) Inconclusive "30 % worse, too wide to tell"

              Expect.equal
                  (fst (compareSimilar 0.2 [ 1.0; 1.02; 0.98 ] [ 1.0; 1.02; 0.98 ] [ 1.01; 0.99; 1.0 ]))
                  Inconclusive
                  "neither arm trained"
          }

          test "C3's time-local half: competitive within 0.2 of the TB mean on the coarse grid, on synthetic numbers" {
              let verdict local reference =
                  fst (compareCompetitive 0.2 ("SubTB", "TB") [ 5.0; 5.1; 4.9 ] local reference)

              let tb = [ 1.00; 1.02; 0.98 ]
              Expect.equal (verdict [ 1.10; 1.12; 1.08 ] tb) Consistent "10 % worse than TB: competitive"
              Expect.equal (verdict [ 0.50; 0.52; 0.48 ] tb) Consistent "better than TB"
              Expect.equal (verdict [ 1.50; 1.52; 1.48 ] tb) ViolatesBound "50 % worse, tightly: not competitive"
              Expect.equal (verdict [ 1.0; 1.6; 1.3 ] tb) Inconclusive "30 % worse, too wide to tell"

              Expect.equal
                  (fst (compareCompetitive 0.2 ("SubTB", "TB") tb [ 1.0; 1.02; 0.98 ] [ 1.01; 0.99; 1.0 ]))
                  Inconclusive
                  "neither objective trained"

              Expect.stringContains
                  (snd (compareCompetitive 0.2 ("SubTB", "TB") [ 5.0; 5.1; 4.9 ] [ 1.10; 1.12; 1.08 ] tb))
                  "SubTB 1.1 ± 0.012, TB 1 ± 0.012"
                  "names the two objectives"
          }

          test "paired improvement on the untrained sampler: Student t with n − 1 df, not 2 SE" {
              // Differences 2.0, 1.4, 1.1: mean 1.5, SE 0.265, t = 5.67 > t(2; 0.975) = 4.30.
              let i = pairedImprovement [ 6.473; 6.359; 5.856 ] [ 4.473; 4.959; 4.756 ]
              Expect.floatClose Accuracy.high i.Mean 1.5 "mean difference"
              Expect.floatClose Accuracy.medium i.Critical 4.302652729911275 "t(2) quantile"
              Expect.isTrue i.Significant "significant at 3 seeds"
              // Differences 0.6, 1.6, 0.2 (200 iterations): t = 1.9, not significant though every seed improved.
              let weak = pairedImprovement [ 6.473; 6.359; 5.856 ] [ 5.873; 4.759; 5.656 ]
              Expect.isFalse weak.Significant "three improving seeds are not enough when they disagree this much"
          }

          test "C6 plateau rule on synthetic sweeps" {
              Expect.equal (fst (plateau [ 10, 2.0, 0.1; 100, 1.5, 0.1; 200, 1.45, 0.1 ])) Consistent "plateau"
              Expect.equal (fst (plateau [ 100, 3.0, 0.1; 200, 1.5, 0.1 ])) Inconclusive "still moving"
              Expect.equal (fst (plateau [ 100, 0.1, 0.1; 200, 0.05, 0.1 ])) ViolatesBound "gap at 0"
              Expect.equal (fst (plateau [ 200, 1.0, 0.1 ])) Inconclusive "one grid"
          }

          test "Aitken's limit recovers a geometrically converging gap and refuses one that does not contract" {
              // g_k = 2 + 3·0.4^k: differences 1.8·0.4^k, so the Δ² limit is exactly 2 from any three terms.
              let g k = 2.0 + 3.0 * 0.4 ** float k
              Expect.floatClose Accuracy.high (aitkenLimit (g 1) (g 2) (g 3)).Value 2.0 "geometric limit"
              // Oscillating convergence (r = −0.5) is geometric too.
              let h k = 1.0 + (-0.5) ** float k
              Expect.floatClose Accuracy.high (aitkenLimit (h 1) (h 2) (h 3)).Value 1.0 "alternating limit"
              Expect.isNone (aitkenLimit 3.0 2.0 1.0) "equal differences: no contraction"
          }

          test "C6 extrapolates a falling gap over the three finest doubling grids, with the direction of its bound" {
              // 1/N convergence to 4.5 (gaps 5.9, 5.2, 4.85 at 50, 100, 200) with SE 0.05: limit 4.5, bound far above 0.
              let v, why =
                  plateau [ 25, 7.3, 0.05; 50, 5.9, 0.05; 100, 5.2, 0.05; 200, 4.85, 0.05 ]

              Expect.equal v Consistent "positive limit"
              Expect.stringContains why "puts the limit at 4.5" "the extrapolated limit"
              // 1/N convergence to 0 (gaps 4, 2, 1): the bound cannot be above 0, whatever the finest gap.
              Expect.equal (fst (plateau [ 50, 4.0, 0.05; 100, 2.0, 0.05; 200, 1.0, 0.05 ])) Inconclusive "limit 0"
              // The same values on grids without a common ratio are not extrapolated.
              Expect.equal
                  (fst (plateau [ 40, 5.9, 0.05; 100, 5.2, 0.05; 200, 4.85, 0.05 ]))
                  Inconclusive
                  "ratios differ"
              // Noisy differences that may not contract: no bound above 0.
              Expect.equal (fst (plateau [ 50, 5.9, 0.3; 100, 5.2, 0.3; 200, 3.9, 0.3 ])) Inconclusive "no contraction"
              // The bound is the 2.5 % point of the limit's law, far below the delta method's 4.5 − 1.96·0.29 = 3.94
              // because Δ² is nonlinear. That point is 2.75 by 4·10⁶ independent numpy draws; 4000 draws put its rank
              // within 0.025 ± 3 binomial SE (0.0176 to 0.0324: 2.27 to 3.04 in that law), failing by chance with
              // probability 0.3 % for a random key.
              let bound = aitkenLowerBound (5.9, 0.05) (5.2, 0.05) (4.85, 0.05)
              Expect.isTrue (bound >= 2.27 && bound <= 3.04) $"bootstrap 2.5 %% point {bound} against 2.75 [2.27, 3.04]"
          }

          test
              "a run killed after a checkpoint resumes from it and ends where a fresh run ends; checkpoints are keyed by settings and budget" {
              let a, b = tempDir (), tempDir ()

              try
                  let run dir =
                      train (tinyBudget dir) gmm25 Objective.TrajectoryBalance GridKind.Random 5 3UL 4L

                  let fresh = run a

                  let s seed =
                      TrainingSettings(
                          Objective.TrajectoryBalance,
                          gmm25.Sigma,
                          GridKind.Random,
                          5,
                          seed,
                          batchSize = 4,
                          width = 8,
                          harmonics = 4
                      )

                  let name = gmm25.Create().Name
                  // The state a run of 4 iterations leaves when killed after its checkpoint at iteration 2.
                  let killed = Trainer(gmm25.Create(), s 3UL)
                  killed.Train 2L
                  Checkpoint.Save(killed, checkpointPath b name (s 3UL) 4L)
                  let resumed = run b
                  Expect.equal resumed.Eval100.Elbo fresh.Eval100.Elbo "same ELBO"
                  Expect.equal resumed.Eval100.W2 fresh.Eval100.W2 "same W2"
                  Expect.equal resumed.EnergyEvaluations fresh.EnergyEvaluations "same energy count"
                  Expect.equal fresh.EnergyEvaluations (4.0 * 4.0) "TB: one log R per trajectory"
                  // A finished checkpoint whose parameters differ proves the run loads it rather than retraining.
                  let altered = Trainer(gmm25.Create(), s 3UL)
                  altered.Train 4L
                  let theta = altered.Optimizer.Groups.[0].Parameters

                  for i in 0 .. theta.Length - 1 do
                      theta.[i] <- theta.[i] + 0.05

                  Checkpoint.Save(altered, checkpointPath b name (s 3UL) 4L)
                  Expect.notEqual (run b).Eval100.Elbo fresh.Eval100.Elbo "loaded the altered checkpoint"
                  let key = checkpointPath a "x" (s 1UL) 4L
                  Expect.notEqual key (checkpointPath a "x" (s 2UL) 4L) "other seed"
                  Expect.notEqual key (checkpointPath a "y" (s 1UL) 4L) "other target"

                  let other objective grid width =
                      TrainingSettings(
                          objective,
                          gmm25.Sigma,
                          grid,
                          5,
                          1UL,
                          batchSize = 4,
                          width = width,
                          harmonics = 4
                      )

                  Expect.equal
                      key
                      (checkpointPath a "x" (other Objective.TrajectoryBalance GridKind.Random 8) 4L)
                      "same settings"

                  Expect.notEqual
                      key
                      (checkpointPath a "x" (other Objective.VarGrad GridKind.Random 8) 4L)
                      "other objective"

                  Expect.notEqual
                      key
                      (checkpointPath a "x" (other Objective.TrajectoryBalance GridKind.Uniform 8) 4L)
                      "other grid"

                  Expect.notEqual
                      key
                      (checkpointPath a "x" (other Objective.TrajectoryBalance GridKind.Random 16) 4L)
                      "other width"

                  Expect.notEqual (checkpointPath a "x" (s 1UL) 4L) (checkpointPath a "x" (s 1UL) 8L) "other budget"
              finally
                  Directory.Delete(a, true)
                  Directory.Delete(b, true)
          }

          test
              "the full budget starts TB's, SubTB's and DB's C3 arms by benchmark, TB's published setting, then by objective" {
              let budget = BoltzmannTrainingSection.budget Full "unused"
              let all = jobs budget
              let order = all |> List.sortBy (startOrder budget)

              let kind (_, _, g, n, _, i) =
                  match g, n, i with
                  | GridKind.Random, 10, 25000L -> "coarse"
                  | GridKind.Uniform, 100, 2500L -> "fine"
                  | GridKind.Uniform, 100, 25000L -> "published"
                  | _ -> "rest"

              let objective (_, o, _, _, _, _) = o

              Expect.equal (List.length all) (3 * 5 * (2 * 4 + 1) * 5) "every run once"

              // TB and the time-local arms: on each benchmark, TB's 5 seeds × 2 arms, then SubTB's, then DB's.
              let first = List.take 90 order

              Expect.equal
                  [ for b: Benchmark, o, _, _, _, _ in first -> b.Name, o ]
                  [ for b in [ gmm25; funnel; manywell ] do
                        for o in
                            [ Objective.TrajectoryBalance
                              Objective.SubTrajectoryBalance
                              Objective.DetailedBalance ] do
                            yield! List.replicate 10 (b.Name, o) ]
                  "benchmark by benchmark, TB then SubTB then DB"

              Expect.equal
                  [ for b: Benchmark, _, _, _, s, _ as j in List.take 4 first -> b.Name, s, kind j ]
                  [ gmm25.Name, 1UL, "coarse"
                    gmm25.Name, 1UL, "fine"
                    gmm25.Name, 2UL, "coarse"
                    gmm25.Name, 2UL, "fine" ]
                  "arms of one benchmark, seed by seed"

              Expect.isTrue (first |> List.forall (fun j -> kind j <> "published" && kind j <> "rest")) "arms only"

              // Then blocks of one objective: its published setting (15 runs), or its C3 arms (30).
              let blocks =
                  [ Objective.TrajectoryBalance, "published"
                    Objective.VarGrad, "arms"
                    Objective.VarGrad, "published"
                    Objective.SubTrajectoryBalance, "published"
                    Objective.DetailedBalance, "published"
                    Objective.KullbackLeibler, "arms"
                    Objective.KullbackLeibler, "published" ]

              let mutable rest = List.skip 90 order

              for o, what in blocks do
                  let size = if what = "arms" then 30 else 15
                  let block = List.take size rest
                  rest <- List.skip size rest
                  Expect.equal (block |> List.map objective |> List.distinct) [ o ] $"{o} {what} in one block"
                  let kinds = block |> List.map kind |> List.distinct |> List.sort

                  if what = "arms" then
                      Expect.equal kinds [ "coarse"; "fine" ] $"{o}: C3 arms only"
                  else
                      Expect.equal kinds [ "published" ] $"{o}: published setting only"

                      Expect.equal
                          [ for b: Benchmark, _, _, _, s, _ in List.take 4 block -> b.Name, s ]
                          [ gmm25.Name, 1UL; funnel.Name, 1UL; manywell.Name, 1UL; gmm25.Name, 2UL ]
                          "published setting seed-major"

              Expect.isTrue (rest |> List.forall (kind >> (=) "rest")) "only the rest afterwards"
              let costs = [ for _, _, _, n, _, i in rest -> int64 n * i ]
              Expect.equal costs (List.sort costs) "the rest cheapest first"
          }

          testPropertyWithConfig config "the shards' shares partition the full study, each in start order"
          <| fun (count: PositiveInt) ->
              let count = min count.Get 700
              let budget = BoltzmannTrainingSection.budget Full "unused"
              let all = jobs budget |> Array.ofList
              let whole = shareOf budget 0 1
              let shares = [ for i in 0 .. count - 1 -> shareOf budget i count ]
              Expect.equal (shares |> Array.concat |> Array.sort) [| 0 .. all.Length - 1 |] "every run in one share"

              for share in shares do
                  let ranks = share |> Array.map (fun k -> Array.IndexOf(whole, k))
                  Expect.equal ranks (Array.sort ranks) "a share keeps the start order"

              Expect.equal (Array.tryHead shares.Head) (Array.tryHead whole) "share 0 starts with the first run"

          test "a share out of range is refused naming it" {
              let budget = BoltzmannTrainingSection.budget Full "unused"

              for index, count in [ 0, 0; -1, 2; 2, 2 ] do
                  let e = Expect.throwsC (fun () -> shareOf budget index count |> ignore) id

                  Expect.stringContains e.Message $"share {index}/{count} is out of range" "names the share"
          }

          test "a training run read back from the cache equals the computed one and is not recomputed" {
              let dir = tempDir ()

              try
                  let budget = tinyBudget dir

                  let _, computed, cached = memoryCache ()

                  let bm = budget.Benchmarks.Head

                  let run () =
                      trainCached cached budget bm budget.Objectives.Head GridKind.Random 10 1UL budget.Iterations

                  let first, again = run (), run ()
                  Expect.equal computed.Value 1 "trained once"
                  Expect.equal again first "the cached run is read back the same"
                  // The direct run resumes from the checkpoint the cached one left and evaluates on the same draws;
                  // only its wall time differs.
                  let direct =
                      train budget bm budget.Objectives.Head GridKind.Random 10 1UL budget.Iterations

                  Expect.equal { first with Seconds = direct.Seconds } direct "every number of the run, bit for bit"

                  Expect.isNonEmpty first.Sweep "a random N_train = 10 run carries its C6 sweep"
              finally
                  Directory.Delete(dir, true)
          }

          test
              "a tiny training section builds: C3 and C6 verdicts, valid figures, the table and the reduced-scale notice" {
              let dir = tempDir ()

              try
                  let s =
                      BoltzmannTrainingSection.trainingSection (fun _ compute -> compute ()) Quick (tinyBudget dir)

                  Expect.equal s.ClaimIds [ "C3"; "C6" ] "claims"
                  Expect.equal s.Figures.Length 6 "four quality metrics, energy evaluations and wall time"

                  let dlogz = s.Figures.Head

                  Expect.equal
                      [ for x in dlogz.Series -> x.Style ]
                      [ Measured; Measured; Measured; Theory ]
                      "uniform, random, the tenth-budget arm and the untrained level"

                  // Two seeds: the band is the mean ± t(1; 0.975) · SE.
                  let random = dlogz.Series.[1]
                  let lo, hi = random.Band.Value

                  Expect.isTrue
                      (Array.zip3 lo random.Y hi |> Array.forall (fun (l, y, h) -> l <= y && y <= h))
                      "band around the mean"

                  Expect.stringContains s.Method "Reduced-scale run" "says it is reduced scale"
                  Expect.stringContains s.Method "TB: 1.176±0.109" "reference numbers"
                  Expect.stringContains s.Reason "C6" "C6 reported"

                  Expect.stringContains
                      s.Reason
                      "Trained against untrained"
                      "says whether training beat the untrained sampler"
              finally
                  Directory.Delete(dir, true)
          }

          test "a cached-only rendering judges a comparison whose arms have finished exactly as the finished study does" {
              let dir = tempDir ()

              try
                  let budget = withSubTB (tinyBudget dir)

                  let store, _, compute = memoryCache ()
                  let cachedOnly = cachedOnlyFrom store

                  // Both equal-cost arms and the equal-energy arm of every seed and objective, and the untrained
                  // evaluations.
                  let arms = c3Arms budget

                  for o in budget.Objectives do
                      cacheArms compute budget o [ arms.Coarse; arms.EqualCost; arms.SameIterations ]

                  let partial = BoltzmannTrainingSection.trainingSection cachedOnly Quick budget
                  Expect.stringContains partial.Title "partly computed" "still partial"
                  let complete = BoltzmannTrainingSection.trainingSection compute Quick budget
                  Expect.isFalse (complete.Title.Contains "partly") "the study finished"
                  Expect.equal partial.Evidence complete.Evidence "the same judgement, word for word"

                  Expect.equal
                      [ for j in complete.Evidence -> j.Subject ]
                      [ "C3 25GMM, TrajectoryBalance"
                        "C3 25GMM, TrajectoryBalance, same iterations"
                        "C3 25GMM, SubTrajectoryBalance"
                        "C3 25GMM, SubTrajectoryBalance against TrajectoryBalance"
                        "C3 25GMM, SubTrajectoryBalance, same iterations"
                        (List.last complete.Evidence).Subject ]
                      "equal cost, the time-local objective against TB, the same iterations, then C6"

                  Expect.stringStarts (List.last complete.Evidence).Subject "C6 25GMM, seed " "C6 names its model"
                  Expect.isTrue (List.last complete.Evidence).Counted "C6 counts towards the section's verdict"

                  Expect.equal partial.Verdict complete.Verdict "the same verdict"
                  Expect.stringContains partial.Reason "judged for 2 of the 2" "says what it covers"
                  Expect.equal partial.Figures.Length 12 "six figures for each objective with finished runs"
                  Expect.stringContains complete.Method "against TrajectoryBalance on the same grid" "method says how"
              finally
                  Directory.Delete(dir, true)
          }

          test "a cached-only rendering tables the finished runs and judges no comparison whose arms are incomplete" {
              let dir = tempDir ()

              try
                  let budget = tinyBudget dir

                  let store, _, compute = memoryCache ()
                  let cachedOnly = cachedOnlyFrom store

                  // One published-setting run (uniform N = 100 at the full budget), seed 2, is finished.
                  trainCached
                      compute
                      budget
                      gmm25
                      Objective.TrajectoryBalance
                      GridKind.Uniform
                      100
                      2UL
                      budget.Iterations
                  |> ignore

                  let s = BoltzmannTrainingSection.trainingSection cachedOnly Quick budget
                  let total = List.length (jobs budget)
                  Expect.equal s.Verdict NotComputed "no verdict"
                  Expect.equal s.ClaimIds [ "C3"; "C6" ] "claims"

                  Expect.all
                      s.Evidence
                      (fun j -> j.Verdict = NotComputed && not j.Counted)
                      "every comparison listed as not computed, none counted"

                  Expect.stringContains
                      s.Reason
                      "only these). Not judged yet: 25GMM, TrajectoryBalance (0 of the 4 equal-cost runs cached; the untrained sampler's evaluations are not cached yet)."
                      "what the comparison lacks"

                  Expect.stringContains s.Title "partly computed" "title"
                  Expect.stringContains s.Reason $"1 of the study's {total} training runs" "counts"
                  Expect.stringContains s.Reason "1 of them at the published setting" "published count"

                  Expect.stringContains s.Method "| 25GMM | TrajectoryBalance | Uniform | 100 | 4 | 2 |" "the run's row"

                  Expect.stringContains s.Method "TB: 1.176±0.109" "beside [S24]"

                  Expect.equal
                      [ for f in s.Figures -> f.Id, [ for x in f.Series -> x.Label ] ]
                      [ for key in [ "dlogz"; "dlogzrw"; "eubo"; "w2"; "energy"; "wall" ] ->
                            $"train-25gmm-trajectorybalance-{key}", [ "uniform grid, N_train = 100" ] ]
                      "figures of the finished run alone: no untrained level (not cached), no empty series"

                  let none =
                      BoltzmannTrainingSection.trainingSection
                          (fun key _ -> raise (RateLab.Analysis.Report.Context.NotInCache key))
                          Quick
                          budget

                  Expect.stringContains none.Method "No run has finished yet." "empty cache"
              finally
                  Directory.Delete(dir, true)
          }

          test "a time-local objective is not judged against TB until TB's coarse arm has every seed" {
              let dir = tempDir ()

              try
                  let budget = withSubTB (tinyBudget dir)

                  let store, _, compute = memoryCache ()
                  let arms = c3Arms budget

                  // SubTB's two equal-cost arms finished, TB's coarse arm only for seed 1.
                  cacheArms compute budget Objective.SubTrajectoryBalance [ arms.Coarse; arms.EqualCost ]

                  let c = arms.Coarse

                  trainCached compute budget gmm25 Objective.TrajectoryBalance c.Grid c.Steps 1UL c.Iterations
                  |> ignore

                  let s = BoltzmannTrainingSection.trainingSection (cachedOnlyFrom store) Quick budget

                  Expect.equal
                      [ for j in s.Evidence -> j.Subject, j.Counted ]
                      [ "C3 25GMM, SubTrajectoryBalance", true
                        "C3 25GMM, TrajectoryBalance", false
                        "C6 25GMM, seed 2", true ]
                      "SubTB judged at equal cost, TB not computed, no time-local comparison yet; C6 on the best coarse model"

                  Expect.stringContains
                      s.Reason
                      "(Against TrajectoryBalance on the coarse grid: judged when both coarse arms have every seed.)"
                      "says what the time-local comparison waits for"

                  Expect.stringContains
                      s.Reason
                      "(At the same iterations (ten times the energy evaluations for a time-local objective), N = 100 uniform for all iterations: no seed has finished yet;"
                      "the same-iterations arm of a time-local objective is not called equal-energy, and not untrained"

                  let empty =
                      BoltzmannTrainingSection.trainingSection
                          (fun key _ -> raise (RateLab.Analysis.Report.Context.NotInCache key))
                          Quick
                          budget

                  Expect.stringContains
                      empty.Reason
                      "25GMM, SubTrajectoryBalance (0 of the 4 equal-cost runs cached; the untrained sampler's evaluations are not cached yet; its comparison with TrajectoryBalance on the coarse grid waits for them too)"
                      "a waiting time-local objective says that its comparison with TB waits too"
              finally
                  Directory.Delete(dir, true)
          } ]
