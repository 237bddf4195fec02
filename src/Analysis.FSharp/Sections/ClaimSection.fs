/// The generic claim check: one section per claim, built only from the claim's data (docs/claims.md). Cost claims get
/// N*(d, ε) searches per evidence metric and cost fits; decay claims get error curves on a doubling grid and decay
/// fits; every fitted exponent is judged by Claims/Verdicts with the direction its metric gives. The built-in registry
/// and `ratelab check` on a user's file run through this one path.
module RateLab.Analysis.Sections.ClaimSection

open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Claims.Claim
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Sections.ClaimJudging
open RateLab.Analysis.Sections.ClaimCostTest
open RateLab.Analysis.Sections.ClaimSweepTest
open RateLab.Analysis.Sections.ClaimDecayTest

let private gradeText grade =
    match grade with
    | Verified -> "verified"
    | Reconstructed -> "reconstructed"
    | Unverified -> "unverified"

/// The claim as the report prints it: statement, metric, assumptions, source and provenance grade.
let claimText (c: Claim) =
    let logText =
        c.LogFactor
        |> Option.map (fun f -> $" Explicit log factor: {LogFactor.describe f}.")
        |> Option.defaultValue ""

    $"**Claim {c.Id}** ({c.Sampler}). Statement: {c.Statement}. Metric: {c.Metric}. Assumptions: {c.Assumptions}.{logText} "
    + $"Source: {c.Source}; grade: {gradeText c.Grade} ({c.GradeDetail})."

/// Runs every test of a claim.
let outcomes (ctx: ReportContext) (c: Claim) =
    c.Tests
    |> List.mapi (fun i t ->
        match c.Form, t.Sweep with
        | CostBound, Some parameter -> sweepTest ctx c i t parameter
        | CostBound, None -> costTest ctx c i t
        | ErrorDecay, _ -> decayTest ctx c i t
        | Qualitative, _ -> invalidArg "claim" $"claim {c.Id} is qualitative; it has no generic test")

/// The verdict paragraph: the combined verdict, each judgement's reason, and what the evidence cannot show.
let reasonOf (verdict: Verdict) (judgements: Verdicts.Judgement list) =
    let counted = judgements |> List.filter (fun j -> j.Counted)
    let reasons = counted |> List.map (fun j -> j.Reason) |> String.concat " "

    let limits =
        counted
        |> List.map (fun j -> j.CannotShow)
        |> List.distinct
        |> String.concat "; "

    $"Verdict: {verdictText verdict}. {reasons} What this evidence cannot show: {limits}."

/// One section for a claim with tests.
let section (ctx: ReportContext) (c: Claim) : Section =
    let results = outcomes ctx c
    let judgements = results |> List.collect (fun o -> o.Judgements)
    let verdict = Verdicts.combine judgements

    let setups =
        c.Tests |> List.map (fun t -> t.Setup) |> List.distinct |> String.concat " "

    let g = gridOf ctx.Profile c.Tests.Head

    let method =
        $"{claimText c}\n\n{setups} "
        + (match c.Form with
           | CostBound ->
               $"N*(d, ε) is the smallest step count whose error reaches the threshold at its conservative confidence limit (upper for upper-bound and exact evidence, lower for lower-bound evidence), by doubling then bisection; {g.Replicates} draw replicates per point, seed {g.Seed}. Cost = {costLabel c} counted by the oracle at N*. Cost fits: least squares of log cost on log d and log(1/ε), residual bootstrap-t intervals. "
           | _ ->
               $"Step counts double from {g.MinSteps} ({g.Levels} levels); {g.Replicates} draw replicates for randomized samplers, seed {g.Seed}. Exact curves are judged by their last local slope ± 2× its last change, Monte Carlo curves by the fitted order's bootstrap interval. ")
        + (results |> List.collect (fun o -> o.Notes) |> String.concat " ")

    { Title = $"{c.Id}: {c.Sampler}, {c.Metric}"
      ClaimIds = [ c.Id ]
      Verdict = verdict
      Reason = reasonOf verdict judgements
      Evidence = judgements
      Method = method
      Fits = results |> List.collect (fun o -> o.Fits)
      Figures = results |> List.collect (fun o -> o.Figures)
      Curves = results |> List.collect (fun o -> o.Curves) }
