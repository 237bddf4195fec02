/// reports/diffusion: every diffusion sampler on Gaussian data (exact analysis: the output law per draw is Gaussian)
/// and the probability-flow samplers on a Gaussian mixture (coupled strong error against the exact flow), error
/// against NFE on log-log axes with fitted slopes and their confidence intervals.
module RateLab.Analysis.Sections.DiffusionSection

open RateLab.Analysis.Model
open RateLab.Core.Diffusion
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Samplers.Diffusion.References
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Plots
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report
open RateLab.Analysis.Studies
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Sections.SectionKit

/// A diffusion sampler as this part runs it on Gaussian data; `Derived` is RateLab's own order derivation where a
/// sampler has no published claim (shown as a measurement, never judged).
type Case =
    { Title: string
      Sampler: Component
      Steps: Profile -> int list
      Derived: (float * string) option }

let private doublingFrom n0 profile =
    doubling
        n0
        (match profile with
         | Quick -> 6
         | Full -> 8)

let cases =
    let c name ps = comp name ps
    let first = Some(2.0, "first-order discretisation: KL ∝ n^−2")

    [ { Title = "DDPM ancestral (posterior variance)"
        Sampler = c "ddpm" []
        Steps = doublingFrom 16
        Derived = first }
      { Title = "Reverse SDE, Euler–Maruyama"
        Sampler = c "sde-em" []
        Steps = doublingFrom 16
        Derived = first }
      { Title = "Reverse SDE, exponential integrator"
        Sampler = c "sde-exp" []
        Steps = doublingFrom 16
        Derived = first }
      { Title = "Probability-flow ODE, Euler"
        Sampler = c "pf-euler" []
        Steps = doublingFrom 16
        Derived = None }
      { Title = "DDIM (η = 0)"
        Sampler = c "ddim" []
        Steps = doublingFrom 16
        Derived = None }
      { Title = "DPM-Solver-1 (Lu et al. 2022)"
        Sampler = c "dpm-solver-1" []
        Steps = doublingFrom 16
        Derived = None }
      { Title = "DPM-Solver-2 (Lu et al. 2022)"
        Sampler = c "dpm-solver-2" []
        Steps = doublingFrom 16
        Derived = None }
      { Title = "Exponential Euler (score frozen)"
        Sampler = c "exp-euler" []
        Steps = doublingFrom 16
        Derived = None }
      { Title = "Heun (EDM)"
        Sampler = c "heun" []
        Steps = doublingFrom 16
        Derived = None }
      { Title = "Gupta–Cai–Chen randomized-midpoint predictor"
        Sampler = c "gupta-predictor" []
        Steps = doublingFrom 16
        Derived = None }
      { Title = "Gupta–Cai–Chen with the underdamped corrector"
        Sampler = c "gupta" []
        Steps = doublingFrom 16
        Derived = None }
      { Title = "Li–Jiao (randomized log-SNR schedule, K = 4)"
        Sampler = c "li-jiao" []
        Steps = doublingFrom 16
        Derived = None }
      { Title = "Li–Jiao's scheme at the cells' upper endpoints (no randomization)"
        Sampler = c "li-jiao-endpoint" []
        Steps = doublingFrom 16
        Derived = None }
      { Title = "Li–Jiao, parallel (Picard sweeps)"
        Sampler = c "li-jiao-parallel" [ "sweeps", Number 6.0 ]
        Steps = doublingFrom 16
        Derived = None }
      { Title = "DDPM respaced from the 1000-step latent-diffusion schedule"
        Sampler = c "ddpm-respaced" []
        Steps =
          (fun p ->
              match p with
              | Quick -> [ 10; 20; 40; 80; 160; 1000 ]
              | Full -> [ 10; 20; 40; 80; 125; 250; 500; 1000 ])
        Derived = None }
      { Title = "Poisson midpoint on the 1000-step DDPM chain"
        Sampler = c "plmc-ddpm" []
        Steps =
          (fun p ->
              match p with
              | Quick -> [ 10; 20; 40; 100 ]
              | Full -> [ 10; 20; 25; 40; 50; 100; 200 ])
        Derived = None } ]

let private dataTarget =
    comp "gaussian-data" [ "variance_max", Number 1.0; "variance_min", Number 0.05 ]

let private dimension = 16

let private replicates profile =
    match profile with
    | Quick -> 128
    | Full -> 512

let spec profile (case: Case) metric : ExperimentSpec =
    { Name = $"diffusion-{case.Sampler.Name}-{MetricNames.toName metric}"
      Sampler = case.Sampler
      Target = dataTarget
      Dimensions = [ dimension ]
      Metric = metric
      Steps = case.Steps profile
      Chains = replicates profile
      Seeds = [ Seeds.Report ]
      Profile = profile
      Claims = [] }

