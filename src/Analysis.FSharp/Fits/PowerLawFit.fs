/// Power-law fits by least squares on logs (docs/background.md), with bootstrap intervals: over replicate seeds when
/// replicate curves are given (they carry the Monte Carlo noise), over the fit residuals otherwise.
module RateLab.Analysis.Fits.PowerLawFit

open System
open MathNet.Numerics.Distributions
open RateLab.Analysis.Model
open RateLab.Core.Validation
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Stats
open RateLab.Analysis.Fits
open RateLab.Analysis.Fits.RateFit

/// Window, model and interval settings shared by all fits.
type FitSettings =
    {
        Rule: FitWindow.WindowRule
        /// Which points a decay fit uses: the automatic Rule (Auto) or an override. Cost fits use every found N*.
        Window: FitWindow.WindowChoice
        /// A log factor divided out of the response before regressing; None fits a pure power law.
        LogFactor: LogFactor option
        /// Confidence level of every interval, e.g. 0.95.
        Level: float
        /// Bootstrap draws (≥ 99).
        BootstrapReplicates: int
        /// Seed of the bootstrap resampling.
        Seed: uint64
    }

/// 95 % intervals from 1999 bootstrap draws, the automatic default window rule, pure power law.
let defaultSettings =
    { Rule = FitWindow.defaultRule
      Window = FitWindow.Auto
      LogFactor = None
      Level = 0.95
      BootstrapReplicates = 1999
      Seed = Seeds.Report }

let private validate (s: FitSettings) =
    Guard.InOpen(s.Level, 0.0, 1.0, "settings.Level") |> ignore

    Guard.AtLeast(s.BootstrapReplicates, 99, "settings.BootstrapReplicates")
    |> ignore

let private estimate level (value: float) se (lo, hi) =
    { Value = value
      Lower = lo
      Upper = hi
      StdError = se
      Level = level }

let private result (s: FitSettings) names (fit: Ols.OlsFit) (intervals: (float * float)[]) window excluded rule method =
    let e j =
        estimate s.Level fit.Coefficients.[j] fit.StdErrors.[j] intervals.[j]

    let model =
        s.LogFactor
        |> Option.map (fun f -> "; " + LogFactor.modelText f)
        |> Option.defaultValue ""

    { Regressors = names
      Intercept = e 0
      Slopes = List.init (names.Length) (fun j -> e (j + 1))
      Window = window
      WindowRule = rule + model
      Residuals = List.ofArray fit.Residuals
      Excluded = excluded
      IntervalMethod = method }

/// Residual degrees of freedom from which the t-interval replaces the residual bootstrap: there the studentized
/// bootstrap and the t-interval agree to far below the intervals' width, and 2000 refits of 10⁵ points would take
/// minutes.
[<Literal>]
let LargeDof = 1000

/// Intervals from one fit's residuals, and their description: bootstrap-t for small fits, t-intervals for large ones.
let private residualIntervals (s: FitSettings) (x: Ols.Design) (fit: Ols.OlsFit) =
    if fit.Dof >= LargeDof then
        let t = StudentT.InvCDF(0.0, 1.0, float fit.Dof, (1.0 + s.Level) / 2.0)

        fit.Coefficients
        |> Array.mapi (fun j b -> b - t * fit.StdErrors.[j], b + t * fit.StdErrors.[j]),
        $"t-intervals with {fit.Dof} residual degrees of freedom (≥ {LargeDof}, where a residual bootstrap adds "
        + $"nothing), level {s.Level}; standard errors from (XᵀX)⁻¹σ̂²"
    else
        // With few residual degrees of freedom the bootstrap-t alone under-covers (three points, one degree of
        // freedom: 66 % at nominal 95 % under normal errors; four points: 92 %), because three or four residuals
        // cannot show a heavy tail; the Student-t interval, exact under normal errors, bounds it from inside.
        let t = StudentT.InvCDF(0.0, 1.0, float fit.Dof, (1.0 + s.Level) / 2.0)

        Bootstrap.residualBootstrapT x fit s.Seed s.BootstrapReplicates s.Level
        |> Array.mapi (fun j (lo, hi) ->
            let b, se = fit.Coefficients.[j], fit.StdErrors.[j]
            min lo (b - t * se), max hi (b + t * se)),
        $"studentized residual bootstrap (bootstrap-t), {s.BootstrapReplicates} draws, level {s.Level}, never "
        + $"narrower than the Student-t interval with {fit.Dof} residual degrees of freedom; standard errors from "
        + "(XᵀX)⁻¹σ̂²"

