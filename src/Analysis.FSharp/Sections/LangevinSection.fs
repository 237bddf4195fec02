/// reports/langevin: every Langevin sampler on an isotropic and an ill-conditioned diagonal Gaussian; error (exact, or
/// its bounds for randomized samplers) against step size and counted gradient evaluations; fitted orders with
/// confidence intervals next to the predicted order.
module RateLab.Analysis.Sections.LangevinSection

open RateLab.Analysis.Model
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Plots
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Sections.SectionKit

/// A Langevin sampler as this section runs it.
type Case =
    {
        Title: string
        Sampler: Component
        /// Predicted order p of KL in the step (KL ∝ h^p ∝ N^−p at a fixed horizon) and where it comes from.
        Order: float
        Source: string
    }

let private n name = Number name

/// Predicted orders are reconstructed (RateLab's derivations, not published claims): stationary variance biases ULA ≈ h/2,
/// ULMC ≈ η/4, PLMC tracks LMC(α/K) (first order), nested RLMC ≈ h³/6, Shen–Lee O(h³); KL is quadratic in the
/// variance error, so its order is twice the variance order.
let cases =
    [ { Title = "ULA"
        Sampler = comp "ula" [ "horizon", n 2.0 ]
        Order = 2.0
        Source =
          "ULA's stationary variance is exactly 1/(1 − h/2) on N(0,1), so the variance bias is ≈ h/2 and KL ∝ h² (exact derivation)" }
      { Title = "RLMC (overdamped randomized midpoint)"
        Sampler = comp "rlmc" [ "horizon", n 2.0 ]
        Order = 6.0
        Source =
          "nested RLMC's stationary variance is 1 + h³/6 + … on N(0,1), so the moment-matched KL ∝ h⁶ (reconstructed derivation)" }
      { Title = "ULMC (underdamped, exponential integrator)"
        Sampler = comp "ulmc" [ "horizon", n 2.0 ]
        Order = 2.0
        Source = "the exponential integrator's variance bias ≈ η/4 (reconstructed derivation), so KL ∝ η²" }
      { Title = "Shen–Lee randomized midpoint (underdamped)"
        Sampler = comp "shen-lee" [ "horizon", n 2.0 ]
        Order = 6.0
        Source =
          "Shen–Lee's variance bias is O(h³) on f = x²/2 (reconstructed derivation), so the moment-matched KL ∝ h⁶" }
      { Title = "PLMC on overdamped Langevin (K = 8)"
        Sampler = comp "plmc" [ "horizon", n 2.0; "K", n 8.0 ]
        Order = 2.0
        Source =
          "PLMC(α, K) tracks LMC(α/K), whose bias is first order in α, plus an O(α²) gap (reconstructed derivation), so KL ∝ α²" }
      { Title = "PLMC on underdamped Langevin (K = 8)"
        Sampler = comp "plmc-ulmc" [ "horizon", n 2.0; "K", n 8.0 ]
        Order = 2.0
        Source = "PLMC on the ULMC base tracks ULMC(α/K), first order in α (reconstructed), so KL ∝ α²" } ]

/// The two targets with their coarsest step count: h = 0.5/L at the coarsest level over the horizon 2.
let private targets (profile: Profile) =
    let kappa =
        match profile with
        | Quick -> 20.0
        | Full -> 100.0

    [ comp "isotropic-gaussian" [], 1000, 4
      comp "ill-conditioned-gaussian" [ "kappa", n kappa ], 16, int (4.0 * kappa) ]

let private levels profile =
    match profile with
    | Quick -> 6
    | Full -> 9

let private replicates profile =
    match profile with
    | Quick -> 64
    | Full -> 512

let private specFor profile (case: Case) (target: Component, d: int, n0: int) metric : ExperimentSpec =
    { Name = $"langevin-{case.Sampler.Name}-{target.Name}-{MetricNames.toName metric}"
      Sampler = case.Sampler
      Target = target
      Dimensions = [ d ]
      Metric = metric
      Steps = doubling n0 (levels profile)
      Chains = replicates profile
      Seeds = [ Seeds.Report ]
      Profile = profile
      Claims = [] }