let private registry = lazy (Registry.load (Registry.defaultPath ()))

/// A section of one sampler on Gaussian data: the registry's decay claim on it when there is one (judged by the
/// engine), otherwise its measured order as a measurement with no published claim.
let gaussianSection (ctx: ReportContext) (case: Case) : Section =
    match ClaimDecayTest.decayTestsOf registry.Value case.Sampler.Name with
    | (claim, i, test) :: _ ->
        let o = ClaimDecayTest.decayTest ctx claim i test
        let verdict = Verdicts.combine o.Judgements

        { Title = case.Title
          ClaimIds = [ claim.Id ]
          Verdict = verdict
          Reason = ClaimSection.reasonOf verdict o.Judgements
          Evidence = o.Judgements
          Method = $"{ClaimSection.claimText claim}\n\n{test.Setup} " + String.concat " " o.Notes
          Fits = o.Fits
          Figures = o.Figures
          Curves = o.Curves }
    | [] ->
        let isRandom = drawsRandomness (spec ctx.Profile case ExactKl)

        let metrics =
            if isRandom then
                [ KlUpper; KlLower; TvUpper ]
            else
                [ ExactKl; TvUpper ]

        let primary = List.head metrics

        let curve, fit, judgement, floorText =
            ClaimDecayTest.orderCheck
                ctx
                $"{case.Sampler.Name}: order of {MetricNames.toName primary} in steps"
                (spec ctx.Profile case primary)
                case.Derived

        let others =
            metrics.Tail
            |> List.map (fun m -> ctx.Run(spec ctx.Profile case m) |> List.head)

        let id = slug case.Sampler.Name

        { Title = case.Title
          ClaimIds = []
          Verdict = NoPublishedClaim
          Reason = $"No published claim states a rate for this sampler on Gaussian data; measured: {judgement.Reason}"
          Evidence = [ judgement ]
          Method =
            $"Gaussian data N(0, diag λ) in d = {dimension} with λ log-spaced from 1 to 0.05; the reference is the early-stopped "
            + $"law q_δ at the sampler's final level (per draw where the end level is drawn). {curve.Method} {floorText}"
          Fits =
            fit
            |> Result.toOption
            |> Option.map (fun f ->
                [ decayTable
                      $"{Figures.metricLabel primary} against steps, Gaussian data (d = {dimension}); no published claim"
                      f
                      None ])
            |> Option.defaultValue []
          Figures =
            [ Figures.errorVsNfe
                  $"{id}-gaussian"
                  $"{case.Title}: error vs NFE, Gaussian data (d = {dimension})"
                  (curve :: others)
              Figures.localSlopes $"{id}-gaussian-slopes" $"{case.Title}: local slopes" [ curve ] None ]
          Curves = curve :: others }

/// The means of a Gaussian mixture in d dimensions with `components` components, seeded.
let private mixtureMeans (d: int) (components: int) =
    let means = Array.zeroCreate (components * d)
    RateLab.Core.Randomness.CounterRng.Normals(7UL, 0L, 0L, 0, System.Span means)
    means

/// The smallest distance between two component means: a chain whose error exceeds half of it ended near another mode.
let private separation (d: int) (components: int) (means: float[]) =
    seq {
        for i in 0 .. components - 1 do
            for j in i + 1 .. components - 1 ->
                sqrt (Seq.sum (seq { for k in 0 .. d - 1 -> (means.[i * d + k] - means.[j * d + k]) ** 2.0 }))
    }
    |> Seq.min

let private encodeRobust (curve: ErrorCurve, robust: CoupledCurves.Robust list) =
    let o = System.Text.Json.Nodes.JsonObject()
    o["curve"] <- ResultsJson.encodeCurve curve

    o["robust"] <-
        System.Text.Json.Nodes.JsonArray(
            robust
            |> List.map (fun r ->
                let x = System.Text.Json.Nodes.JsonObject()
                x["steps"] <- System.Text.Json.Nodes.JsonValue.Create r.Steps
                x["median"] <- System.Text.Json.Nodes.JsonValue.Create r.Median
                x["q90"] <- System.Text.Json.Nodes.JsonValue.Create r.Q90
                x["switched"] <- System.Text.Json.Nodes.JsonValue.Create r.Switched
                x :> System.Text.Json.Nodes.JsonNode |> Some |> Option.toObj)
            |> Array.ofList
        )

    o :> System.Text.Json.Nodes.JsonNode

