/// B1 in its asymptotic range (Studies/LiJiaoAsymptotic): N*(d, ε) of Li–Jiao's output mixture on isotropic Gaussian
/// data from d = 4 up to 10^5–10^6 and ε down to 1e-3–1e-4, judged by the verdict engine from both sides: the mixture
/// upper bound can show "consistent", the separating-event lower bound "violates" or "not faster"; the per-draw
/// bound (an upper bound on the law given the draw, not on the sampler's law) is shown beside them, not counted.
module RateLab.Analysis.Sections.LiJiaoAsymptoticSection

open System
open RateLab.Analysis.Model
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Claims.Claim
open RateLab.Analysis.Studies
open RateLab.Analysis.Studies.LiJiaoAsymptotic
open RateLab.Analysis.Plots.Figure
open RateLab.Analysis.Plots
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Stats

/// The study's grid per profile. Quick fits its budget (a few seconds); full reaches T = 2^16, d = 2^20, ε = 1e-4.
let settings (profile: Profile) : Settings =
    match profile with
    | Quick ->
        { Lambda = 0.1
          Dimensions = [ 4; 64; 1024; 16384; 262144 ]
          Epsilons = [ 0.05; 0.02; 0.01; 0.005; 0.002; 0.001 ]
          Cells = cellGrid 16 1024
          Groups = 8
          GroupSize = 16
          Seed = Seeds.Report }
    | Full ->
        { Lambda = 0.1
          Dimensions = [ 4; 16; 64; 256; 1024; 4096; 16384; 65536; 262144; 1048576 ]
          Epsilons = [ 0.1; 0.05; 0.02; 0.01; 0.005; 0.002; 0.001; 5e-4; 2e-4; 1e-4 ]
          Cells = cellGrid 16 65536
          Groups = 16
          GroupSize = 64
          Seed = Seeds.Report }

/// What each bound can show, and whether it counts: the per-draw bound is not a bound on the sampler's law's TV
/// exponent in the regime where the draws' fluctuations dominate, and it is a product given the draw.
let private sideOf bound =
    match bound with
    | PerDraw
    | Mixture -> Verdicts.AtLeastAsFast
    | Separating -> Verdicts.AtMostAsFast

/// N*(d, ε) as cost (NFE = 2T) for the fits.
let private points (s: Settings) rows bound =
    [ for d in s.Dimensions do
          for eps in s.Epsilons ->
              let n = nStar rows bound d eps |> Option.map (fun t -> 2 * t)

              d,
              ({ NStar = n
                 Epsilon = eps
                 Evaluated = [] }
              : NStar.NStarResult) ]

/// Judgements of one fit's exponents against B1's term, labelled; the d-exponent counts because the mixture couples
/// the coordinates (one draw for all), except for the per-draw bound, which is a product law given the draw.
let private judgeFit (c: Claim) bound (label: string) (fit: FitResult) =
    List.zip fit.Regressors fit.Slopes
    |> List.choose (fun (r, slope) ->
        Verdicts.predicted c.Form c.Terms.Head r
        |> Option.map (fun (p, sense) ->
            let which = if r = "log d" then "d" else "(1/ε)"
            let subject = $"B1 {which}-exponent, {boundName bound}, {label}"
            let margin = Verdicts.marginOf c p
            let j = Verdicts.judge subject (sideOf bound) sense p margin slope

            match bound, j.Verdict with
            | PerDraw, _ ->
                j
                |> Verdicts.uncounted
                    ("the per-draw bound bounds the law given the draw, whose fluctuations (of order 1/T) dominate it; "
                     + "it is shown for comparison with the engine's tv_upper.")
                    "the per-draw bound says nothing about the mixture's exponent"
            | Separating, Inconclusive ->
                // A lower bound that reaches the faster side says nothing either way; it must not veto the upper side.
                j
                |> Verdicts.uncounted
                    ("this lower bound is too weak (or too noisy) here to bound the exponent from below, so it "
                     + "neither supports nor contradicts the claim.")
                    "a lower bound this weak shows nothing"
            | _ -> j))

