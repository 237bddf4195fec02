/// The rule that chooses which grid points a rate fit uses. Fitting on hand-picked points would let the analyst choose
/// the answer; this rule is mechanical, its text is stored with every fit, and every point it leaves out is recorded
/// with the reason.
///
/// Why a curvature test and not agreement of local slopes: a slope between two neighbouring costs (N and N + 1) has
/// a log-cost spacing far too small to resolve it against the noise, and exact inputs carry no standard error to say
/// so. A quadratic term in log error against log cost, estimated over the whole window, uses every point at once;
/// its standard error comes from the points' own standard errors or, when they have none, from the residuals.
module RateLab.Analysis.Fits.FitWindow

open System
open MathNet.Numerics.Distributions
open RateLab.Core.Validation
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Stats
open RateLab.Analysis.Fits

/// Parameters of the automatic window rule.
type WindowRule =
    {
        /// Fewest points a window may have (≥ 3, so a straight line is tested, not just drawn).
        MinPoints: int
        /// A point whose error is at most FloorFactor × its floor is not fitted, nor is any costlier point.
        FloorFactor: float
        /// Two-sided level of the curvature test (false-alarm probability on a straight window).
        Alpha: float
        /// Share of the window's log-cost span removed from one end per trimming step.
        TrimShare: float
        /// Relative resolution of an error value: errors are treated as known to no better than this, so exact inputs
        /// do not turn round-off into significant curvature.
        Resolution: float
    }

/// At least 3 points; floor factor 2 (a point whose error could be half floor is not fitted: callers pass floors of
/// 3 standard errors, so a larger factor would discard most Monte Carlo points; the edge tests trim the bend a bias
/// floor leaves above 2× and the bias bound covers what they cannot resolve); 1/8 of the log-cost span per trimming
/// step; tests at level 0.05 (a more lenient pretest trims straight windows often enough to pull replicate-bootstrap
/// coverage below nominal).
let defaultRule =
    { MinPoints = 3
      FloorFactor = 2.0
      Alpha = 0.05
      TrimShare = 1.0 / 8.0
      Resolution = 1e-9 }

/// Which points a fit uses: the automatic rule, or an explicit override.
type WindowChoice =
    /// The automatic rule (WindowRule).
    | Auto
    /// Every point whose error is finite and positive; floors are not applied.
    | All
    /// Every point with cost in [From, To] (inclusive) and a finite positive error; floors are not applied.
    | CostRange of From: float * To: float

/// The points chosen and those left out, with the reason for each.
type Selection =
    {
        /// Input indices fitted, increasing.
        Window: int list
        /// (input index, reason in words) of every point not fitted, by index.
        Excluded: (int * string) list
        /// The last chunk the rule dropped for a bend at each end it trimmed (empty when none, and for overrides): the
        /// change of the fitted slopes when one is put back bounds the bias a bend left at that end of Window.
        LastDropped: int list list
    }

/// The automatic rule in words, stored as FitResult.WindowRule.
let describe (r: WindowRule) =
    let share = $"1/{round (1.0 / r.TrimShare)}"

    String.concat
        " "
        [ "(1) Points are sorted by cost; the first point whose error is not finite and positive, or is within"
          $"{r.FloorFactor}× of its noise floor, is dropped with every costlier point."
          $"(2) Repeatedly, on the remaining window: an end chunk is the points in the outer {share} of its"
          $"log-cost span (at least one); if the mean log error of either end chunk lies off the least-squares line"
          $"through the rest, at level {r.Alpha}, the chunk with the larger test statistic relative to its critical"
          $"value is dropped (the cheap end on a tie); else if a quadratic in log cost fitted to log error has a"
          $"significant quadratic term at level {r.Alpha}, the chunk at the end whose half of the span has the larger"
          $"quadratic test statistic is dropped (the cheap end on a tie); else the window is final. At least"
          $"{r.MinPoints} points are kept. Tests are two-sided: z-tests from the points' standard errors, or t-tests"
          $"from the residuals when the points have none, with errors resolved to {r.Resolution} relative."
          "Curvature is judged over whole windows, never from slopes between neighbouring points."
          "(3) For each end from which step 2 dropped a chunk, every interval is widened on both sides by the"
          "change of its coefficient when the last chunk dropped there is put back (a Richardson-type bound on the"
          "bias a bend leaves at that end of the window)." ]

