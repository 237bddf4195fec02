/// The rules of the comparison and convergence claims (qualitative claims without a rate): the B11 comparison at
/// equal cost, the C1/C2 convergence of a limit, the C3 comparison of training grids and the C6 plateau. Like the
/// exponent rules of Verdicts.fs, support of a claim without a rate is "consistent", never "tight" or "faster"; the
/// table is in docs/claims.md.
module RateLab.Analysis.Claims.Comparisons

open System
open MathNet.Numerics.Distributions
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Claims
open RateLab.Core
open RateLab.Analysis.Stats

/// A qualitative convergence claim ("converges as h → 0", no rate): consistent when the interval of p lies entirely
/// above 0; diverging when entirely below; otherwise undecided. A claim without a rate can only be "consistent": no
/// rate exists to be faster than.
let convergence (what: string) (p: Estimate) : Verdicts.Judgement =
    let ci =
        $"{what}: the {p.Level * 100.0:g3} %% interval [{p.Lower:g3}, {p.Upper:g3}] of the rate p (error ∝ h^p)"

    let j v r =
        { Verdicts.Subject = what
          Verdicts.Verdict = v
          Verdicts.Reason = r
          Verdicts.Counted = true
          Verdicts.CannotShow =
            "the claim states convergence only, so no rate can be faster or tight; the fitted rate is a measurement" }

    if not (Double.IsFinite p.Lower && Double.IsFinite p.Upper) then
        j Inconclusive $"{ci} is not finite."
    elif p.Lower > 0.0 then
        j Consistent $"{ci} lies above 0, so the error vanishes as h → 0."
    elif p.Upper < 0.0 then
        j ViolatesBound $"{ci} lies below 0: the error grows as h → 0."
    else
        j Inconclusive $"{ci} contains 0."

// ---------------------------------------------------------------------------------------------------------------
// B11: PLMC-DDPM against its competitors at equal NFE

/// The B11 decision in one metric at equal NFE: supported when PLMC's upper bound plus z standard errors is below a
/// competitor's exact value (respaced DDPM, DDIM, DPM-Solver); contradicted when PLMC's lower bound minus z standard
/// errors (0 when it is exact) is above it; otherwise inconclusive.
let compareAtEqualNfe (z: float) (plmcUpper: Estimate) (plmcLower: Estimate) (respaced: float) =
    let se (e: Estimate) =
        if Double.IsNaN e.StdError then 0.0 else e.StdError

    if plmcUpper.Value + z * se plmcUpper < respaced then
        Consistent
    elif plmcLower.Value - z * se plmcLower > respaced then
        ViolatesBound
    else
        Inconclusive

/// Decisions in several metrics combined: supported if some metric supports and none contradicts, contradicted if
/// some contradicts and none supports, inconclusive otherwise (including conflicting metrics).
let combineComparisons (decisions: Verdict list) =
    let has v = List.contains v decisions

    match has Consistent, has ViolatesBound with
    | true, false -> Consistent
    | false, true -> ViolatesBound
    | _ -> Inconclusive

/// A trained arm's improvement on the untrained sampler over seeds: the mean and SE of the paired differences
/// baseline − arm (positive: the arm is better), the t statistic and the one-sided 97.5 % Student-t critical value with
/// n − 1 df (rather than 2 SE: with few seeds the SE of the differences is itself very noisy).
type Improvement =
    { Mean: float
      StdError: float
      T: float
      Critical: float
      Significant: bool }

/// The paired improvement of `arm` on `baseline` (both one value per seed, smaller is better); needs 2 seeds.
let pairedImprovement (baseline: float list) (arm: float list) =
    let m, se = Sample.meanSe (List.map2 (-) baseline arm)
    let critical = StudentT.InvCDF(0.0, 1.0, float (baseline.Length - 1), 0.975)

    { Mean = m
      StdError = se
      T = m / se
      Critical = critical
      Significant = m > critical * se }

