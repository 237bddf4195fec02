/// The two-sided gap between PLMC(α, K) and its base chain at the fine step α/K, over the horizon t = 2 against
/// n = t/α, bracketed on both sides on each problem of PoissonMidpointStudy.gapProblems; one builder for either base
/// dynamics (overdamped: claims A9/S5/S5'; underdamped: S6/S6'). KL: KL(p_G ‖ q) below (exact) and
/// KL(p_G ‖ q) + χ̂²(p ‖ p_G) + z·SE above (Pythagorean identity and the χ² bound, MixtureGapBound; a Monte Carlo upper
/// bound); W2: Gelbrich's bound from PLMC's exact moment-matched law below and Talagrand's (2 λ_max(q) KL_up)^½
/// above. Each pair is judged together (Verdicts.judgeTwoSided). The per-draw bounds (synchronous coupling where the
/// engine can propagate it, E_draws KL and W2²) stay in the tables and figures. The base chain's own bias at α is shown
/// beside it for the speed-up.
module RateLab.Analysis.Sections.PoissonMidpointGapSection

open System
open RateLab.Core.Samplers.Langevin
open RateLab.Analysis.Model
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Claims.Claim
open RateLab.Analysis.Studies
open RateLab.Analysis.Studies.PoissonMidpointStudy
open RateLab.Analysis.Plots
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Sections.SectionKit

/// What tells one gap section from the other: the base dynamics, the claims it judges and the words it uses.
type GapStudy =
    {
        Dynamics: BaseDynamics
        /// Every claim the section rests on, printed in its method (ClaimIds).
        Claims: Claim list
        /// The decay claim judged on the W2 pair.
        W2Claim: Claim
        /// The decay claim judged on the KL pair.
        KlClaim: Claim
        Title: string
        /// Parameters of every curve after the horizon and K.
        Parameters: (string * string) list
        /// The curves' sampler stem, e.g. plmc-vs-lmc(alpha/K).
        Pair: string
        /// The reference chain in prose, e.g. LMC(α/K).
        Reference: string
        /// The base chain at α: its curve name and its name in prose.
        BaseAtAlpha: string * string
        /// How the base chain's bias at α is computed.
        BiasMethod: string
        /// The set-up after K (what else fixes the dynamics).
        Setting: string
        /// How q and PLMC's moments (and the coupling, where there is one) are obtained.
        Model: string
        /// The section's explanation after the engine's, from the W2 and the KL verdicts.
        Explain: string -> string -> string
        /// Draw laws behind χ̂²(p ‖ p_G): its standard error falls as 1/√M, at M² pair integrals and M propagated
        /// draws.
        DrawLaws: int
        /// Figure ids start with this.
        FigurePrefix: string
        /// Captions of the W2-vs-NFE, local-slope and KL figures.
        Captions: string * string * string
    }

/// The curves of one problem.
type private GapSeries =
    { LowerW2: ErrorCurve
      CouplingW2: ErrorCurve option
      ConvexityW2: ErrorCurve
      TalagrandW2: ErrorCurve
      LowerKl: ErrorCurve
      UpperKl: ErrorCurve
      BoundKl: ErrorCurve
      Bias: ErrorCurve }

