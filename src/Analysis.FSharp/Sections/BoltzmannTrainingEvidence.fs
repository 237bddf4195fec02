/// The training study's evidence rows: C3 per benchmark and objective (against the untrained sampler, at equal
/// network cost, at the same iterations, time-local against TB) and C6 on the coarse model that trained best.
module RateLab.Analysis.Sections.BoltzmannTrainingEvidence

open RateLab.Boltzmann
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Claims
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Studies.BoltzmannStudies
open RateLab.Analysis.Claims.Comparisons
open RateLab.Analysis.Sections.BoltzmannTable1

/// What C3 compares, the opening of its reason.
let c3Heading (b: TrainingBudget) =
    let arms = c3Arms b

    $"C3 at equal network cost (N = {arms.Coarse.Steps} random at {arms.Coarse.Iterations} iterations vs N = {arms.EqualCost.Steps} uniform at {arms.EqualCost.Iterations}), ΔlogZ at N_eval = 100"

/// The untrained sampler's ΔlogZ on `bm`, one per seed in the budget's order: the baseline both C3 arms must beat.
let baseline (cached: Cached) (b: TrainingBudget) (bm: Benchmark) =
    untrainedRuns cached b bm |> List.map (fun e -> e.DeltaLogZ)

/// The baselines of some benchmarks by (benchmark, seed), for C6's choice of model.
let gapMap (b: TrainingBudget) (baselines: (Benchmark * float list) list) =
    Map.ofList
        [ for bm, gaps in baselines do
              yield! List.zip [ for seed in b.Seeds -> bm.Name, seed ] gaps ]

/// C3's "similar quality": two arms are similar when the Welch interval of their difference lies within this share of
/// the reference arm's mean ΔlogZ (docs/claims.md, C3). C3 gives no number; a fifth is the tolerance we judge it with.
let similarity = 0.2

/// C3 for one benchmark and objective, each seed paired with the untrained sampler on the same evaluation draws. At
/// equal network cost: N = 10 random at the full budget against N = 100 uniform at a tenth of it. At the same
/// iterations (equal energy evaluations for the objectives with one log R per trajectory), once N = 100 uniform at
/// the full budget has every seed: whether the coarse grid reaches similar quality at a tenth of the network cost;
/// until then that arm is quoted, not judged.
let c3Judgements (b: TrainingBudget) (runs: TrainingRun list) (baseline: float list) (bm: Benchmark) o =
    let arms = c3Arms b

    let gaps a =
        armRuns runs bm o a |> List.map (fun r -> r.Eval100.DeltaLogZ)

    let coarse = gaps arms.Coarse
    let sameIterations = gaps arms.SameIterations
    let v, why = compareEqualCost similarity baseline coarse (gaps arms.EqualCost)

    let judgeSameIterations =
        sameIterations.Length = baseline.Length && coarse.Length = baseline.Length

    // The same-iterations arm costs the same energy evaluations only with one log R per trajectory; a time-local
    // objective evaluates log R at every state, so there it costs ten times the energy too.
    let sameIterationsArm =
        if isTimeLocal o then
            "At the same iterations (ten times the energy evaluations for a time-local objective), N = 100 uniform for all iterations"
        else
            "At equal energy evaluations, N = 100 uniform for all iterations"

    let quoted =
        match sameIterations with
        | _ when judgeSameIterations -> ""
        | [] when not (List.contains arms.SameIterations.Steps b.TrainSteps) ->
            " (N = 100 at the full budget, the same-iterations arm, is not trained in this profile.)"
        | [] -> $" ({sameIterationsArm}: no seed has finished yet; judged when every seed has finished.)"
        | xs ->
            $" ({sameIterationsArm}: {spread xs} over {xs.Length} of {baseline.Length} seeds so far, at ten times the network cost; judged when every seed has finished.)"

    let trained =
        if coarse.Length < 2 then
            ""
        else
            let i = pairedImprovement baseline coarse

            let outcome =
                if i.Significant then
                    "significantly better"
                else
                    "not significantly better"

            $" Trained against untrained: the N = 10 random model lowers ΔlogZ by {i.Mean:g3} ± {i.StdError:g2} "
            + $"(paired over {coarse.Length} seeds, t = {i.T:g3} against {i.Critical:g3} at 97.5 %%), {outcome} than the untrained sampler."

    let cannot =
        "a qualitative comparison at one budget: no rate, and only the objectives and benchmarks trained here"

    // C3's second half: a time-local objective's coarse arm against the reference objective's, once both have every
    // seed (the reference's runs start first, so in practice whenever this objective's arms have finished).
    let reference = armRuns runs bm timeLocalReference arms.Coarse

    let timeLocal =
        isTimeLocal o
        && List.contains timeLocalReference b.Objectives
        && reference.Length = baseline.Length
        && coarse.Length = baseline.Length

    let waitsForReference =
        if isTimeLocal o && List.contains timeLocalReference b.Objectives && not timeLocal then
            $" (Against {timeLocalReference} on the coarse grid: judged when both coarse arms have every seed.)"
        else
            ""

    [ { Verdicts.Subject = $"C3 {bm.Name}, {o}"
        Verdicts.Verdict = v
        Verdicts.Reason = $"{bm.Name}, {o}: {why}{trained}{quoted}{waitsForReference}"
        Verdicts.CannotShow = cannot
        Verdicts.Counted = true }
      if timeLocal then
          let v, why =
              compareCompetitive
                  similarity
                  (string o, string timeLocalReference)
                  baseline
                  coarse
                  (reference |> List.map (fun r -> r.Eval100.DeltaLogZ))

          { Verdicts.Subject = $"C3 {bm.Name}, {o} against {timeLocalReference}"
            Verdicts.Verdict = v
            Verdicts.Reason =
              $"{bm.Name}, time-local {o} against global {timeLocalReference}, both N = {arms.Coarse.Steps} random at {arms.Coarse.Iterations} iterations: {why}"
            Verdicts.CannotShow =
              "competitive with TB under identical settings, not with every published objective; one budget, so not whether the gap closes with training"
            Verdicts.Counted = true }
      if judgeSameIterations then
          let v, why = compareSimilar similarity baseline coarse sameIterations

          { Verdicts.Subject = $"C3 {bm.Name}, {o}, same iterations"
            Verdicts.Verdict = v
            Verdicts.Reason =
              $"{bm.Name}, {o}, N = 10 random against N = 100 uniform both at {b.Iterations} iterations (equal energy evaluations for one log R per trajectory): {why}"
            Verdicts.CannotShow = cannot
            Verdicts.Counted = true } ]

