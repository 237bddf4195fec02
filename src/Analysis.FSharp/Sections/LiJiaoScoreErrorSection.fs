/// B1's score-error term in the report: Li–Jiao's E_draws TV upper bound against T at controlled L² score errors ε,
/// the floor each ε sets, its exponent in ε (the theorem's term C ε_score √(log T) is linear in ε) judged as
/// upper-bound evidence, and its growth in log T shown beside the theorem's √(log T).
module RateLab.Analysis.Sections.LiJiaoScoreErrorSection

open System
open RateLab.Analysis.Model
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Claims
open RateLab.Analysis.Claims.Claim
open RateLab.Analysis.Studies
open RateLab.Analysis.Plots
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Sections.SectionKit
open RateLab.Analysis.Stats

/// The grid per profile: cells T (doubling), score errors ε (0 gives the discretisation error alone), d, draws.
type Grid =
    { Cells: int list
      Epsilons: float list
      Dimension: int
      Replicates: int }

let gridOf profile =
    match profile with
    | Quick ->
        { Cells = doubling 16 8
          Epsilons = [ 0.0; 0.01; 0.02; 0.04; 0.08; 0.16; 0.32 ]
          Dimension = 16
          Replicates = 16 }
    | Full ->
        { Cells = doubling 16 10
          Epsilons = [ 0.0; 0.005; 0.01; 0.02; 0.04; 0.08; 0.16; 0.32 ]
          Dimension = 64
          Replicates = 64 }

let private seed = Seeds.Report