let private fitOf (c: Claim) (s: Settings) rows bound (withLog: bool) =
    let subject: RateFit.FitSubject =
        { Sampler = "li-jiao"
          Parameters = [ "K", "4" ]
          Target = $"isotropic-gaussian-data(lambda={s.Lambda:R})"
          Metric =
            (match bound with
             | Separating -> TvLower
             | _ -> TvUpper)
          Seeds = [ s.Seed ] }

    let fitSettings =
        if withLog then
            { PowerLawFit.defaultSettings with
                LogFactor = c.LogFactor }
        else
            PowerLawFit.defaultSettings

    PowerLawFit.fitCost fitSettings subject (points s rows bound)

/// The theory line x^a through (x0, n0) and the envelope n = C·x^a·(ln n)^b through the same point, solved by
/// fixed-point iteration (it contracts for ln n > b).
let private theorySeries (xs: float[]) (x0: float) (n0: float) (a: float) (b: float) (what: string) =
    let lo, hi = Array.min xs, Array.max xs
    let xs = Array.init 24 (fun i -> lo * (hi / lo) ** (float i / 23.0))
    let power = xs |> Array.map (fun x -> n0 * (x / x0) ** a)
    let c = n0 / (x0 ** a * log n0 ** b)

    let envelope =
        xs
        |> Array.map (fun x ->
            let mutable n = n0

            for _ in 1..200 do
                n <- max 3.0 (c * x ** a * log n ** b)

            n)

    { Label = $"theory {what}^{a:g3}"
      X = xs
      Y = power
      Band = None
      Style = Theory }
    :: (if b = 0.0 then
            []
        else
            [ { Label = $"theory × (ln N)^{b:g3}"
                X = xs
                Y = envelope
                Band = None
                Style = Theory } ])

let private nStarFigure
    id
    title
    (xLabel: string)
    (series: (string * (float * float) list) list)
    (a: float)
    (b: float)
    what
    =
    let measured =
        [ for label, pts in series do
              if not pts.IsEmpty then
                  yield
                      { Label = label
                        X = pts |> List.map fst |> Array.ofList
                        Y = pts |> List.map snd |> Array.ofList
                        Band = None
                        Style = Measured } ]

    let theory =
        match measured with
        | first :: _ ->
            let xs = measured |> Array.ofList |> Array.collect (fun m -> m.X)
            theorySeries xs first.X.[0] first.Y.[0] a b what
        | [] -> []

    { Id = id
      Title = title
      X = { Label = xLabel; Log = true }
      Y = { Label = "N* (NFE = 2T)"; Log = true }
      Series = measured @ theory }
    |> Figure.validate

/// The L-study's grid per profile (Studies/LiJiaoLipschitz): L = 1/λ on isotropic data, K ∝ L log T.
let lipschitzSettings (profile: Profile) : LiJiaoLipschitz.Settings =
    match profile with
    | Quick ->
        { Dimension = 1024
          Lambdas = [ 1.0; 0.25; 0.0625 ]
          Epsilons = [ 0.03; 0.02; 0.01 ]
          Cells = [ 64; 128; 256; 512 ]
          Groups = 4
          GroupSize = 16
          Seed = Seeds.Report }
    | Full ->
        { Dimension = 1024
          Lambdas = [ 1.0; 0.25; 0.0625; 0.015625 ]
          Epsilons = [ 0.02; 0.01; 0.005; 0.002; 0.001 ]
          Cells = [ 64; 128; 256; 512; 1024; 2048; 4096; 8192 ]
          Groups = 16
          GroupSize = 32
          Seed = Seeds.Report }

