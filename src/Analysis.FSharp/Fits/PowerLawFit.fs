/// Power-law fits by least squares on logs (theory-claims §5.5), with bootstrap intervals: over replicate seeds when
/// replicate curves are given (they carry the Monte Carlo noise), over the fit residuals otherwise.
module RateLab.Analysis.Fits.PowerLawFit

open System
open MathNet.Numerics.Distributions
open RateLab.Core.Validation
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Stats
open RateLab.Analysis.Fits
open RateLab.Analysis.Fits.RateFit

/// Interval settings shared by all fits.
type FitSettings =
    { Rule: FitWindow.WindowRule
      /// Confidence level of every interval, e.g. 0.95.
      Level: float
      /// Bootstrap draws (≥ 99).
      BootstrapReplicates: int
      /// Seed of the bootstrap resampling.
      Seed: uint64 }

/// 95 % intervals from 1999 bootstrap draws, default window rule.
let defaultSettings = { Rule = FitWindow.defaultRule; Level = 0.95; BootstrapReplicates = 1999; Seed = 20261123UL }

let private validate (s: FitSettings) =
    Guard.InOpen(s.Level, 0.0, 1.0, "settings.Level") |> ignore
    Guard.AtLeast(s.BootstrapReplicates, 99, "settings.BootstrapReplicates") |> ignore

let private estimate level (value: float) se (lo, hi) =
    { Value = value; Lower = lo; Upper = hi; StdError = se; Level = level }

let private result (s: FitSettings) names (fit: Ols.OlsFit) (intervals: (float * float)[]) window rule method =
    let e j = estimate s.Level fit.Coefficients.[j] fit.StdErrors.[j] intervals.[j]
    { Regressors = names
      Intercept = e 0
      Slopes = List.init (names.Length) (fun j -> e (j + 1))
      Window = window
      WindowRule = rule
      Residuals = List.ofArray fit.Residuals
      IntervalMethod = method }

let private residualMethod (s: FitSettings) =
    $"studentized residual bootstrap (bootstrap-t), {s.BootstrapReplicates} draws, level {s.Level}; standard errors from (XᵀX)⁻¹σ̂²"

/// Cost fit log N* = c + a·log d + b·log(1/ε) over searched N*(d, ε). Regressors with a single distinct value are left
/// out (a single d gives the ε-exponent alone). Points whose search did not reach ε are not fitted.
let fitCost (s: FitSettings) (subject: FitSubject) (points: (int * NStar.NStarResult) list) : Result<RateFit, string> =
    validate s
    points |> List.iteri (fun i (d, r) ->
        Guard.AtLeast(d, 1, $"points[{i}].dimension") |> ignore
        Guard.Positive(r.Epsilon, $"points[{i}].epsilon") |> ignore)
    let found = points |> List.indexed |> List.choose (fun (i, (d, r)) -> r.NStar |> Option.map (fun n -> i, d, r.Epsilon, n))
    let varies f = found |> List.map f |> List.distinct |> List.length > 1
    let columns =
        [ if varies (fun (_, d, _, _) -> d) then "log d", (fun (_, d, _, _) -> log (float d))
          if varies (fun (_, _, e, _) -> e) then "log(1/eps)", (fun (_, _, e, _) -> -log e) ]
    if columns.IsEmpty then Error "cost fit: the found N* points vary in neither d nor ε"
    elif found.Length < columns.Length + 2 then
        Error $"cost fit: {found.Length} of {points.Length} searches reached ε; at least {columns.Length + 2} are needed for {columns.Length} exponent(s) with a residual"
    else
        let x = Ols.design [| for p in found -> [| for _, f in columns -> f p |] |]
        let fit = Ols.fitDesign x [| for _, _, _, n in found -> log (float n) |]
        let intervals = Bootstrap.residualBootstrapT x fit s.Seed s.BootstrapReplicates s.Level
        Ok { Kind = CostFit
             Sampler = subject.Sampler
             Parameters = subject.Parameters
             Target = subject.Target
             Metric = subject.Metric
             Dimensions = found |> List.map (fun (_, d, _, _) -> d) |> List.distinct
             Grid = found |> List.map (fun (_, _, _, n) -> n)
             Epsilons = found |> List.map (fun (_, _, e, _) -> e) |> List.distinct
             Seeds = subject.Seeds
             Axis = Steps
             Fit = result s (List.map fst columns) fit intervals (found |> List.map (fun (i, _, _, _) -> i))
                       "every (d, ε) whose N* search reached ε within its step range" (residualMethod s)
             LocalSlopes = [] }

let private costOf axis (p: ErrorPoint) =
    match axis with
    | Steps -> float p.Steps
    | Nfe -> p.Nfe
    | Depth -> p.Depth

/// The mean curve of one dimension's replicates: value = mean error, standard error = spread / √R (the sampling noise
/// between seeds), or the single curve itself when there is one replicate.
let private meanCurve level (replicates: ErrorCurve list) =
    match replicates with
    | [ one ] -> one.Points |> List.map (fun p -> p.Error) |> Array.ofList
    | _ ->
        let z = Normal.InvCDF(0.0, 1.0, (1.0 + level) / 2.0)
        let rows = replicates |> List.map (fun c -> c.Points |> List.map (fun p -> p.Error.Value) |> Array.ofList) |> Array.ofList
        Array.init rows.[0].Length (fun j ->
            let xs = rows |> Array.map (fun r -> r.[j])
            let m = Array.average xs
            let se = sqrt ((xs |> Array.sumBy (fun x -> (x - m) ** 2.0)) / float (xs.Length - 1) / float xs.Length)
            { Value = m; Lower = m - z * se; Upper = m + z * se; StdError = se; Level = level })