/// The section of one study.
let section (study: GapStudy) (ctx: ReportContext) : Section =
    let k = 8
    let horizon = 2.0
    let seed = Seeds.Report
    let replicates = 256
    let drawLaws = study.DrawLaws

    let levels =
        match ctx.Profile with
        | Quick -> 6
        | Full -> 8

    let ns = doubling 8 levels
    // NFE of PLMC is random, 1 + Bin(K − 1, 1/K) per outer step (fine step 0's midpoint is the start, so it is never
    // evaluated), mean 2 − 1/K. A count of 1 + Bin(K, 1/K) (mean 2) would overcount by 1/K per step; the oracle's
    // count (77.3 ± 1.1 for 40 steps at K = 25) agrees with 78.4, not 80.
    let plmcNfe (m: int) =
        float m * PoissonMidpoint.ExpectedEvaluationsPerStep k

    let problems = gapProblems ()

    let runs =
        problems
        |> List.map (fun p -> p, ns |> List.map (gapPoint study.Dynamics p k horizon replicates drawLaws seed))

    let point steps nfe (e: Estimate) : ErrorPoint =
        { Steps = steps
          StepSize = horizon / float steps
          Nfe = nfe
          Depth = nan
          Error = e }

    let curveOf (p: GapProblem) name metric (pts: ErrorPoint list) method =
        { Sampler = name
          Parameters = [ "horizon", "2"; "K", string k ] @ study.Parameters @ [ "problem", p.Name ]
          Target = p.Name
          Dimension = p.Mean.Length
          Metric = metric
          Seeds = [ seed ]
          Points = pts
          Method = method }

    let pair = study.Pair
    let reference = study.Reference
    let baseCurve, baseName = study.BaseAtAlpha

    let series (p: GapProblem) (pts: GapPoint list) =
        let tag = if p.Name = problems.Head.Name then "" else $" [{p.Name}]"

        let on f =
            pts |> List.map (fun g -> point g.Steps (plmcNfe g.Steps) (f g))

        let coupling =
            if pts |> List.forall (fun g -> g.W2Coupling.IsSome) then
                Some(
                    curveOf
                        p
                        $"coupled {pair}{tag}"
                        StrongError
                        (on (fun g -> ExactCurves.exactEstimate g.W2Coupling.Value))
                        $"(E|x_PLMC − x_LMC|²)^½ with both chains on the same fine normals: exact upper bound on the W2 gap (synchronous coupling, joint second moments by enumeration)"
                )
            else
                None

        { LowerW2 =
            curveOf
                p
                $"{pair}{tag}"
                W2Lower
                (on (fun g -> ExactCurves.exactEstimate g.W2Lower))
                $"W2(p_G of PLMC(α, K), law of {reference}): Gelbrich lower bound on the gap, exact moments by enumeration of the Bernoulli patterns"
          CouplingW2 = coupling
          ConvexityW2 =
            curveOf
                p
                $"{pair}, E_draws W2{tag}"
                W2Upper
                (on (fun g -> ExactCurves.mcEstimate g.W2Convexity))
                $"(E_draws W2(N_draws, law of {reference})²)^½ over {replicates} draw replicates: upper bound on the W2 gap (convexity), estimated"
          TalagrandW2 =
            curveOf
                p
                $"{pair}, Talagrand W2{tag}"
                W2Upper
                (on (fun g -> ExactCurves.mcEstimate g.W2Talagrand))
                $"(2 λ_max(q) KL_up)^½: Talagrand's upper bound on the W2 gap for the Gaussian q, from KL_up (χ² over {drawLaws} draw laws), estimated"
          LowerKl =
            curveOf
                p
                $"{pair}, KL(p_G || q){tag}"
                KlLower
                (on (fun g -> ExactCurves.exactEstimate g.KlLower))
                $"KL(p_G ‖ q), q = {reference}'s exact law: exact lower bound on the KL gap (Pythagorean identity)"
          UpperKl =
            curveOf
                p
                $"{pair}, E_draws KL{tag}"
                KlUpper
                (on (fun g -> ExactCurves.mcEstimate g.KlUpper))
                $"E_draws KL(N_draws ‖ q) over {replicates} draw replicates: upper bound on the KL gap (convexity), estimated"
          BoundKl =
            curveOf
                p
                $"{pair}, KL(p_G || q) + chi2{tag}"
                KlUpper
                (on (fun g -> ExactCurves.mcEstimate g.KlBound))
                $"KL(p_G ‖ q) + max(0, χ̂²(p ‖ p_G)) + 1.645 SE over {drawLaws} draw laws: one-sided 95 %% upper bound on the KL gap (Pythagorean identity, KL ≤ χ²), estimated"
          Bias =
            curveOf
                p
                $"{baseCurve}{tag}"
                ExactW2
                (pts
                 |> List.map (fun g -> point g.Steps (float g.Steps) (ExactCurves.exactEstimate g.LmcBias)))
                study.BiasMethod }

    let all = runs |> List.map (fun (p, pts) -> p, pts, series p pts)

    // The order a curve gives: its last local slope ± 2× its last change, widened by the slopes' Monte Carlo noise
    // where the curve is an estimate (SectionKit.asymptoticOrderWithNoise: the upper bounds are an exact part plus a
    // χ̂² part with a standard error). Leading +∞ points (a divergent χ² integral at the coarsest α) stay in the curve
    // and the tables but are not used.
    let orderOf (whole: ErrorCurve) =
        let infinite =
            whole.Points
            |> List.takeWhile (fun p -> Double.IsPositiveInfinity p.Error.Value)
            |> List.map (fun p -> p.Steps)

        let curve =
            { whole with
                Points = whole.Points |> List.skip infinite.Length }

        let skipped =
            if infinite.IsEmpty then
                ""
            else
                let ns = String.Join(", ", infinite)
                $"; +∞ at n = {ns} not used"

        let estimated =
            curve.Points |> List.exists (fun p -> not (Double.IsNaN p.Error.StdError))

        let how =
            if estimated then
                "asymptotic order from the last local slope ± 2× its last change, widened by 1.96× the slopes' Monte Carlo noise (exact part plus an estimate)"
            else
                "asymptotic order from the last local slope ± 2× its last change (exact values)"

        let floors = Floors.numericOnly curve

        match asymptoticOrderWithNoise RateFit.Steps curve (Floors.limits floors curve) with
        | Some e -> Ok(e, how + skipped)
        | None -> Error $"fewer than three usable points{skipped}"

    let judgePair (cl: Claim) what (p: GapProblem) (upper: ErrorCurve) (lower: ErrorCurve) =
        let claimed = -(cl.Terms.Head.Steps |> Option.get)
        let subject = $"{cl.Id} order in α of the {what} gap, {p.Name}"

        match orderOf upper, orderOf lower with
        | Ok(u, uHow), Ok(l, lHow) ->
            let j =
                Verdicts.judgeTwoSided subject Verdicts.LargerIsFaster claimed (Verdicts.marginOf cl claimed) u l

            { j with
                Reason =
                    $"{j.Reason} (upper: {Figures.metricLabel upper.Metric}, {uHow}; lower: {Figures.metricLabel lower.Metric}, {lHow}.)" }
        | u, l ->
            let why =
                [ u; l ]
                |> List.choose (function
                    | Error e -> Some e
                    | Ok _ -> None)
                |> String.concat "; "

            { Subject = subject
              Verdict = Inconclusive
              Reason = $"{subject}: no order ({why})."
              CannotShow = "nothing: no order could be read"
              Counted = true }

    let judged =
        all
        |> List.map (fun (p, _, s) ->
            judgePair study.W2Claim "W2" p s.TalagrandW2 s.LowerW2, judgePair study.KlClaim "KL" p s.BoundKl s.LowerKl)

    let evidence = judged |> List.collect (fun (w2, kl) -> [ w2; kl ])
    let verdict = Verdicts.combine evidence

    let sideVerdict (pick: Verdicts.Judgement * Verdicts.Judgement -> Verdicts.Judgement) =
        judged |> List.map pick |> Verdicts.combine |> verdictText

    let reason =
        ClaimSection.reasonOf verdict evidence
        + study.Explain (sideVerdict fst) (sideVerdict snd)

    let table (p: GapProblem, pts: GapPoint list, s: GapSeries) =
        let cols =
            [ "W2 lower (Gelbrich)", Some s.LowerW2
              "W2 upper (Talagrand, estimate)", Some s.TalagrandW2
              "W2 upper (coupling)", s.CouplingW2
              "W2 upper (E_draws W2², estimate)", Some s.ConvexityW2
              "KL lower (KL(p_G ‖ q))", Some s.LowerKl
              "KL upper (KL(p_G ‖ q) + χ², estimate)", Some s.BoundKl
              "KL upper (E_draws KL, estimate)", Some s.UpperKl
              $"{baseName} bias W2", Some s.Bias ]
            |> List.choose (fun (head, c) -> c |> Option.map (fun c -> head, c))

        let slopes = cols |> List.map (snd >> localOrderCells)

        let value (e: Estimate) =
            if Double.IsPositiveInfinity e.Value then "+∞"
            elif Double.IsNaN e.StdError then $"{e.Value:g4}"
            else $"{e.Value:g4} ± {e.StdError:g2}"

        let chiSquare (g: GapPoint) =
            if g.ChiSquare.IsInfinite then
                "+∞"
            else
                $"{g.ChiSquare.Value:g3} ± {g.ChiSquare.StandardError:g2}"

        let rows =
            pts
            |> List.mapi (fun i g ->
                let cells =
                    List.zip cols slopes
                    |> List.map (fun ((_, c), sl) -> $"{value c.Points.[i].Error} ({sl.[i]})")

                $"| {g.Steps} | {g.Alpha:g4} | "
                + String.Join(" | ", cells)
                + $" | {chiSquare g} |")

        let heads = "n" :: "α" :: (cols |> List.map fst) @ [ "χ̂²(p ‖ p_G)" ]

        $"**{p.Name}**: per α, each bound with its local order in α (−Δlog bound/Δlog n) in parentheses; ± is one standard error of an estimate; +∞: some pair of draw laws has a divergent χ² integral.\n\n"
        + "| "
        + String.Join(" | ", heads)
        + " |\n"
        + String.replicate heads.Length "|---"
        + "|\n"
        + String.Join("\n", rows)

    let first = all.Head |> fun (_, _, s) -> s
    let gapCaption, slopesCaption, klCaption = study.Captions

    // The largest relative standard error of a finite KL upper bound, stated in the method (not assumed).
    let worstNoise =
        [ for _, _, s in all do
              for p in s.BoundKl.Points do
                  if Double.IsFinite p.Error.Value && p.Error.Value > 0.0 then
                      yield p.Error.StdError / p.Error.Value ]
        |> List.fold max 0.0
        |> fun r -> $"{100.0 * r:G2} %%"

    { Title = study.Title
      ClaimIds = study.Claims |> List.map (fun c -> c.Id)
      Verdict = verdict
      Reason = reason
      Evidence = evidence
      Method =
        let grid = String.Join(", ", ns)

        String.Join("\n\n", study.Claims |> List.map ClaimSection.claimText)
        + "\n\n"
        + $"Horizon t = 2, α = t/n for n = {grid}, K = {k}{study.Setting}; problems: "
        + String.Join("; ", problems |> List.map (fun p -> p.Name))
        + study.Model
        + $"E_draws KL and (E_draws W2²)^½ average the per-draw Gaussian laws over {replicates} draw replicates (seed {seed}); they are estimates with standard errors. "
        + $"The decisive upper bounds use the per-draw laws N(μ_ω, S_ω) of {drawLaws} draw replicates (same seed): χ̂²(p ‖ p_G) is the U-statistic over pairs of the pair integrals ∫ N_ω N_ω′ / p_G (closed form per coordinate) with its first-order part removed, which has mean 0 exactly because p_G's moments are exact, and its standard error is the delete-one jackknife plus the pair-variance term (conservative). KL_up = KL(p_G ‖ q) + max(0, χ̂²) + 1.645 SE (one-sided 95 %%), W2_up = (2 λ_max(q) KL_up)^½ (Talagrand). "
        + $"Every judged curve gives its order by its last local slope ± 2× its last change, for the upper bounds widened by 1.96× the slopes' Monte Carlo noise: their χ̂² part's standard error is at most {worstNoise} of the KL bound here, so a decay fit's curvature tests would reject every window but the coarsest, and no fit table is shown. Each W2 and each KL pair is judged together (two-sided rule of docs/claims.md). NFE is PLMC's expected count 2 − 1/K per outer step.\n\n"
        + String.Join("\n\n", all |> List.map table)
      Fits = []
      Figures =
        [ Figures.errorVsNfe
              $"{study.FigurePrefix}-gap"
              gapCaption
              ([ Some first.LowerW2
                 Some first.TalagrandW2
                 first.CouplingW2
                 Some first.ConvexityW2
                 Some first.Bias ]
               |> List.choose id)
          Figures.localSlopes
              $"{study.FigurePrefix}-slopes"
              slopesCaption
              (all
               |> List.collect (fun (_, _, s) -> [ Some s.LowerW2; Some s.TalagrandW2; s.CouplingW2 ] |> List.choose id))
              (Some(float (study.W2Claim.Terms.Head.Steps |> Option.get)))
          Figures.errorVsNfe
              $"{study.FigurePrefix}-kl"
              klCaption
              (all |> List.collect (fun (_, _, s) -> [ s.LowerKl; s.BoundKl; s.UpperKl ])) ]
      Curves =
        all
        |> List.collect (fun (_, _, s) ->
            [ Some s.LowerW2
              Some s.TalagrandW2
              s.CouplingW2
              Some s.ConvexityW2
              Some s.LowerKl
              Some s.BoundKl
              Some s.UpperKl ]
            |> List.choose id)
        |> fun cs -> cs @ [ first.Bias ] }