/// The text of any choice: the rule, or the override.
let describeChoice (rule: WindowRule) (choice: WindowChoice) =
    match choice with
    | Auto -> describe rule
    | All -> "--window all: every point with a finite positive error (floors not applied)"
    | CostRange(a, b) ->
        $"--window {a}:{b}: every point with cost in [{a}, {b}] and a finite positive error (floors not applied)"

let private validate (r: WindowRule) =
    Guard.AtLeast(r.MinPoints, 3, "rule.MinPoints") |> ignore

    if not (r.FloorFactor >= 1.0) then
        let message = $"rule.FloorFactor = {r.FloorFactor} is out of range; allowed: ≥ 1."
        raise (ArgumentOutOfRangeException("rule.FloorFactor", message))

    Guard.InOpen(r.Alpha, 0.0, 1.0, "rule.Alpha") |> ignore
    Guard.InOpen(r.TrimShare, 0.0, 0.5, "rule.TrimShare") |> ignore
    Guard.InOpen(r.Resolution, 0.0, 1.0, "rule.Resolution") |> ignore

/// A point on the log scales: input index, x = log cost, y = log error (less the log factor), s = se of y or NaN.
type private LogPoint =
    { Index: int
      X: float
      Y: float
      S: float }

/// The quadratic term of log error against log cost on the window rescaled to u ∈ [−1, 1]: (coefficient, its
/// standard error, two-sided critical value), or None when fewer than 4 points leave no residual to test with. The
/// standard error comes from the points' own standard errors when all have one (z-test), else from the residuals
/// (t-test); either is floored by the resolution of an error value.
let private quadratic (rule: WindowRule) (w: LogPoint[]) =
    let n = w.Length

    if n < 4 || not (w.[n - 1].X > w.[0].X) then
        None
    else
        let mid = (w.[0].X + w.[n - 1].X) / 2.0
        let half = (w.[n - 1].X - w.[0].X) / 2.0

        let design =
            Ols.design (w |> Array.map (fun p -> let u = (p.X - mid) / half in [| u; u * u |]))

        let fit = Ols.fitDesign design (w |> Array.map (fun p -> p.Y))
        let weightSq = Array.init n (fun t -> design.Hat.[2, t] ** 2.0)
        let floor2 = rule.Resolution ** 2.0

        let se, critical =
            if w |> Array.forall (fun p -> Double.IsFinite p.S) then
                sqrt (Array.fold2 (fun a c (p: LogPoint) -> a + c * (p.S * p.S + floor2)) 0.0 weightSq w),
                Normal.InvCDF(0.0, 1.0, 1.0 - rule.Alpha / 2.0)
            else
                sqrt (Array.sum weightSq * max fit.Sigma2 floor2),
                StudentT.InvCDF(0.0, 1.0, float fit.Dof, 1.0 - rule.Alpha / 2.0)

        Some(fit.Coefficients.[2], se, critical)

let private positive (e: Estimate) =
    Double.IsFinite e.Value && e.Value > 0.0

/// Applies the log factor: (log error − a·log(ln N), its se), or None where ln N ≤ 0.
let private logPoint (factor: LogFactor option) (cost: float) (e: Estimate) =
    let s =
        if Double.IsNaN e.StdError then
            nan
        else
            e.StdError / e.Value

    match factor with
    | None -> Some(log e.Value, s)
    | Some f -> LogFactor.logOf f.Power cost |> Option.map (fun shift -> log e.Value - shift, s)

let private logFactorUndefined = "ln(cost) ≤ 0, where the log factor is undefined"