/// The L-exponent of N*: a cost fit of log N* on log L and log(1/ε) (L passed in the fit's d column and renamed),
/// judged against B1's L^1 as upper-bound evidence and shown, not counted (see the reason).
let private lipschitzEvidence (c: Claim) (ctx: ReportContext) =
    let s = lipschitzSettings ctx.Profile
    let rows = LiJiaoLipschitz.run ctx.Cached s
    let ell (lambda: float) = int (round (1.0 / lambda))

    let points =
        [ for lambda in s.Lambdas do
              for eps in s.Epsilons ->
                  let n = LiJiaoLipschitz.nStar rows lambda eps |> Option.map (fun t -> 2 * t)

                  ell lambda,
                  ({ NStar = n
                     Epsilon = eps
                     Evaluated = [] }
                  : NStar.NStarResult) ]

    let subject: RateFit.FitSubject =
        { Sampler = "li-jiao"
          Parameters = [ "K", "∝ L log T" ]
          Target = $"isotropic-gaussian-data(d={s.Dimension})"
          Metric = TvUpper
          Seeds = [ s.Seed ] }

    let fit =
        PowerLawFit.fitCost PowerLawFit.defaultSettings subject points
        |> Result.map (fun f ->
            { f.Fit with
                Regressors = f.Fit.Regressors |> List.map (fun r -> if r = "log d" then "log L" else r) })

    let why =
        "the claim's normalisation of L is unverified, and under the normalised convention (1 − ᾱ)·Lip ≤ L every "
        + "Gaussian has L ≤ 1 "
        + "with a scale-invariant log-SNR grid, so varying λ varies only the un-normalised Lipschitz constant 1/λ; a "
        + "Gaussian cannot show the worst case."

    let judgement =
        match fit, c.Terms.Head.Conditioning with
        | Ok f, Some claimed ->
            let slope = List.item (List.findIndex ((=) "log L") f.Regressors) f.Slopes
            let subject = "B1 L-exponent, mixture TV upper bound, K ∝ L log T"

            let cannot =
                "an un-normalised L on Gaussian data cannot show how N* grows with the normalised L"

            [ Verdicts.judge
                  subject
                  Verdicts.AtLeastAsFast
                  Verdicts.SmallerIsFaster
                  claimed
                  (Verdicts.marginOf c claimed)
                  slope
              |> Verdicts.uncounted why cannot ]
        | Error e, _ -> [ Verdicts.noClaim "B1 L-exponent" $"no cost fit ({e})." ]
        | _, None -> []

    let figure =
        let series =
            [ for eps in s.Epsilons ->
                  $"ε = {eps:g3}",
                  [ for lambda in s.Lambdas do
                        match LiJiaoLipschitz.nStar rows lambda eps with
                        | Some t -> yield 1.0 / lambda, 2.0 * float t
                        | None -> () ] ]
            |> List.filter (fun (_, pts) -> pts.Length >= 2)

        let title =
            $"B1: N* against L = 1/λ (mixture upper bound, K ∝ L log T, d = {s.Dimension})"

        nStarFigure "b1-lipschitz-nstar" title "L = 1/λ" series 1.0 0.0 "L"

    let lambdas = String.Join(", ", s.Lambdas |> List.map (fun l -> $"{l:g4}"))

    let found =
        [ for lambda in s.Lambdas do
              for eps in s.Epsilons ->
                  let k t = LiJiaoLipschitz.rounds (1.0 / lambda) t

                  match LiJiaoLipschitz.nStar rows lambda eps with
                  | Some t -> $"(L = {ell lambda}, ε = {eps:g3}) → T = {t}, K = {k t}"
                  | None -> $"(L = {ell lambda}, ε = {eps:g3}) → not reached by T = {List.last s.Cells}" ]

    let text =
        $"L varied: isotropic data with λ ∈ {{{lambdas}}} (L = 1/λ, the largest Lipschitz constant of the exact noised "
        + $"score), d = {s.Dimension}, "
        + $"K = the power of two ≥ max(4, (4/ln 64)·L·ln T) rounds (K ∝ L log T as the theorem requires), T doubling "
        + $"from {List.head s.Cells} to {List.last s.Cells} with K ≤ T; "
        + $"mixture bound over {s.Groups} groups of {s.GroupSize} draws; N* found: "
        + String.Join("; ", found)
        + "."

    let table =
        match fit with
        | Ok f ->
            [ { Caption = "B1: log N* on log L and log(1/ε), mixture TV upper bound, K ∝ L log T"
                Fit = f
                TheorySlopes = [ "log L", 1.0; "log(1/eps)", 2.0 / 3.0 ] } ]
        | Error _ -> []

    judgement, figure, text, table