/// The section.
let section (ctx: ReportContext) (claim: Claim) : Section =
    let g = gridOf ctx.Profile
    let reduction = LiJiaoScoreError.data g.Dimension
    // One E_draws TV upper bound (mean, SE, counted NFE) per (ε, T), every ε on the same draws.
    let tv =
        [ for eps in g.Epsilons ->
              eps,
              [ for t in g.Cells ->
                    let r = LiJiaoScoreError.analyse reduction eps t g.Replicates seed
                    t, r.Upper.TvUpper.Value, r.Upper.TvUpper.StandardError, r.Evaluations ] ]

    let tMax = List.last g.Cells

    let at eps t =
        tv
        |> List.find (fst >> (=) eps)
        |> snd
        |> List.find (fun (t', _, _, _) -> t' = t)

    let floorOf eps = let _, v, se, _ = at eps tMax in v, se
    let discretisation, _ = floorOf 0.0
    // As for every fit here, a point within Floors.Factor of the floor beneath it (the discretisation error at ε = 0)
    // is left out.
    let fitted =
        g.Epsilons
        |> List.filter (fun e -> e > 0.0 && fst (floorOf e) >= Floors.Factor * discretisation)

    let left =
        g.Epsilons |> List.filter (fun e -> e > 0.0 && not (List.contains e fitted))

    let epsilonRow =
        let subject =
            $"B1 score-error term: ε-exponent of the TV floor at T = {tMax}, tv_upper"

        if fitted.Length < 3 then
            [ { Verdicts.Subject = subject
                Verdicts.Verdict = Inconclusive
                Verdicts.Reason =
                  $"only {fitted.Length} score errors lie {Floors.Factor}× above the discretisation error {discretisation:g3}; at least 3 are needed for a slope."
                Verdicts.CannotShow = "nothing: no fit"
                Verdicts.Counted = true } ]
        else
            let xs = fitted |> List.map log |> Array.ofList
            let floors = fitted |> List.map floorOf
            let ys = floors |> List.map (fst >> log) |> Array.ofList
            let ses = floors |> List.map (fun (v, se) -> se / v) |> Array.ofList
            let slope, bound = LiJiaoScoreError.slopeWithBound xs ys ses

            let measured =
                { Value = slope
                  Lower = slope - Normal.z975 * bound
                  Upper = slope + Normal.z975 * bound
                  StdError = bound
                  Level = 0.95 }

            [ Verdicts.judge
                  subject
                  Verdicts.AtLeastAsFast
                  Verdicts.LargerIsFaster
                  1.0
                  (Verdicts.marginOf claim 1.0)
                  measured ]
    // The floor's growth with T for the largest ε: the exponent a of (ln T)^a between the last two T, beside ½.
    let epsMax = List.last g.Epsilons

    let growthRow =
        let t1 = g.Cells[g.Cells.Length - 2]
        let _, f1, _, _ = at epsMax t1
        let _, f2, _, _ = at epsMax tMax
        let a = log (f2 / f1) / log (log (float tMax) / log (float t1))
        let c = f2 / (epsMax * sqrt (log (float tMax)))

        Verdicts.noClaim
            $"growth of the floor in log T at ε = {epsMax}"
            $"TV bound {f1:g4} at T = {t1} and {f2:g4} at T = {tMax}: it grows as (ln T)^{a:F2} between them (the theorem's term grows as (ln T)^0.5); at T = {tMax} it equals {c:F3} × ε √(ln T), a constant the theorem leaves open."

    let evidence = epsilonRow @ [ growthRow ]
    let verdict = Verdicts.combine evidence

    let curves =
        [ for eps, points in tv ->
              { Sampler = $"li-jiao, ε_score = {eps:g3}"
                Parameters = [ "K", "4"; "epsilon_score", $"{eps:R}" ]
                Target = $"gaussian-data(d={g.Dimension})"
                Dimension = g.Dimension
                Metric = TvUpper
                Seeds = [ seed ]
                Points =
                  [ for t, v, se, nfe in points ->
                        { Steps = t
                          StepSize = nan
                          Nfe = nfe
                          Depth = nan
                          Error =
                            { Value = v
                              Lower = v - Normal.z975 * se
                              Upper = v + Normal.z975 * se
                              StdError = se
                              Level = 0.95 } } ]
                Method =
                  $"E_draws TV upper bound over {g.Replicates} draws, exact score plus a constant error of L² size {eps:g3}" } ]
    // The floor against ε beside the theorem's term with C = 1: the slope is the claim, the level shows the constant.
    let floorFigure =
        let positive = g.Epsilons |> List.filter (fun e -> e > 0.0)
        let floors = positive |> List.map floorOf
        let xs = Array.ofList positive
        let ends = [| xs[0]; xs[xs.Length - 1] |]
        let scale = sqrt (log (float tMax))

        let measured: Figure.Series =
            { Label = $"E_draws TV at T = {tMax}, d={g.Dimension}"
              X = xs
              Y = floors |> List.map fst |> Array.ofList
              Band =
                Some(
                    floors |> List.map (fun (v, se) -> v - Normal.z975 * se) |> Array.ofList,
                    floors |> List.map (fun (v, se) -> v + Normal.z975 * se) |> Array.ofList
                )
              Style = Figure.Measured }

        let discretisationLine: Figure.Series =
            { Label = $"discretisation error alone (ε = 0): {discretisation:g3}"
              X = ends
              Y = [| discretisation; discretisation |]
              Band = None
              Style = Figure.Theory }

        let theorem: Figure.Series =
            { Label = "theorem's term C ε √(ln T) with C = 1"
              X = ends
              Y = Array.map (fun e -> e * scale) ends
              Band = None
              Style = Figure.Theory }

        let figure: Figure.Figure =
            { Id = "b1-score-error-floor"
              Title = $"Li–Jiao: TV floor at T = {tMax} against the L² score error"
              X =
                { Label = "L² score error ε_score"
                  Log = true }
              Y =
                { Label = "TV upper bound (probability)"
                  Log = true }
              Series = [ measured; discretisationLine; theorem ] }

        Figure.validate figure

    let joined (xs: 'a list) =
        xs |> List.map string |> String.concat ", "

    let leftText =
        if left.IsEmpty then
            ""
        else
            $" Not fitted (within {Floors.Factor}× of the discretisation error): ε = {joined left}."

    { Title = "B1's score-error term: the floor a controlled L² score error sets"
      ClaimIds = [ claim.Id ]
      Verdict = verdict
      Reason = ClaimSection.reasonOf verdict evidence + leftText
      Evidence = evidence
      Method =
        $"{ClaimSection.claimText claim}\n\nLi & Jiao's bound (B2, conjectured v1 Theorem 1) adds C ε_score √(log T) to the discretisation term for an estimate with L² score error ε_score. "
        + $"Here the estimate is the exact noised score of N(0, diag λ) (d = {g.Dimension}, λ log-spaced 1 … 0.05) plus ε u with u = (1, …, 1)/√d: its L² error under every p_τ is exactly ε, its Lipschitz constant is the true score's, and it is affine, so the exact engine gives every draw's output law (LiJiaoScoreError.ShiftedScore). "
        + $"Li–Jiao (K = 4, c₀ = 2, c₁ = 4) on T = {joined g.Cells} cells (2T NFE), ε ∈ {{{joined g.Epsilons}}}, the same {g.Replicates} draws at every (ε, T); metric: E_draws TV to each draw's early-stopped law (upper bound). "
        + $"The floor is the bound at T = {tMax}; its ε-exponent is the least-squares slope of log floor on log ε over the ε whose floor is ≥ {Floors.Factor}× the ε = 0 value, with a 95 %% interval from a bound on its standard error valid under any correlation (the points share draws), judged as upper-bound evidence against the theorem's linear term (exponent 1)."
      Fits = []
      Figures =
        [ Figures.errorVsNfe "b1-score-error" "Li–Jiao: TV upper bound vs NFE at controlled L² score errors" curves
          floorFigure ]
      Curves = curves }