/// The edge test: how far the mean log error of an end chunk lies from the least-squares line through the
/// rest of the window, as |deviation| / standard error, with its two-sided critical value; None when the rest has
/// fewer than 3 points. The noise comes from the points' standard errors (z-test) or the residuals of the rest
/// (t-test), floored by the resolution. It sees a bent cheap end that a quadratic over the whole window blurs: one
/// pre-asymptotic point before a straight run of exact values, or a term that dies out within a few points; at the
/// costly end, the bend of a floor.
let private edgeTest (rule: WindowRule) (edge: LogPoint[]) (rest: LogPoint[]) =
    let n = rest.Length
    let xBar = rest |> Array.averageBy (fun p -> p.X)
    let yBar = rest |> Array.averageBy (fun p -> p.Y)
    let sxx = rest |> Array.sumBy (fun p -> (p.X - xBar) ** 2.0)

    if n < 3 || edge.Length = 0 || not (sxx > 0.0) then
        None
    else
        let slope = (rest |> Array.sumBy (fun p -> (p.X - xBar) * (p.Y - yBar))) / sxx
        let m = float edge.Length
        let xEdge = edge |> Array.averageBy (fun p -> p.X)

        let deviation =
            (edge |> Array.averageBy (fun p -> p.Y)) - (yBar + slope * (xEdge - xBar))
        // The line's value at x̄_edge is Σ w_t·y_t over the rest.
        let weight (p: LogPoint) =
            1.0 / float n + (xEdge - xBar) * (p.X - xBar) / sxx

        let floor2 = rule.Resolution ** 2.0

        let variance, critical =
            if
                Array.forall (fun p -> Double.IsFinite p.S) rest
                && Array.forall (fun p -> Double.IsFinite p.S) edge
            then
                (edge |> Array.sumBy (fun p -> p.S * p.S + floor2)) / (m * m)
                + (rest |> Array.sumBy (fun p -> weight p ** 2.0 * (p.S * p.S + floor2))),
                Normal.InvCDF(0.0, 1.0, 1.0 - rule.Alpha / 2.0)
            else
                let rss = rest |> Array.sumBy (fun p -> (p.Y - yBar - slope * (p.X - xBar)) ** 2.0)

                max (rss / float (n - 2)) floor2
                * (1.0 / m + (rest |> Array.sumBy (fun p -> weight p ** 2.0))),
                StudentT.InvCDF(0.0, 1.0, float (n - 2), 1.0 - rule.Alpha / 2.0)

        Some(abs deviation / sqrt variance, critical)

/// The automatic rule on validated, cost-sorted points.
let private auto (rule: WindowRule) factor (points: (float * Estimate)[]) (floors: float[]) =
    let excluded = ResizeArray<int * string>()

    let limit =
        let within i =
            positive (snd points.[i])
            && (snd points.[i]).Value > rule.FloorFactor * floors.[i]

        match Seq.init points.Length id |> Seq.tryFind (within >> not) with
        | None -> points.Length
        | Some k ->
            let e = (snd points.[k]).Value

            let why =
                if positive (snd points.[k]) then
                    $"error {e} is within {rule.FloorFactor}× of its floor {floors.[k]}"
                else
                    $"error {e} is not finite and positive"

            excluded.Add((k, why))

            for i in k + 1 .. points.Length - 1 do
                excluded.Add((i, $"costlier than point {k}, which was dropped ({why})"))

            k

    let usable =
        [| for i in 0 .. limit - 1 do
               let c, e = points.[i]

               match logPoint factor c e with
               | Some(y, s) -> yield { Index = i; X = log c; Y = y; S = s }
               | None -> excluded.Add((i, logFactorUndefined)) |]

    if usable.Length < rule.MinPoints then
        let remain =
            $"{usable.Length} point(s) remain above {rule.FloorFactor}× the noise floor"

        Error $"{remain}; at least {rule.MinPoints} are needed"
    else
        // Evidence of curvature in a half window: |quadratic term| / its critical band (0 when it cannot be tested).
        let evidence (w: LogPoint[]) =
            quadratic rule w
            |> Option.map (fun (b, se, crit) -> abs b / (crit * se))
            |> Option.defaultValue 0.0
        // Trims w until no test finds a bend; returns the final window and the last chunks dropped (cheap, costly).
        let rec trim (last: LogPoint[] option * LogPoint[] option) (w: LogPoint[]) =
            let lo, hi = w.[0].X, w.[w.Length - 1].X
            let cut = rule.TrimShare * (hi - lo)
            // An end chunk is the outer TrimShare of the log-cost span, at least one point, leaving MinPoints.
            let size count =
                count |> max 1 |> min (w.Length - rule.MinPoints)

            let cheap = size (w |> Array.takeWhile (fun p -> p.X < lo + cut) |> Array.length)

            let costly =
                size (w |> Array.rev |> Array.takeWhile (fun p -> p.X > hi - cut) |> Array.length)

            let drop side (t: float) (crit: float) (what: string) =
                let kept, dropped =
                    if side = "cheap" then
                        w.[cheap..], w.[.. cheap - 1]
                    else
                        w.[.. w.Length - 1 - costly], w.[w.Length - costly ..]

                let where =
                    $"on the window of costs {exp lo:G6}..{exp hi:G6} (|t| = {t:G3} > {crit:G3})"

                for p in dropped do
                    excluded.Add((p.Index, $"dropped from the {side} end: {what} {where}"))

                trim
                    (if side = "cheap" then
                         Some dropped, snd last
                     else
                         fst last, Some dropped)
                    kept

            if w.Length <= rule.MinPoints then
                w, last
            else
                let bent = "it bent away from the line through the rest"
                // A bend at one end tilts the line through the rest, so the other end can look bent too: the end
                // that lies further off (relative to its critical value) is the one dropped.
                let ratio =
                    Option.map (fun (t, crit) -> t / crit, t, crit)
                    >> Option.defaultValue (0.0, 0.0, 0.0)

                let rLow, tLow, cLow = ratio (edgeTest rule w.[.. cheap - 1] w.[cheap..])

                let rHigh, tHigh, cHigh =
                    ratio (edgeTest rule w.[w.Length - costly ..] w.[.. w.Length - 1 - costly])

                match quadratic rule w with
                | _ when max rLow rHigh > 1.0 ->
                    if rLow >= rHigh then
                        drop "cheap" tLow cLow bent
                    else
                        drop "costly" tHigh cHigh bent
                | Some(b, se, crit) when abs b > crit * se ->
                    // The half with the larger quadratic test statistic loses its outer chunk (the cheap end on a tie).
                    let centre = (lo + hi) / 2.0

                    let half keep =
                        evidence (w |> Array.filter (fun p -> keep p.X centre))

                    let side = if half (<=) >= half (>=) then "cheap" else "costly"
                    drop side (abs b / se) crit "log error was curved in log cost"
                | _ -> w, last

        let indices (w: LogPoint[]) =
            w |> Array.map (fun p -> p.Index) |> List.ofArray

        let window, (lastCheap, lastCostly) = trim (None, None) usable

        Ok
            { Window = indices window
              Excluded = excluded |> Seq.sortBy fst |> List.ofSeq
              LastDropped = List.choose (Option.map indices) [ lastCheap; lastCostly ] }