/// C6 on the N = 10 random model (full budget) among `runs` that improved most on its untrained sampler (an untrained
/// sampler's gap plateaus trivially): the plateau rule when that model beats the untrained one by 2 SE, otherwise
/// inconclusive. A counted evidence row with the sweep for the method; None without such a run.
let c6 (b: TrainingBudget) (runs: TrainingRun list) (untrainedGap: Map<string * uint64, float>) =
    let candidates =
        runs
        |> List.filter (fun r ->
            isArm (c3Arms b).Coarse (r.Grid, r.TrainSteps, r.Iterations)
            && untrainedGap.ContainsKey(r.Benchmark, r.Seed))

    if candidates.IsEmpty then
        None
    else
        let run =
            candidates
            |> List.maxBy (fun r -> untrainedGap.[r.Benchmark, r.Seed] - r.Eval100.DeltaLogZ)

        let untrained = untrainedGap.[run.Benchmark, run.Seed]

        let verdict, why =
            if untrained - run.Eval100.DeltaLogZ > 2.0 * run.Eval100.Elbo.StandardError then
                plateau run.Sweep
            else
                Inconclusive,
                $"the model's gap at N_eval = 100 ({run.Eval100.DeltaLogZ:g3}) is not below the untrained sampler's ({untrained:g3}, same evaluation draws) by 2 SE, so it is not trained enough to test a claim about trained models (sweep shown in the method)."

        let sweep =
            run.Sweep
            |> List.map (fun (n, g, s) -> $"{n}: {g:g3} ± {s:g2}")
            |> String.concat ", "

        Some(
            { Verdicts.Subject = $"C6 {run.Benchmark}, seed {run.Seed}"
              Verdicts.Verdict = verdict
              Verdicts.Reason =
                $"C6 ({verdictText verdict}): ELBO gap log Z − ELBO of the {run.Benchmark} N = 10 random model (seed {run.Seed}) on uniform N_eval grids: {why}"
              Verdicts.CannotShow =
                "a sweep up to a finite N_eval cannot show the limit: a plateau or an extrapolation assumes the gap changes beyond the finest grid no more than its last differences suggest; one model of one seed"
              Verdicts.Counted = true },
            $"C6 sweep (N_eval: gap ± SE): {sweep}."
        )