/// Cost fit log N* = c + a·log d + b·log(1/ε) over searched N*(d, ε). Regressors with a single distinct value are left
/// out (a single d gives the ε-exponent alone). Points whose search did not reach ε are not fitted.
let fitCost (s: FitSettings) (subject: FitSubject) (points: (int * NStar.NStarResult) list) : Result<RateFit, string> =
    validate s

    points
    |> List.iteri (fun i (d, r) ->
        Guard.AtLeast(d, 1, $"points[{i}].dimension") |> ignore
        Guard.Positive(r.Epsilon, $"points[{i}].epsilon") |> ignore)
    // log of the log factor at each search, None where its logarithm is not positive.
    let factorLog (d: int) (eps: float) (n: int) =
        match s.LogFactor with
        | None -> Some 0.0
        | Some f ->
            let z =
                match f.Argument with
                | LogCost -> float n
                | LogDOverEps -> float d / eps
                | LogInvEps -> 1.0 / eps

            LogFactor.logOf f.Power z

    let classified =
        points
        |> List.indexed
        |> List.map (fun (i, (d, r)) ->
            match r.NStar with
            | None -> Choice2Of2(i, "the N* search did not reach ε within its step range")
            | Some n ->
                match factorLog d r.Epsilon n with
                | None -> Choice2Of2(i, "the log factor's argument has ln ≤ 0, where the factor is undefined")
                | Some shift -> Choice1Of2(i, d, r.Epsilon, n, shift))

    let found =
        classified
        |> List.choose (function
            | Choice1Of2(i, d, e, n, _) -> Some(i, d, e, n)
            | _ -> None)

    let shifts =
        classified
        |> List.choose (function
            | Choice1Of2(_, _, _, _, shift) -> Some shift
            | _ -> None)

    let excluded =
        classified
        |> List.choose (function
            | Choice2Of2 x -> Some x
            | _ -> None)

    let varies f =
        found |> List.map f |> List.distinct |> List.length > 1

    let columns =
        [ if varies (fun (_, d, _, _) -> d) then
              "log d", (fun (_, d, _, _) -> log (float d))
          if varies (fun (_, _, e, _) -> e) then
              "log(1/eps)", (fun (_, _, e, _) -> -log e) ]

    if columns.IsEmpty then
        Error "cost fit: the found N* points vary in neither d nor ε"
    elif found.Length < columns.Length + 2 then
        Error
            $"cost fit: {found.Length} of {points.Length} searches reached ε; at least {columns.Length + 2} are needed for {columns.Length} exponent(s) with a residual"
    else
        let x = Ols.design [| for p in found -> [| for _, f in columns -> f p |] |]

        let response =
            List.map2 (fun (_, _, _, n) shift -> log (float n) - shift) found shifts

        let fit = Ols.fitDesign x (Array.ofList response)
        let intervals, method = residualIntervals s x fit

        Ok
            { Kind = CostFit
              Sampler = subject.Sampler
              Parameters = subject.Parameters
              Target = subject.Target
              Metric = subject.Metric
              Dimensions = found |> List.map (fun (_, d, _, _) -> d) |> List.distinct
              Grid = found |> List.map (fun (_, _, _, n) -> n)
              Epsilons = found |> List.map (fun (_, _, e, _) -> e) |> List.distinct
              Seeds = subject.Seeds
              Axis = Steps
              Fit =
                result
                    s
                    (List.map fst columns)
                    fit
                    intervals
                    (found |> List.map (fun (i, _, _, _) -> i))
                    excluded
                    "every (d, ε) whose N* search reached ε within its step range"
                    method
              LocalSlopes = [] }