/// The section of one sampler: both targets, every exact metric, order fits against steps and NFE.
let section (ctx: ReportContext) (case: Case) : Section =
    let isRandom =
        drawsRandomness (specFor ctx.Profile case (List.head (targets ctx.Profile)) ExactKl)

    let primary, metrics =
        if isRandom then
            KlLower, [ KlUpper; KlLower; W2Upper; W2Lower ]
        else
            ExactKl, [ ExactKl; ExactW2 ]

    let perTarget =
        [ for (target, d, n0) in targets ctx.Profile ->
              let curves =
                  metrics
                  |> List.map (fun m -> m, ctx.Run(specFor ctx.Profile case (target, d, n0) m) |> List.head)

              target, d, curves ]
    // No paper states these orders: each is RateLab's derivation, reported beside the measured order, not judged.
    let checks =
        [ for (target, d, n0) in targets ctx.Profile do
              for metric in [ primary ] @ (if isRandom then [ KlUpper ] else []) ->
                  let label =
                      $"{case.Sampler.Name} on {target.Name} (d = {d}): order of {MetricNames.toName metric} in h"

                  let derived =
                      if metric = primary then
                          Some(case.Order, case.Source)
                      else
                          None

                  let curve, fit, judgement, floorText =
                      ClaimDecayTest.orderCheck ctx label (specFor ctx.Profile case (target, d, n0) metric) derived

                  target, d, metric, curve, fit, judgement, floorText ]

    let evidence = checks |> List.map (fun (_, _, _, _, _, j, _) -> j)

    let reason =
        "No published claim states this order; RateLab's derivation is shown beside the measured order: "
        + (evidence |> List.map (fun j -> j.Reason) |> String.concat " ")

    let tables =
        [ for (target, d, metric, _, fit, _, _) in checks do
              match fit with
              | Ok f ->
                  let derived = if metric = primary then Some case.Order else None

                  yield
                      decayTable
                          $"{Figures.metricLabel metric} against steps at a fixed horizon, {target.Name} (d = {d}): order in h (no published claim; derived order shown)"
                          f
                          derived
              | Error _ -> () ]

    let figures =
        [ for (target, d, curves) in perTarget do
              let id = slug $"{case.Sampler.Name}-{target.Name}"

              yield
                  Figures.errorVsNfe
                      $"{id}-error"
                      $"{case.Title}: error vs gradient evaluations, {target.Name} (d = {d})"
                      (List.map snd curves)

              yield
                  Figures.localSlopes
                      $"{id}-slopes"
                      $"{case.Title}: local slopes, {target.Name} (d = {d})"
                      (curves |> List.filter (fst >> (=) primary) |> List.map snd)
                      (Some -(case.Order)) ]

    let method =
        let curve = perTarget |> List.head |> fun (_, _, cs) -> snd (List.head cs)

        $"Chains start at the target, so the error after the fixed horizon t = 2 is pure discretisation bias; the step is t/N "
        + $"for N on a doubling grid, NFE is counted by the oracle on 32 real chains. {curve.Method} "
        + $"Fits: least squares of log error on log(1/N), window chosen by rule (floors excluded), bootstrap intervals. "
        + $"Derived order: {case.Source}. "
        + (checks
           |> List.map (fun (_, _, _, _, _, _, f) -> f)
           |> List.distinct
           |> String.concat " ")

    { Title = case.Title
      ClaimIds = []
      Verdict = NoPublishedClaim
      Reason = reason
      Evidence = evidence
      Method = method
      Fits = tables
      Figures = figures
      Curves = perTarget |> List.collect (fun (_, _, cs) -> List.map snd cs) }

/// The whole part.
let part (ctx: ReportContext) : Units.PartPlan =
    { Slug = "langevin"
      Title = "Langevin samplers on Gaussian targets"
      Intro =
        "Every Langevin sampler on an isotropic Gaussian and on an ill-conditioned diagonal Gaussian. On Gaussian targets "
        + "each sampler is affine given its random draws, so its error is computed exactly (no Monte Carlo over states); "
        + "for randomized samplers the output law is a mixture and the report gives the convexity upper bound E_draws[KL] "
        + "and the moment-matched lower bound. MALA is not affine (accept/reject) and is checked by Monte Carlo in the "
        + "property tests instead. Gaussian targets are benign (docs/background.md): worst-case rates will not show here."
      Units =
        cases
        |> List.map (fun c -> Units.announced ctx.SectionDone c.Sampler.Name (fun () -> section ctx c)) }