/// Local exponents of the mixture bound against T between grid points about 4× apart, with delta-method 95 %
/// intervals, against −3/2 and the drift −3/2 + 4/ln T that TV ∝ (ln T)^4·T^(−3/2) predicts.
let private localExponents (curve: ErrorCurve) =
    let pts = curve.Points |> List.filter (fun p -> p.Error.Value > 0.0) |> Array.ofList

    let spaced =
        pts |> Array.indexed |> Array.filter (fun (i, _) -> i % 8 = 0) |> Array.map snd

    if spaced.Length < 2 then
        [||]
    else
        LocalSlopes.compute (spaced |> Array.map (fun p -> float p.Steps, p.Error))
        |> Array.map (fun s -> sqrt (s.FromCost * s.ToCost), s.Slope, Normal.z975 * s.StdError)

/// The section.
let section (ctx: ReportContext) (c: Claim) : Section =
    let s = settings ctx.Profile
    let rows = run ctx.Cached s

    let curves =
        [ for b in bounds do
              for d in s.Dimensions -> curve s rows b d ]

    let fits =
        [ for b in bounds do
              for withLog in [ true; false ] -> b, withLog, fitOf c s rows b withLog ]

    let judgements =
        [ for b, withLog, fit in fits do
              let label =
                  if withLog then
                      "with the claim's log factor divided out"
                  else
                      "pure power law (reported, not counted)"

              match fit with
              | Ok f ->
                  let js = judgeFit c b label f.Fit

                  let asComparison =
                      Verdicts.uncounted
                          "the claim states a log factor; the pure power law is shown for comparison."
                          "the pure power law is shown for comparison only"

                  yield! (if withLog then js else js |> List.map asComparison)
              | Error e ->
                  yield
                      { Subject = $"B1, {boundName b}"
                        Verdict = Inconclusive
                        Reason = $"B1, {boundName b}: no cost fit ({e})."
                        CannotShow = "nothing: the fit failed"
                        Counted = withLog && b <> PerDraw } ]

    let lJudgement, lFigure, lText, lTable = lipschitzEvidence c ctx
    let judgements = judgements @ lJudgement
    let verdict = Verdicts.combine judgements
    let middle = s.Dimensions.[s.Dimensions.Length / 2]

    let drift =
        let mixture =
            curves
            |> List.find (fun cv -> cv.Sampler.Contains(boundName Mixture) && cv.Dimension = middle)

        localExponents mixture
        |> Array.map (fun (t, slope, half) ->
            let predicted = -1.5 + 4.0 / log t
            $"T ≈ {t:F0}: {slope:F3} ± {half:F3} (pure −1.5, with (ln T)^4 {predicted:F3})")
        |> String.concat "; "

    let driftSummary =
        let mixture =
            curves
            |> List.find (fun cv -> cv.Sampler.Contains(boundName Mixture) && cv.Dimension = middle)

        let ex = localExponents mixture
        let covers x (_, v, h) = abs (v - x) <= h
        let powerLaw = ex |> Array.filter (fun e -> covers -1.5 e) |> Array.length

        let withLog =
            ex
            |> Array.filter (fun ((t, _, _) as e) -> covers (-1.5 + 4.0 / log t) e)
            |> Array.length

        $"Of {ex.Length} local exponents, {powerLaw} have −3/2 in their 95 %% interval and {withLog} the drift −3/2 + "
        + $"4/ln T that the claim's log factor predicts"
        + (if withLog < powerLaw then
               ": the measured decay follows the power law more closely than the log-factor "
               + "envelope, so dividing the full (ln N)^(8/3) out overstates the speed-up."
           else
               ".")

    let nStarText =
        [ for b in bounds ->
              let found =
                  [ for d in s.Dimensions do
                        for eps in s.Epsilons do
                            match nStar rows b d eps with
                            | Some t -> yield $"({d}, {eps:g3}) → {t}"
                            | None -> yield $"({d}, {eps:g3}) → not reached by T = {List.last s.Cells}" ]

              $"{boundName b}, N* in T at (d, ε): " + String.Join("; ", found) + "." ]
        |> String.concat " "

    let figures =
        let byEps b =
            [ for eps in s.Epsilons ->
                  $"ε = {eps:g3}",
                  [ for d in s.Dimensions do
                        match nStar rows b d eps with
                        | Some t -> yield float d, 2.0 * float t
                        | None -> () ] ]
            |> List.filter (fun (_, pts) -> pts.Length >= 2)

        let byD b =
            [ for d in s.Dimensions ->
                  $"d = {d}",
                  [ for eps in s.Epsilons do
                        match nStar rows b d eps with
                        | Some t -> yield 1.0 / eps, 2.0 * float t
                        | None -> () ] ]
            |> List.filter (fun (_, pts) -> pts.Length >= 2)

        let mixtureCurves =
            curves |> List.filter (fun cv -> cv.Sampler.Contains(boundName Mixture))

        let atMiddle = curves |> List.filter (fun cv -> cv.Dimension = middle)

        let slopes =
            let mixture = mixtureCurves |> List.find (fun cv -> cv.Dimension = middle)
            let ex = localExponents mixture
            let ts = ex |> Array.map (fun (t, _, _) -> t)

            { Id = "b1-asymptotic-local-exponents"
              Title = $"B1: local exponent of the mixture TV bound against T (d = {middle})"
              X = { Label = "T (cells)"; Log = true }
              Y =
                { Label = "d log TV / d log T (dimensionless)"
                  Log = false }
              Series =
                [ { Label = "measured, 95 % interval"
                    X = ts
                    Y = ex |> Array.map (fun (_, v, _) -> v)
                    Band = Some(ex |> Array.map (fun (_, v, h) -> v - h), ex |> Array.map (fun (_, v, h) -> v + h))
                    Style = Measured }
                  { Label = "theory −3/2"
                    X = ts
                    Y = ts |> Array.map (fun _ -> -1.5)
                    Band = None
                    Style = Theory }
                  { Label = "theory with (ln T)^4: −3/2 + 4/ln T"
                    X = ts
                    Y = ts |> Array.map (fun t -> -1.5 + 4.0 / log t)
                    Band = None
                    Style = Theory } ] }
            |> Figure.validate

        [ Figures.errorVsNfe
              "b1-asymptotic-mixture-tv"
              "B1: mixture TV upper bound vs NFE, isotropic data, every d"
              mixtureCurves
          Figures.errorVsNfe "b1-asymptotic-bounds" $"B1: the three bounds vs NFE at d = {middle}" atMiddle
          nStarFigure
              "b1-asymptotic-nstar-d"
              "B1: N* against d (mixture upper bound), theory d^(1/3) and its log envelope"
              "d"
              (byEps Mixture)
              (1.0 / 3.0)
              (8.0 / 3.0)
              "d"
          nStarFigure
              "b1-asymptotic-nstar-eps"
              "B1: N* against 1/ε (mixture upper bound), theory (1/ε)^(2/3) and its log envelope"
              "1/ε"
              (byD Mixture)
              (2.0 / 3.0)
              (8.0 / 3.0)
              "(1/ε)"
          slopes
          lFigure ]

    let tables =
        [ for b, withLog, fit in fits do
              match fit with
              | Ok f ->
                  let model =
                      if withLog then
                          "with the claim's log factor divided out"
                      else
                          "pure power law"

                  yield
                      { Caption = $"B1 asymptotic: log N* on log d and log(1/ε), {boundName b}, {model}"
                        Fit = f.Fit
                        TheorySlopes =
                          f.Fit.Regressors
                          |> List.choose (fun r ->
                              Verdicts.predicted c.Form c.Terms.Head r
                              |> Option.map (fun (p, _) -> r, p + 0.0)) }
              | Error _ -> () ]
        @ lTable

    let dims = String.Join(", ", s.Dimensions)
    let epsText = String.Join(", ", s.Epsilons |> List.map (fun e -> $"{e:g3}"))

    { Title = "B1 in its asymptotic range: Li–Jiao's output mixture on isotropic data"
      ClaimIds = [ "B1" ]
      Verdict = verdict
      Reason =
        ClaimSection.reasonOf verdict judgements
        + $" Local exponents of the mixture bound at d = {middle} against the drift the claim's log factor predicts: "
        + $"{drift}. {driftSummary}"
      Evidence = judgements
      Method =
        $"{ClaimSection.claimText c}\n\n"
        + $"Data N(0, λ I_d) with λ = {s.Lambda:g3}, exact scores, start N(0, I); Li–Jiao with K = 4, c0 = 2, c1 = 4 "
        + $"(2T score calls). "
        + "Given its schedule draw ω every coordinate follows the same affine recursion, so the output given ω is N(0, "
        + "v_ω I_d), computed exactly per draw (Core's per-coordinate recursion, the same one the engine checks "
        + "against the kernel), and its own reference is q at the drawn end level, N(0, w_ω I_d). "
        + "The sampler's law is the scale mixture p = E_ω N(0, v_ω I); both p and the reference mixture q̄ are "
        + "spherically symmetric, so TV(p, q̄) is the TV of the laws of ‖x‖², a 1-D integral done by the trapezoid "
        + "rule in ln ‖x‖² (spacing 1/32 of a component's width, 60 nats of tail). "
        + $"Three figures per (T, d) from the same {s.Groups * s.GroupSize} draws (seed {s.Seed}, the same replicate "
        + $"streams at every T): the per-draw bound E_ω TV(N_ω, q_ω) (what the generic engine's tv_upper measures); "
        + $"the mixture bound, the mean over {s.Groups} groups of TV between the {s.GroupSize}-draw mixtures (by joint "
        + $"convexity its expectation is ≥ TV(p, q̄), and it decreases towards it as the group grows), with the "
        + $"standard error of the group mean; "
        + "the lower bound |P(A) − Q̄(A)| for the event A = {‖x‖² ≤ r*}, r* chosen where the first half's mixtures "
        + "differ most, estimated without bias on the second half (standard error of the mean of per-draw CDF "
        + "differences). "
        + $"T on the grid 4·⌈⌈2^(j/4)⌉/4⌉ from {List.head s.Cells} to {List.last s.Cells} (resolution 2^(1/4)); d ∈ "
        + $"{{{dims}}}; ε ∈ {{{epsText}}}. "
        + "N*: for an upper bound the smallest grid T from which every larger T has its upper 95 % limit ≤ ε; for the "
        + "lower bound the first T whose lower 95 % limit is ≤ ε; both conservative. "
        + "Intervals are 95 % normal-approximation intervals, so each point's limit fails with probability 2.5 %; the "
        + "cost fits' bootstrap-t intervals then carry the grid's quantization (≤ 0.17 in log T) as residual noise. "
        + "On this mixture the d-exponent is counted: the draws couple the coordinates, so p is not a product law and "
        + "its d-dependence does not follow from its T-dependence. "
        + nStarText
        + " "
        + lText
      Fits = tables
      Figures = figures
      Curves = curves }