/// An override: every point in range with a finite positive error (and a defined log factor).
let private explicitWindow factor (inRange: float -> bool) (what: string) (points: (float * Estimate)[]) =
    let reasons =
        points
        |> Array.mapi (fun i (c, e) ->
            i,
            if not (inRange c) then
                Some what
            elif not (positive e) then
                Some $"error {e.Value} is not finite and positive"
            elif (logPoint factor c e).IsNone then
                Some logFactorUndefined
            else
                None)

    Ok
        { Window = reasons |> Array.filter (snd >> Option.isNone) |> Array.map fst |> List.ofArray
          Excluded =
            reasons
            |> Array.choose (fun (i, r) -> r |> Option.map (fun s -> i, s))
            |> List.ofArray
          LastDropped = [] }

/// The points a fit uses under a choice. Input: (cost, error) sorted by strictly increasing cost, the noise floor of
/// each point, and the log factor divided out of the errors (None for a pure power law). Error when the automatic
/// rule finds fewer than MinPoints usable points.
let select
    (rule: WindowRule)
    (choice: WindowChoice)
    (factor: LogFactor option)
    (points: (float * Estimate)[])
    (floors: float[])
    : Result<Selection, string> =
    validate rule
    Guard.Length(floors.Length, points.Length, nameof floors)

    points
    |> Array.iteri (fun i (c, _) ->
        Guard.Positive(c, $"points[{i}].cost") |> ignore

        if i > 0 && not (c > fst points.[i - 1]) then
            let message =
                $"points[{i}].cost = {c} is out of range; "
                + $"allowed: greater than points[{i - 1}].cost = {fst points.[i - 1]}"

            raise (ArgumentOutOfRangeException($"points[{i}].cost", message + " (strictly increasing).")))

    match choice with
    | Auto -> auto rule factor points floors
    | All -> explicitWindow factor (fun _ -> true) "" points
    | CostRange(a, b) -> explicitWindow factor (fun c -> a <= c && c <= b) $"cost outside --window {a}:{b}" points
