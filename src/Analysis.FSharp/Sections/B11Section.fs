/// B11 ([KN24]): PLMC on the 1000-step DDPM chain at 50–80 NFE against respaced DDPM, DDIM, DPM-Solver-1 and
/// DPM-Solver-2 at equal counted NFE, on Gaussian data (exact laws; PLMC bracketed by its exact moment-matched law and
/// Monte Carlo upper bounds) and on a Gaussian mixture (MMD² with standard errors). Each comparison is a row with the
/// direction of its evidence; the claim is universal over competitors, so the rows combine as the verdict rules say.
module RateLab.Analysis.Sections.B11Section

open System
open RateLab.Analysis.Model
open RateLab.Core.Contracts
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Claims
open RateLab.Analysis.Claims.Claim
open RateLab.Analysis.Claims.Comparisons
open RateLab.Analysis.Studies
open RateLab.Analysis.Plots
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Sections.SectionKit

/// PLMC's outer steps: K = 40 and 25 fine steps each, expected NFE (2 − 1/K)·n = 49.4 and 78.4.
let outerSteps = [ 25; 40 ]

/// Monte Carlo sizes per profile: draw replicates of PLMC's E_draws bounds, groups × draws per group of its 1-D
/// mixture bound, and chains (= reference draws) of the mixture-data arms. The groups are large because the group KL
/// is heavy-tailed: a rare draw with a wide law dominates the group that holds it, so small groups understate the
/// bound's mean beyond their standard error (docs/claims.md, "B11 at equal NFE").
type Settings =
    { Replicates: int
      Groups: int
      PerGroup: int
      Chains: int }

let settings profile =
    match profile with
    | Quick ->
        { Replicates = 64
          Groups = 8
          PerGroup = 256
          Chains = 1000 }
    | Full ->
        { Replicates = 256
          Groups = 16
          PerGroup = 512
          Chains = 4000 }

/// z of every comparison: a false alarm per row of about 3·10⁻⁷ under normality.
let private z = 5.0

/// The Gaussian data: the claim's 1-D instance and a spread spectrum in d = 8.
let private gaussianCases =
    let spread = Array.init 8 (fun i -> exp (log 0.05 * float i / 7.0))

    [ "N(0, 0.25), d = 1",
      GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 0.25 |], StartLaw.Isotropic(1, 1.0))
      "N(0, diag λ), d = 8, λ log-spaced 1 … 0.05",
      GaussianReduction.Diagonal(ReadOnlySpan(Array.zeroCreate 8), ReadOnlySpan spread, StartLaw.Isotropic(8, 1.0)) ]

let private shown (e: Estimate) =
    if Double.IsNaN e.StdError then
        $"{e.Value:g3}"
    else
        $"{e.Value:g3} ± {e.StdError:g2}"

let private row subject verdict reason cannot =
    { Verdicts.Subject = subject
      Verdicts.Verdict = verdict
      Verdicts.Reason = reason
      Verdicts.CannotShow = cannot
      Verdicts.Counted = true }

let private decisionText v =
    match v with
    | Consistent -> "PLMC better (its upper bound + 5 SE is below)"
    | ViolatesBound -> "PLMC worse (its exact lower bound is above)"
    | _ -> "undecided (the competitor lies inside PLMC's bracket)"

let private point nfe (e: Estimate) =
    { Steps = 0
      StepSize = nan
      Nfe = nfe
      Depth = nan
      Error = e }

let private curve name target dimension metric method (points: ErrorPoint list) =
    { Sampler = name
      Parameters = []
      Target = target
      Dimension = dimension
      Metric = metric
      Seeds = [ Seeds.Report ]
      Points = points
      Method = method }