let private decodeRobust (n: System.Text.Json.Nodes.JsonNode) =
    let get (x: System.Text.Json.Nodes.JsonNode) (name: string) = nonNull x.[name]

    ResultsJson.decodeCurve (get n "curve"),
    [ for x in (get n "robust").AsArray() ->
          let x = nonNull x

          ({ Steps = (get x "steps").GetValue<int>()
             Median = (get x "median").GetValue<float>()
             Q90 = (get x "q90").GetValue<float>()
             Switched = (get x "switched").GetValue<float>() }
          : CoupledCurves.Robust) ]

/// The strong-error section: probability-flow samplers on a Gaussian mixture against the coupled exact flow.
let mixtureSection (ctx: ReportContext) : Section =
    let d, components = 8, 8
    let means = mixtureMeans d components

    let field =
        GaussianMixtureNoisedScore(
            Array.create components (1.0 / float components),
            means,
            Array.create (components * d) 0.25
        )

    let gap = separation d components means

    let flowSteps =
        match ctx.Profile with
        | Quick -> 4000
        | Full -> 20000

    let flow = Rk4ReferenceFlow(field, flowSteps)

    let chains =
        match ctx.Profile with
        | Quick -> 64
        | Full -> 512

    let steps =
        doubling
            8
            (match ctx.Profile with
             | Quick -> 5
             | Full -> 7)

    let grid n =
        NoiseGrid.LogSnrUniform(1.0 - 1e-4, 1e-3, n)

    let onGrid (make: int -> NoiseGrid -> ReverseGridKernel) n : ICoupledSampler = PfOdeCoupling(make d (grid n))

    let samplers: (string * float * (int -> ICoupledSampler)) list =
        [ "DDIM", 1.0, onGrid (fun d g -> Ddim(d, g, 0.0))
          "exponential Euler", 1.0, onGrid (fun d g -> ProbabilityFlowExponentialEuler(d, g))
          "Heun", 2.0, onGrid (fun d g -> Heun(d, g))
          "Gupta predictor", 1.5, (fun n -> GuptaCaiChenPredictor(d, grid n))
          "Li–Jiao", 1.5, (fun n -> LiJiao(d, LiJiaoSchedule(n, 4, 2.0, 4.0))) ]

    let measured =
        [ for name, p, build in samplers ->
              let stepsFor =
                  if name = "Li–Jiao" then
                      steps |> List.map (fun n -> 2 * n)
                  else
                      steps

              let key =
                  $"mixture-strong/2/{name}/d={d}/components={components}/rk4={flowSteps}/chains={chains}/steps={stepsFor}/seed=20261123"

              let compute () =
                  encodeRobust (
                      CoupledCurves.curve
                          name
                          $"Gaussian mixture (d={d}, {components} components)"
                          d
                          build
                          field
                          flow
                          stepsFor
                          chains
                          Seeds.Report
                          gap
                  )

              let curve, robust = decodeRobust (ctx.Cached key compute)
              p, curve, robust ]

    let curves = measured |> List.map (fun (p, c, _) -> p, c)
    // The median per-chain error, a curve of its own: robust to the few chains that switch modes.
    let medianCurves =
        measured
        |> List.map (fun (_, c, robust) ->
            { c with
                Sampler = $"{c.Sampler} (median)"
                Points =
                    List.map2
                        (fun (pt: ErrorPoint) (r: CoupledCurves.Robust) ->
                            { pt with
                                Error =
                                    { Value = r.Median
                                      Lower = nan
                                      Upper = nan
                                      StdError = nan
                                      Level = 0.95 } })
                        c.Points
                        robust
                Method = "median of the per-chain errors ‖Y − Y*‖ (no interval)" })

    let robustText =
        measured
        |> List.map (fun (_, c, robust) ->
            let rows =
                robust
                |> List.map (fun r ->
                    $"n = {r.Steps}: median {r.Median:g3}, q90 {r.Q90:g3}, switched {100.0 * r.Switched:g3} %%")

            let rowsText = String.concat "; " rows
            $"{c.Sampler}: {rowsText}.")
        |> String.concat " "

    let fitOf (c: ErrorCurve) =
        let floors = Floors.numericOnly c

        Floors.limits floors c,
        PowerLawFit.fitDecay PowerLawFit.defaultSettings RateFit.Nfe [ [ c ], Floors.forWindow floors c ]

    let fits = [ for p, c in curves -> let floors, f = fitOf c in c, p, floors, f ]
    // Every curve is shown; one that cannot be fitted says why instead of disappearing.
    let evidence =
        fits
        |> List.map (fun (c, p, floors, f) ->
            match f with
            | Ok fit ->
                let measured, how = orderForVerdict RateFit.Nfe c floors fit

                Verdicts.noClaim
                    $"{c.Sampler}: strong order"
                    $"{measured.Value:g4} [{measured.Lower:g4}, {measured.Upper:g4}] ({how}); the reconstructed smooth-target order is {p:g3}."
            | Error e ->
                let median =
                    c.Points
                    |> List.map (fun pt -> pt.Error.Value)
                    |> List.sort
                    |> fun xs -> xs.[xs.Length / 2]

                Verdicts.noClaim
                    $"{c.Sampler}: strong order"
                    $"not fitted ({e}); the curve is shown (median RMS over the grid {median:g3}). Heavy-tailed per-chain errors (chains that switch modes) make the RMS noisy at this chain count.")
    // The median's order: a robust companion to the RMS fit (its value carries no interval, so it is a local slope).
    let medianEvidence =
        medianCurves
        |> List.map (fun c ->
            let floors = Floors.numericOnly c

            match
                PowerLawFit.fitDecay PowerLawFit.defaultSettings RateFit.Nfe [ [ c ], Floors.forWindow floors c ]
            with
            | Ok fit ->
                let measured, how = orderForVerdict RateFit.Nfe c (Floors.limits floors c) fit

                Verdicts.noClaim
                    $"{c.Sampler}: order"
                    $"{measured.Value:g4} [{measured.Lower:g4}, {measured.Upper:g4}] ({how})."
            | Error e -> Verdicts.noClaim $"{c.Sampler}: order" $"not fitted ({e}).")

    let evidence = evidence @ medianEvidence

    let reason =
        "No published claim states strong orders on a mixture; the measured orders (RMS and median per-chain error) are reported beside the reconstructed smooth-target orders: "
        + (evidence |> List.map (fun j -> j.Reason) |> String.concat " ")

    { Title = "Strong error on a Gaussian mixture (coupled reference)"
      ClaimIds = []
      Verdict = NoPublishedClaim
      Reason = reason
      Evidence = evidence
      Method =
        $"A {components}-component Gaussian mixture in d = {d} (seeded random means, component variance 0.25): no exact law exists, so "
        + $"each sampler and the probability-flow ODE (RK4 with {flowSteps} steps uniform in log-SNR) are driven by the same initial Gaussian "
        + "(Li–Jiao: also the same injections between the same levels) and the RMS of ‖Y − Y*‖ is reported with 95% intervals from the "
        + $"per-chain spread ({chains} chains). Reconstructed strong orders on smooth targets (not published claims): DDIM and "
        + "exponential Euler n^−1, Heun n^−2, randomized midpoints n^−3/2 (for Li–Jiao in cells per unit log-SNR, so fits against T "
        + "are shallower by the log factor). Strong error bounds W2-type error, not TV. "
        + $"Per-chain errors are heavy-tailed (a chain that ends near another mode than its reference has an error of the order of the mode separation {gap:g3}); robust summaries per point (a chain counts as switched when its error exceeds half that separation): {robustText}"
      Fits =
        [ for c, p, _, f in fits do
              match f with
              | Ok fit ->
                  yield
                      decayTable
                          $"RMS strong error of {c.Sampler} against NFE (no published claim; reconstructed order shown)"
                          fit
                          (Some p)
              | Error _ -> () ]
      Figures =
        [ Figures.errorVsNfe "mixture-strong" "Strong error vs NFE on a Gaussian mixture" (List.map snd curves)
          Figures.errorVsNfe "mixture-strong-median" "Median per-chain error vs NFE on a Gaussian mixture" medianCurves
          Figures.localSlopes "mixture-strong-slopes" "Local slopes of the strong error" (List.map snd curves) None ]
      Curves = List.map snd curves @ medianCurves }

/// The whole part.
let part (ctx: ReportContext) : Units.PartPlan =
    let unit' = Units.announced ctx.SectionDone

    { Slug = "diffusion"
      Title = "Diffusion samplers"
      Intro =
        "Every diffusion sampler on Gaussian data, where the output law given the sampler's draws is Gaussian and is computed "
        + "exactly; randomized samplers report the convexity upper bound E_draws[KL] (Monte Carlo over draws, with intervals) and "
        + "the moment-matched lower bound. The probability-flow samplers are also measured on a Gaussian mixture by coupled strong "
        + "error. Each number names its metric. Gaussian data are benign: the exponents here test the discretisation orders, not the "
        + "worst-case bounds (docs/background.md)."
      Units =
        (cases
         |> List.map (fun c -> unit' c.Sampler.Name (fun () -> gaussianSection ctx c)))
        @ [ unit' "mixture" (fun () -> mixtureSection ctx) ] }