let private checkCurves (groups: (ErrorCurve list * float[]) list) =
    if groups.IsEmpty then raise (ArgumentException("curves is empty; allowed: at least one dimension with one curve.", "curves"))
    let first = List.head (fst groups.Head)
    let replicateCount = (fst groups.Head).Length
    groups |> List.iteri (fun g (reps, floors) ->
        if reps.Length <> replicateCount then
            raise (ArgumentException($"curves[{g}] has {reps.Length} replicates; allowed: the same count as curves[0] ({replicateCount}), so seeds are resampled jointly.", "curves"))
        reps |> List.iteri (fun r c ->
            let name = $"curves[{g}][{r}]"
            if c.Sampler <> first.Sampler || c.Metric <> first.Metric then
                raise (ArgumentException($"{name} is {c.Sampler}/{c.Metric}; allowed: the sampler and metric of curves[0][0] ({first.Sampler}/{first.Metric}).", "curves"))
            if c.Dimension <> (List.head reps).Dimension then
                raise (ArgumentException($"{name}.Dimension = {c.Dimension}; allowed: {(List.head reps).Dimension}, the dimension of its group.", "curves"))
            if (c.Points |> List.map (fun p -> p.Steps)) <> ((List.head reps).Points |> List.map (fun p -> p.Steps)) then
                raise (ArgumentException($"{name} has a different step grid; allowed: the grid of curves[{g}][0].", "curves")))
        Guard.Length(floors.Length, (List.head reps).Points.Length, $"floors[{g}]"))

/// Decay fit log error = c + a·log d + p·log(1/N) with N on the given cost axis. Input: one group per dimension, each
/// a list of replicate curves (same grid; one curve when there are no replicates) and the noise floor of each grid
/// point. The window rule is applied per dimension to the mean curve; FitResult.Window indexes the concatenation of the
/// groups' grids. With ≥ 2 replicates the intervals are percentile intervals over seeds resampled jointly across
/// dimensions (the window is held fixed, so window choice is not part of the interval); with one curve per dimension
/// they are residual bootstrap-t intervals. log d is a regressor only when the dimensions differ.
let fitDecay (s: FitSettings) (axis: CostAxis) (groups: (ErrorCurve list * float[]) list) : Result<RateFit, string> =
    validate s
    checkCurves groups
    let curves = groups |> List.map (fst >> List.head)
    let means = groups |> List.map (fun (reps, _) -> meanCurve s.Level reps)
    let offsets = curves |> List.scan (fun o c -> o + c.Points.Length) 0
    let windows =
        List.zip3 curves means (List.map snd groups)
        |> List.map (fun (c, m, floors) ->
            let costs = c.Points |> List.map (costOf axis) |> Array.ofList
            costs |> Array.iteri (fun i x -> Guard.Positive(x, $"cost of point {i} of the {c.Dimension}-dimensional curve") |> ignore)
            FitWindow.choose s.Rule (Array.zip costs m) floors, costs)
    match List.tryFindIndex (fst >> Option.isNone) windows with
    | Some g -> Error $"decay fit: no window of {s.Rule.MinPoints} consistent points above the floor for d = {curves.[g].Dimension}"
    | None ->
        let chosen = windows |> List.mapi (fun g (w, costs) -> g, Option.get w, costs)
        let withD = curves |> List.map (fun c -> c.Dimension) |> List.distinct |> List.length > 1
        let names =
            [ if withD then
                  "log d"
              "log(1/N)" ]
        let rows = [| for g, w, costs in chosen do
                        for i in w ->
                            [| if withD then
                                   log (float curves.[g].Dimension)
                               -log costs.[i] |] |]
        let x = Ols.design rows
        let response (values: int -> int -> float) = [| for g, w, _ in chosen do for i in w -> log (values g i) |]
        let fit = Ols.fitDesign x (response (fun g i -> means.[g].[i].Value))
        let replicateCount = (fst groups.Head).Length
        let intervals, method =
            if replicateCount = 1 then Bootstrap.residualBootstrapT x fit s.Seed s.BootstrapReplicates s.Level, residualMethod s
            else
                let values = groups |> List.map (fun (reps, _) -> reps |> List.map (fun c -> c.Points |> List.map (fun p -> p.Error.Value) |> Array.ofList) |> Array.ofList) |> Array.ofList
                let statistic (picked: int[]) =
                    (Ols.fitDesign x (response (fun g i -> picked |> Array.averageBy (fun r -> values.[g].[r].[i])))).Coefficients
                Bootstrap.replicatePercentile statistic replicateCount s.Seed s.BootstrapReplicates s.Level,
                $"percentile bootstrap over {replicateCount} replicate seeds (fit of log mean error), {s.BootstrapReplicates} draws, level {s.Level}; standard errors from (XᵀX)⁻¹σ̂²"
        let first = curves.Head
        Ok { Kind = DecayFit
             Sampler = first.Sampler
             Parameters = first.Parameters
             Target = first.Target
             Metric = first.Metric
             Dimensions = curves |> List.map (fun c -> c.Dimension)
             Grid = first.Points |> List.map (fun p -> p.Steps)
             Epsilons = []
             Seeds = groups |> List.collect (fst >> List.collect (fun c -> c.Seeds)) |> List.distinct
             Axis = axis
             Fit = result s names fit intervals [ for g, w, _ in chosen do for i in w -> offsets.[g] + i ] (FitWindow.describe s.Rule) method
             LocalSlopes =
                 chosen |> List.map (fun (g, _, costs) ->
                     let kept = means.[g] |> Array.takeWhile (fun e -> e.Value > 0.0)
                     curves.[g].Dimension, LocalSlopes.compute (Array.zip costs.[.. kept.Length - 1] kept) |> List.ofArray) }