/// The shared part of the C3 rules: two arms (named `names` in the summary) and the untrained sampler one value per
/// seed (paired: the same evaluation draws per seed), smaller is better. Error when undecidable: fewer than 2 seeds per
/// arm or unpaired arms, a value not finite, or neither arm significantly better than the untrained sampler (one-sided
/// paired t at 97.5 %; training too short to tell the arms apart). Otherwise the summary and the Welch 95 % interval
/// (diff, half-width) of mean(first) − mean(second), with mean(second).
let private welchAgainstUntrained
    (nameFirst: string, nameSecond: string)
    (baseline: float list)
    (coarse: float list)
    (fine: float list)
    =
    if
        coarse.Length < 2
        || fine.Length <> coarse.Length
        || baseline.Length <> coarse.Length
    then
        Error "fewer than 2 seeds per arm (or unpaired arms): no seed spread to compare with."
    elif baseline @ coarse @ fine |> List.exists (Double.IsFinite >> not) then
        Error "a quality value is not finite."
    else
        let mc, sc = Sample.meanSe coarse
        let mf, sf = Sample.meanSe fine

        let improves arm =
            (pairedImprovement baseline arm).Significant

        let nums =
            $"{nameFirst} {mc:g3} ± {sc:g2}, {nameSecond} {mf:g3} ± {sf:g2} (mean ± SE over seeds), untrained {List.average baseline:g3}"

        if not (improves coarse || improves fine) then
            Error
                $"{nums}: neither arm is significantly better than the untrained sampler (paired t), so this training budget is too small to decide."
        else
            let se2 = sc * sc + sf * sf

            let df =
                if se2 = 0.0 then
                    1e9
                else
                    se2 * se2
                    / ((sc ** 4.0) / float (coarse.Length - 1) + (sf ** 4.0) / float (fine.Length - 1))

            let half = StudentT.InvCDF(0.0, 1.0, df, 0.975) * sqrt se2
            let diff = mc - mf

            Ok($"{nums}; 95 %% Welch interval of the difference [{diff - half:g3}, {diff + half:g3}]", diff, half, mf)

/// C3 at equal cost: quality (smaller is better) of coarse-grid and fine-grid models and of the untrained sampler, one
/// value per seed. Undecidable (Inconclusive) as `welchAgainstUntrained` says. Otherwise the Welch 95 % interval of
/// mean(coarse) − mean(fine): entirely ≤ 0 → coarse at least as good (Consistent); entirely > 0 → coarse worse
/// (ViolatesBound); containing 0 → Consistent when its half-width is below `similar` · mean(fine), else Inconclusive.
/// The claim is qualitative, so support is "consistent", never "tight" or "faster".
let compareEqualCost
    (similar: float)
    (baseline: float list)
    (coarse: float list)
    (fine: float list)
    : Verdict * string =
    match welchAgainstUntrained ("coarse", "fine") baseline coarse fine with
    | Error why -> Inconclusive, why
    | Ok(ci, diff, half, mf) ->
        if diff + half <= 0.0 then
            Consistent, $"{ci}: coarse random grids are at least as good at equal cost."
        elif diff - half > 0.0 then
            ViolatesBound, $"{ci}: coarse random grids are worse at equal cost."
        elif half <= similar * mf then
            Consistent, $"{ci}: similar quality at equal cost."
        else
            Inconclusive, $"{ci}: too wide to call the two similar."

/// The shared margin rule of the similarity tests: with the second arm's mean m and margin = `similar`·|m|, the Welch
/// interval of mean(first) − mean(second) entirely at or below the margin → Consistent; entirely above it →
/// ViolatesBound; otherwise Inconclusive; each with its sentence, given the margin. Undecidable cases as
/// `welchAgainstUntrained` says.
let private againstMargin
    (similar: float)
    names
    (baseline: float list)
    (first: float list)
    (second: float list)
    (within: float -> string, beyond: float -> string, straddles: float -> string)
    : Verdict * string =
    match welchAgainstUntrained names baseline first second with
    | Error why -> Inconclusive, why
    | Ok(ci, diff, half, m) ->
        let margin = similar * abs m

        if diff + half <= margin then
            Consistent, $"{ci}: {within margin}"
        elif diff - half > margin then
            ViolatesBound, $"{ci}: {beyond margin}"
        else
            Inconclusive, $"{ci}: {straddles margin}"

/// C3 at equal energy evaluations: the coarse arm against the fine grid trained for as many iterations, which costs it
/// ten times the network evaluations. C3 says "much cheaper at similar quality", so this is a test of similarity with
/// the margin `similar` · mean(fine) (`againstMargin`).
let compareSimilar (similar: float) (baseline: float list) (coarse: float list) (fine: float list) : Verdict * string =
    againstMargin
        similar
        ("coarse", "fine")
        baseline
        coarse
        fine
        ((fun margin ->
            $"within the similarity margin {margin:g3} ({similar:g2} × the fine mean) at a tenth of the network cost."),
         (fun margin -> $"coarse worse than the fine grid by more than the similarity margin {margin:g3}."),
         (fun margin -> $"the interval straddles the similarity margin {margin:g3}."))