/// The Gaussian rows of one case, and its curves (KL against NFE).
let private gaussianCase (s: Settings) (name: string, reduction: GaussianReduction) =
    let results =
        [ for outer in outerSteps ->
              let p = B11Study.plmcArm reduction outer s.Replicates
              // In 1-D the grouped-mixture bound replaces E_draws KL, which the per-draw scatter dominates.
              let klUpper =
                  if reduction.Dimension = 1 then
                      B11Study.plmcMixtureKl reduction outer s.Groups s.PerGroup
                  else
                      p.Kl.Upper

              let nfe = int (Math.Round p.Nfe)

              let arms =
                  B11Study.competitors
                  |> List.map (fun c -> B11Study.competitorArm reduction c nfe)

              p, klUpper, nfe, arms ]

    let rows =
        [ for p, klUpper, nfe, arms in results do
              for a in arms ->
                  let byKl = compareAtEqualNfe z klUpper p.Kl.Lower a.Kl.Upper.Value
                  let byW2 = compareAtEqualNfe z p.W2.Upper p.W2.Lower a.W2.Upper.Value
                  let decision = combineComparisons [ byKl; byW2 ]

                  row
                      $"{name}, {nfe} NFE: PLMC vs {a.Name}"
                      decision
                      ($"{p.Name} at {p.Nfe:F1} counted NFE: KL in [{shown p.Kl.Lower}, {shown klUpper}], W2 in [{shown p.W2.Lower}, {shown p.W2.Upper}]; "
                       + $"{a.Name} at {a.Nfe:F0} NFE: KL {a.Kl.Upper.Value:g3}, W2 {a.W2.Upper.Value:g3} (exact). By KL: {decisionText byKl}; by W2: {decisionText byW2}.")
                      "one Gaussian instance: the paper's FID claim on images is not tested" ]

    let plmcCurve which metric (pick: Estimate * B11Study.GaussianArm -> Estimate) =
        curve
            $"PLMC-DDPM ({which})"
            name
            reduction.Dimension
            metric
            $"PLMC-DDPM's {which} of KL to the data"
            [ for p, klUpper, _, _ in results -> point p.Nfe (pick (klUpper, p)) ]

    let competitorCurves =
        [ for i, c in List.indexed B11Study.competitors ->
              curve
                  c.Name
                  name
                  reduction.Dimension
                  ExactKl
                  $"exact KL of {c.Name} on the respaced schedule"
                  [ for _, _, _, arms in results -> let a = arms[i] in point a.Nfe a.Kl.Upper ] ]

    let curves =
        [ plmcCurve "exact moment-matched lower bound" KlLower (fun (_, p) -> p.Kl.Lower)
          plmcCurve "upper bound" KlUpper fst ]
        @ competitorCurves

    let full = B11Study.ddpm1000 reduction

    let plmcAt78 =
        results
        |> List.last
        |> fun (p, u, _, _) -> $"PLMC at {p.Nfe:F1} NFE: KL in [{shown p.Kl.Lower}, {shown u}]"

    rows, curves, $"{name}: DDPM-1000 KL {full.Kl.Upper.Value:g3} (exact); {plmcAt78}."

/// The mixture rows: MMD² with kernel width ℓ = σ (the components' own scale) of every arm against exact draws of a
/// two-component mixture in d = 1. W₂ and a median-bandwidth MMD are dominated by the sampling noise of the modes'
/// weights (a fraction of mass moved across the separation), which hides the modes' shape that samplers get wrong.
let private mixtureCase (s: Settings) =
    let sigma = 0.15
    let name = $"two-component Gaussian mixture, d = 1, σ = {sigma}"

    let c =
        comp "gaussian-mixture" [ "components", Number 2.0; "separation", Number 3.0; "sigma", Number sigma ]

    let target =
        match (Catalog.target c.Name).Build c 1 with
        | Catalog.NonGaussian t -> t
        | Catalog.Gaussian _ -> invalidOp "gaussian-mixture built a Gaussian law"

    let seed = Seeds.Report
    let reference = MonteCarlo.referenceDraws target 1 0.0 seed 0L s.Chains

    [ for outer in outerSteps do
          let kernel = B11Study.plmc 1 outer

          let p =
              B11Study.mixtureArm
                  target
                  $"PLMC-DDPM ({outer} outer steps, K = {kernel.K})"
                  kernel
                  kernel.Steps
                  s.Chains
                  seed
                  sigma
                  reference

          let nfe = int (Math.Round p.Nfe)

          for comp in B11Study.competitors ->
              let n = comp.StepsFor nfe
              let grid = (B11Study.schedule ()).Uniform n

              let a =
                  B11Study.mixtureArm
                      target
                      $"{comp.Name} ({n} steps)"
                      (comp.Make 1 grid)
                      grid.Steps
                      s.Chains
                      seed
                      sigma
                      reference
              // Both are measured against the same reference draws, so their errors may be correlated: the sum of the
              // standard errors bounds the difference's whatever the correlation.
              let se = p.Mmd.StdError + a.Mmd.StdError
              let diff = a.Mmd.Value - p.Mmd.Value

              let decision =
                  if diff > z * se then Consistent
                  elif diff < -z * se then ViolatesBound
                  else Inconclusive

              row
                  $"{name}, {nfe} NFE: PLMC vs {a.Name}"
                  decision
                  ($"MMD² (ℓ = σ) to {s.Chains} exact draws: PLMC {p.Mmd.Value:g3} ± {p.Mmd.StdError:g2} at {p.Nfe:F1} NFE, {a.Name} {a.Mmd.Value:g3} ± {a.Mmd.StdError:g2} at {a.Nfe:F0} NFE; "
                   + $"difference {diff:g3} against 5 × (sum of SEs) = {z * se:g3}: "
                   + (match decision with
                      | Consistent -> "PLMC better."
                      | ViolatesBound -> "PLMC worse."
                      | _ -> "undecided."))
                  "Monte Carlo on one mixture: a difference below 5 standard errors cannot be told from noise" ]

