/// Numbers and fit tables as text, shared by the Markdown and HTML renderers so both show the same digits.
module RateLab.Analysis.Report.Format

open System
open System.Globalization
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Report.Model

/// Four significant digits, culture-independent; "n/a" for NaN.
let num (x: float) =
    if Double.IsNaN x then
        "n/a"
    else
        x.ToString("G4", CultureInfo.InvariantCulture)

/// True for an exact value: no standard error and no interval around it (a zero-width or absent one).
let isExact (e: Estimate) =
    Double.IsNaN e.StdError
    && ((Double.IsNaN e.Lower && Double.IsNaN e.Upper)
        || (e.Lower = e.Value && e.Upper = e.Value))

/// An exact value alone; an estimate as "value ± SE [lower, upper]" (the SE where there is one), so an exact figure
/// never shows a fake interval and an estimate never hides its error.
let estimate (e: Estimate) =
    if isExact e then
        num e.Value
    elif Double.IsNaN e.StdError then
        $"{num e.Value} [{num e.Lower}, {num e.Upper}]"
    else
        $"{num e.Value} ± {num e.StdError} [{num e.Lower}, {num e.Upper}]"

/// "value [lower, upper]": a fitted coefficient with its confidence interval (no standard error: fit intervals come
/// from bootstraps, not from a normal approximation).
let interval (e: Estimate) =
    if Double.IsNaN e.Lower && Double.IsNaN e.Upper then
        num e.Value
    else
        $"{num e.Value} [{num e.Lower}, {num e.Upper}]"

/// The header of a fit table.
let fitHeader = [ "coefficient"; "estimate [CI]"; "level"; "theory" ]

/// One row per coefficient: intercept first, then each regressor with the claimed exponent where there is one.
let fitRows (t: FitTable) =
    let theory name =
        t.TheorySlopes
        |> List.tryFind (fun (r, _) -> r = name)
        |> Option.map (snd >> num)
        |> Option.defaultValue "—"

    [ yield [ "intercept"; interval t.Fit.Intercept; num t.Fit.Intercept.Level; "—" ]
      for name, e in List.zip t.Fit.Regressors t.Fit.Slopes ->
          [ $"slope on {name}"; interval e; num e.Level; theory name ] ]

/// Indices as runs, "0–3, 7, 9–12", so a window of 10⁵ points prints as one short line.
let indexRuns (indices: int list) =
    let runs =
        indices
        |> List.sort
        |> List.fold
            (fun acc i ->
                match acc with
                | (lo, hi) :: rest when i = hi + 1 -> (lo, i) :: rest
                | _ -> (i, i) :: acc)
            []
        |> List.rev

    String.Join(", ", runs |> List.map (fun (lo, hi) -> if lo = hi then string lo else $"{lo}–{hi}"))

/// The sentence under a fit table: which points were fitted, which were not and why, and how the intervals were
/// obtained.
let fitNote (t: FitTable) =
    let excluded =
        if t.Fit.Excluded.IsEmpty then
            ""
        else
            let groups =
                t.Fit.Excluded
                |> List.groupBy snd
                |> List.map (fun (why, xs) -> $"{indexRuns (List.map fst xs)} ({why})")

            " Not fitted: points " + String.Join("; ", groups) + "."

    $"Window: points {indexRuns t.Fit.Window} ({t.Fit.WindowRule}).{excluded} Intervals: {t.Fit.IntervalMethod}."

/// The claims of a section as text; a section without one reports a measurement that no paper claims a rate for.
let claims (s: Section) =
    if s.ClaimIds.IsEmpty then
        "—"
    else
        String.Join(", ", s.ClaimIds)

/// The header of the evidence table of a section.
let evidenceHeader = [ "evidence"; "verdict"; "why"; "cannot show" ]

/// One row per judgement behind a section's verdict.
let evidenceRows (s: Section) =
    [ for j in s.Evidence ->
          [ j.Subject
            (if j.Counted then
                 verdictText j.Verdict
             else
                 $"{verdictText j.Verdict} (not counted)")
            j.Reason
            j.CannotShow ] ]