/// Cost fit log N* = c + a·log v over a sweep of a conditioning parameter v (κ or L) at one (d, ε), regressor
/// `regressor` (e.g. "log kappa"). A log factor of the cost is divided out as in fitCost; one of d/ε or 1/ε is constant
/// over the sweep and moves only the intercept, so it is left in. Points whose search did not reach ε are not fitted.
let fitSweep
    (s: FitSettings)
    (subject: FitSubject)
    (regressor: string)
    (d: int)
    (points: (float * NStar.NStarResult) list)
    : Result<RateFit, string> =
    validate s

    points
    |> List.iteri (fun i (v, _) -> Guard.Positive(v, $"points[{i}].value") |> ignore)

    let shift (n: int) =
        match s.LogFactor with
        | Some f when f.Argument = LogCost -> LogFactor.logOf f.Power (float n)
        | _ -> Some 0.0

    let found, excluded =
        points
        |> List.indexed
        |> List.fold
            (fun (found, excluded) (i, (v, r)) ->
                match r.NStar with
                | None -> found, (i, "the N* search did not reach ε within its step range") :: excluded
                | Some n ->
                    match shift n with
                    | None ->
                        found,
                        (i, "the log factor's argument has ln ≤ 0, where the factor is undefined")
                        :: excluded
                    | Some z -> (i, v, r.Epsilon, n, z) :: found, excluded)
            ([], [])

    let found, excluded = List.rev found, List.rev excluded

    if (found |> List.map (fun (_, v, _, _, _) -> v) |> List.distinct).Length < 3 then
        Error
            $"sweep fit: {found.Length} of {points.Length} searches reached ε; at least 3 distinct values are needed for an exponent with a residual"
    else
        let x = Ols.design [| for _, v, _, _, _ in found -> [| log v |] |]
        let response = [| for _, _, _, n, z in found -> log (float n) - z |]
        let fit = Ols.fitDesign x response
        let intervals, method = residualIntervals s x fit

        Ok
            { Kind = CostFit
              Sampler = subject.Sampler
              Parameters = subject.Parameters
              Target = subject.Target
              Metric = subject.Metric
              Dimensions = [ d ]
              Grid = found |> List.map (fun (_, _, _, n, _) -> n)
              Epsilons = found |> List.map (fun (_, _, e, _, _) -> e) |> List.distinct
              Seeds = subject.Seeds
              Axis = Steps
              Fit =
                result
                    s
                    [ regressor ]
                    fit
                    intervals
                    (found |> List.map (fun (i, _, _, _, _) -> i))
                    excluded
                    "every value of the sweep whose N* search reached ε within its step range"
                    method
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

        let rows =
            replicates
            |> List.map (fun c -> c.Points |> List.map (fun p -> p.Error.Value) |> Array.ofList)
            |> Array.ofList

        Array.init rows.[0].Length (fun j ->
            let xs = rows |> Array.map (fun r -> r.[j])
            let m = Array.average xs

            let se =
                sqrt (
                    (xs |> Array.sumBy (fun x -> (x - m) ** 2.0))
                    / float (xs.Length - 1)
                    / float xs.Length
                )

            { Value = m
              Lower = m - z * se
              Upper = m + z * se
              StdError = se
              Level = level })

let private checkCurves (groups: (ErrorCurve list * float[]) list) =
    if groups.IsEmpty then
        raise (ArgumentException("curves is empty; allowed: at least one dimension with one curve.", "curves"))

    let first = List.head (fst groups.Head)
    let replicateCount = (fst groups.Head).Length

    groups
    |> List.iteri (fun g (reps, floors) ->
        if reps.Length <> replicateCount then
            raise (
                ArgumentException(
                    $"curves[{g}] has {reps.Length} replicates; allowed: the same count as curves[0] ({replicateCount}), so seeds are resampled jointly.",
                    "curves"
                )
            )

        reps
        |> List.iteri (fun r c ->
            let name = $"curves[{g}][{r}]"

            if c.Sampler <> first.Sampler || c.Metric <> first.Metric then
                raise (
                    ArgumentException(
                        $"{name} is {c.Sampler}/{c.Metric}; allowed: the sampler and metric of curves[0][0] ({first.Sampler}/{first.Metric}).",
                        "curves"
                    )
                )

            if c.Dimension <> (List.head reps).Dimension then
                raise (
                    ArgumentException(
                        $"{name}.Dimension = {c.Dimension}; allowed: {(List.head reps).Dimension}, the dimension of its group.",
                        "curves"
                    )
                )

            if
                (c.Points |> List.map (fun p -> p.Steps))
                <> ((List.head reps).Points |> List.map (fun p -> p.Steps))
            then
                raise (
                    ArgumentException(
                        $"{name} has a different step grid; allowed: the grid of curves[{g}][0].",
                        "curves"
                    )
                ))

        Guard.Length(floors.Length, (List.head reps).Points.Length, $"floors[{g}]"))

/// Decay fit log error = c + a·log d + p·log(1/N) with N on the given cost axis (with a log factor (ln N)^a in
/// settings.LogFactor, a·log(ln N) is subtracted from log error first). Input: one group per dimension, each a list of
/// replicate curves (same grid, sorted by increasing cost; one curve when there are no replicates) and the noise floor
/// of each grid point. The window (settings.Window) is chosen per dimension on the mean curve; FitResult.Window and
/// FitResult.Excluded index the concatenation of the groups' grids. With ≥ 2 replicates the intervals are percentile
/// intervals over seeds resampled jointly across dimensions (the window is held fixed, so window choice is not part
/// of the interval); with one curve per dimension they are residual bootstrap-t intervals. Either is widened by the
/// bias bound of a window the rule trimmed for a bend (FitWindow.Selection.LastDropped): a bend too weak to test
/// still biases the slope by a standard error or two. log d is a regressor only when the dimensions differ.
let fitDecay (s: FitSettings) (axis: CostAxis) (groups: (ErrorCurve list * float[]) list) : Result<RateFit, string> =
    validate s
    checkCurves groups

    match s.LogFactor with
    | Some f when f.Argument <> LogCost ->
        let message =
            $"settings.LogFactor.Argument = {f.Argument} is out of range for a decay fit; allowed: LogCost "
            + "(a decay curve has no ε)."

        raise (ArgumentException(message, "settings"))
    | _ -> ()

    let curves = groups |> List.map (fst >> List.head)
    let means = groups |> List.map (fun (reps, _) -> meanCurve s.Level reps)
    let offsets = curves |> List.scan (fun o c -> o + c.Points.Length) 0

    let windows =
        List.zip3 curves means (List.map snd groups)
        |> List.map (fun (c, m, floors) ->
            let costs = c.Points |> List.map (costOf axis) |> Array.ofList

            costs
            |> Array.iteri (fun i x ->
                Guard.Positive(x, $"cost of point {i} of the {c.Dimension}-dimensional curve")
                |> ignore)

            FitWindow.select s.Rule s.Window s.LogFactor (Array.zip costs m) floors, costs)

    let failed =
        windows
        |> List.indexed
        |> List.tryPick (fun (g, (w, _)) ->
            match w with
            | Error e -> Some(g, e)
            | Ok c when c.Window.Length < 3 ->
                Some(g, $"the window has {c.Window.Length} point(s); at least 3 are needed")
            | Ok _ -> None)

    match failed with
    | Some(g, why) -> Error $"decay fit: no window for d = {curves.[g].Dimension}: {why}"
    | None ->
        let chosen =
            windows |> List.mapi (fun g (w, costs) -> g, (Result.toOption w).Value, costs)

        let withD =
            curves |> List.map (fun c -> c.Dimension) |> List.distinct |> List.length > 1

        let names =
            [ if withD then
                  "log d"
              "log(1/N)" ]

        let rowsOf (windows: int list list) =
            [| for (g, _, costs), window in List.zip chosen windows do
                   for i in window ->
                       [| if withD then
                              log (float curves.[g].Dimension)
                          -log costs.[i] |] |]

        let shift (costs: float[]) i =
            s.LogFactor
            |> Option.bind (fun f -> LogFactor.logOf f.Power costs.[i])
            |> Option.defaultValue 0.0

        let responseOf (windows: int list list) (values: int -> int -> float) =
            [| for (g, _, costs), window in List.zip chosen windows do
                   for i in window -> log (values g i) - shift costs i |]

        let finalWindows = chosen |> List.map (fun (_, w, _) -> w.Window)
        let x = Ols.design (rowsOf finalWindows)
        let response = responseOf finalWindows
        let meanValue g i = means.[g].[i].Value
        let fit = Ols.fitDesign x (response meanValue)
        // Richardson-type bias bound: for each end of each group's window that the rule trimmed for a bend, the
        // change of every coefficient when the last chunk dropped there is put back; the changes add.
        let bias =
            chosen
            |> List.indexed
            |> List.collect (fun (g, (_, w, _)) ->
                w.LastDropped
                |> List.map (fun chunk ->
                    let restored h win =
                        if h = g then List.sort (chunk @ win) else win

                    let windows = finalWindows |> List.mapi restored
                    let refit = Ols.fit (rowsOf windows) (responseOf windows meanValue)
                    Array.map2 (fun a b -> abs (a - b)) refit.Coefficients fit.Coefficients))
            |> List.fold (Array.map2 (+)) (Array.zeroCreate fit.Coefficients.Length)

        let widen (intervals: (float * float)[], method: string) =
            if Array.forall ((=) 0.0) bias then
                intervals, method
            else
                Array.map2 (fun (lo, hi) b -> lo - b, hi + b) intervals bias,
                method
                + "; widened on both sides by the change of each coefficient when the last chunk the rule "
                + "dropped for a bend at each end is put back (a bias bound)"

        let replicateCount = (fst groups.Head).Length

        let unwidened =
            if replicateCount = 1 then
                residualIntervals s x fit
            else
                let values =
                    groups
                    |> List.map (fun (reps, _) ->
                        reps
                        |> List.map (fun c -> c.Points |> List.map (fun p -> p.Error.Value) |> Array.ofList)
                        |> Array.ofList)
                    |> Array.ofList

                let statistic (picked: int[]) =
                    (Ols.fitDesign x (response (fun g i -> picked |> Array.averageBy (fun r -> values.[g].[r].[i]))))
                        .Coefficients

                Bootstrap.replicatePercentile statistic replicateCount s.Seed s.BootstrapReplicates s.Level,
                $"percentile bootstrap over {replicateCount} replicate seeds (fit of log mean error), {s.BootstrapReplicates} draws, level {s.Level}; standard errors from (XᵀX)⁻¹σ̂²"

        let intervals, method = widen unwidened
        let first = curves.Head
        let indexed (g: int) i = offsets.[g] + i

        Ok
            { Kind = DecayFit
              Sampler = first.Sampler
              Parameters = first.Parameters
              Target = first.Target
              Metric = first.Metric
              Dimensions = curves |> List.map (fun c -> c.Dimension)
              Grid = first.Points |> List.map (fun p -> p.Steps)
              Epsilons = []
              Seeds = groups |> List.collect (fst >> List.collect (fun c -> c.Seeds)) |> List.distinct
              Axis = axis
              Fit =
                result
                    s
                    names
                    fit
                    intervals
                    [ for g, w, _ in chosen do
                          for i in w.Window -> indexed g i ]
                    [ for g, w, _ in chosen do
                          for i, why in w.Excluded -> indexed g i, why ]
                    (FitWindow.describeChoice s.Rule s.Window)
                    method
              LocalSlopes =
                chosen
                |> List.map (fun (g, _, costs) ->
                    let kept = means.[g] |> Array.takeWhile (fun e -> e.Value > 0.0)

                    curves.[g].Dimension,
                    LocalSlopes.compute (Array.zip costs.[.. kept.Length - 1] kept) |> List.ofArray) }