/// C3's second half, time-local objectives made competitive by coarse grids: a time-local objective (FL-SubTB, DB) and
/// the global reference (TB) both trained on the coarse grid with the same budget, one value per seed, smaller is
/// better, with the same paired gate against the untrained sampler; competitive when within `similar` · the
/// reference's mean (`againstMargin`).
let compareCompetitive
    (similar: float)
    (localName: string, referenceName: string)
    (baseline: float list)
    (local: float list)
    (reference: float list)
    : Verdict * string =
    againstMargin
        similar
        (localName, referenceName)
        baseline
        local
        reference
        ((fun margin ->
            $"{localName} is within the margin {margin:g3} ({similar:g2} × the {referenceName} mean) of {referenceName}, competitive on the coarse grid."),
         (fun margin ->
             $"{localName} is worse than {referenceName} by more than the margin {margin:g3} on the coarse grid."),
         (fun margin -> $"the interval straddles the margin {margin:g3}."))

/// Aitken's Δ² limit of three successive gaps on grids refined by one common ratio: if the differences shrink
/// geometrically, d₂ = r·d₁ with |r| < 1 (as a gap converging like N_eval^−p does under doubling), the limit is
/// g₃ − d₂·r/(1 − r) = g₃ − d₂²/(d₁ − d₂). None when |d₂| ≥ |d₁|: no contraction, so nothing to extrapolate.
let aitkenLimit (g1: float) (g2: float) (g3: float) =
    let d1, d2 = g1 - g2, g2 - g3

    if abs d2 < abs d1 then
        Some(g3 - d2 * d2 / (d1 - d2))
    else
        None

/// The one-sided 97.5 % lower bound of Aitken's limit when each gap is normal with its standard error: a parametric
/// bootstrap of 4000 counter-based draws (fixed seed, so the bound is a function of the sweep; independent gaps,
/// since each SE is of its own estimate). A draw without contraction bounds nothing and counts as −∞.
let aitkenLowerBound (g1: float, s1: float) (g2: float, s2: float) (g3: float, s3: float) =
    let draws = 4000
    let z = Array.zeroCreate<float> 3

    let limits =
        Array.init draws (fun b ->
            Randomness.CounterRng.Normals(0xA17CE4UL, int64 b, 0L, 0, Span z)

            aitkenLimit (g1 + s1 * z.[0]) (g2 + s2 * z.[1]) (g3 + s3 * z.[2])
            |> Option.defaultValue -infinity)

    Array.sortInPlace limits
    // An order statistic, not Bootstrap.quantileSorted: interpolating next to a −∞ draw would give NaN.
    limits.[draws / 40]

/// C6: the gap does not vanish as N_eval grows. The finest gap not above 3 SE contradicts the claim. A positive gap
/// whose last two values agree within 3 combined SE is a plateau. One still falling is extrapolated by Aitken's Δ²
/// over the three finest grids when they share a refinement ratio: consistent when the limit's 97.5 % lower bound is
/// above 0. Otherwise (rising, or no bound above 0) inconclusive.
let plateau (sweep: (int * float * float) list) : Verdict * string =
    match List.rev sweep with
    | (n2, g2, s2) :: (n1, g1, s1) :: older ->
        let nums =
            $"gap {g1:g3} ± {s1:g2} at N_eval = {n1}, {g2:g3} ± {s2:g2} at N_eval = {n2}"

        if not (g2 > 3.0 * s2) then
            ViolatesBound, $"{nums}: the finest gap is not above 3 SE."
        elif abs (g2 - g1) <= 3.0 * sqrt (s1 * s1 + s2 * s2) then
            Consistent, $"{nums}: positive and unchanged within 3 SE (a plateau)."
        else
            match older with
            | (n0, g0, s0) :: _ when g1 > g2 && int64 n0 * int64 n2 = int64 n1 * int64 n1 ->
                let bound = aitkenLowerBound (g0, s0) (g1, s1) (g2, s2)

                let limit =
                    match aitkenLimit g0 g1 g2 with
                    | Some l -> $"puts the limit at {l:g3} (ratio of successive differences {(g1 - g2) / (g0 - g1):g2})"
                    | None -> "finds no contraction"

                let extrapolated =
                    $"still falling; Aitken's Δ² extrapolation over N_eval = {n0}, {n1}, {n2} (gap {g0:g3} ± {s0:g2} at {n0}) {limit}, 97.5 %% bootstrap lower bound {bound:g3}"

                if bound > 0.0 then
                    Consistent,
                    $"{nums}: {extrapolated} > 0: the gap stays positive if its differences keep shrinking geometrically."
                else
                    Inconclusive, $"{nums}: {extrapolated}, not above 0."
            | _ -> Inconclusive, $"{nums}: positive but still changing beyond 3 SE."
    | _ -> Inconclusive, "fewer than two evaluation grids."