/// The section.
let section (ctx: ReportContext) (claim: Claim) : Section =
    let s = settings ctx.Profile
    let gaussian = gaussianCases |> List.map (gaussianCase s)
    let evidence = (gaussian |> List.collect (fun (r, _, _) -> r)) @ mixtureCase s
    let curves = gaussian |> List.collect (fun (_, c, _) -> c)

    let figures =
        [ for i, (caseName, _) in List.indexed gaussianCases ->
              let _, c, _ = gaussian[i]
              Figures.errorVsNfe $"b11-equal-nfe-{i + 1}" $"B11 on {caseName}: KL to the data against counted NFE" c ]

    let verdict = Verdicts.combine evidence

    let count v =
        evidence |> List.filter (fun j -> j.Verdict = v) |> List.length

    let outers = outerSteps |> List.map string |> String.concat " and "

    let reason =
        $"{count Consistent} comparisons show PLMC better, {count ViolatesBound} worse and {count Inconclusive} undecided at equal NFE. "
        + "B11 claims PLMC beats the ODE samplers at similar compute, so any comparison that shows it worse (its exact lower bound above a competitor's exact error, or a Monte Carlo difference beyond 5 SE) contradicts it on that instance, and support needs every comparison decided in its favour. "
        + String.Join(" ", gaussian |> List.map (fun (_, _, t) -> t))
        + " The paper's claim is about FID on images; these are Gaussian and mixture instances with exact scores."

    { Title = "B11: PLMC on DDPM against DDPM, DDIM and DPM-Solver at equal NFE"
      ClaimIds = [ claim.Id ]
      Verdict = verdict
      Reason = reason
      Evidence = evidence
      Method =
        $"{ClaimSection.claimText claim}\n\n"
        + "Every arm runs on the latent-diffusion VQ-f4 schedule (1000 steps, √β linear from 0.0015 to 0.0195) from N(0, I) and is compared with the data law (τ = 0). "
        + $"PLMC-DDPM: {outers} outer steps of K = 1000/n fine steps; its NFE is counted by the oracle on the draw replicates. "
        + "Competitors at the nearest equal NFE on the schedule respaced to n steps (levels round(1000(n − j)/n), ending at τ = 0): respaced DDPM (posterior variance), DDIM (η = 0), DPM-Solver-1 (n = NFE), DPM-Solver-2 (2n − 1 NFE: its last step to τ = 0 is first order). "
        + "Gaussian data: the competitors' output laws are exact. PLMC's law is a mixture over its Bernoulli patterns: its moment-matched Gaussian is computed exactly (the step is affine in the switch vector, so a pairwise rule of 1 + m + m(m − 1)/2 patterns integrates its moments exactly) and gives lower bounds on KL (Pythagorean identity) and W2 (Gelbrich); "
        + $"its upper bounds are E_draws KL and (E_draws W2²)^½ over {s.Replicates} draw replicates, and in d = 1 the KL upper bound is the grouped-mixture bound E KL(p̂_M ‖ q) over {s.Groups} groups of {s.PerGroup} draws (trapezoid quadrature; a rare draw with a wide law can dominate a group, so the group KLs are heavy-tailed and groups much smaller than these understate the bound beyond their SE, as docs/claims.md shows). "
        + $"Decision per competitor and metric (Comparisons.compareAtEqualNfe): PLMC better if its upper bound + {z} SE is below the competitor's exact value, worse if its exact lower bound is above it, else undecided; KL and W2 combined as in docs/claims.md. "
        + $"Mixture data: the catalog's gaussian-mixture with 2 equal-weight components of standard deviation σ = 0.15, means drawn from seed 0 at RMS separation 3 (−0.258 and 3.924); unbiased MMD² with a Gaussian kernel of width ℓ = σ = 0.15 (the components' scale; the median heuristic would blur the modes' shape) of {s.Chains} chains of each arm against the same {s.Chains} exact draws; PLMC better or worse when the difference exceeds {z} × the sum of the two standard errors (a bound on the difference's SE whatever the correlation through the shared reference)."
      Fits = []
      Figures = figures
      Curves = curves }
