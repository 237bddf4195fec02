/// What a report contains, as data: parts (one per sub-directory: langevin, diffusion, boltzmann), each a list of
/// sections, one per claim or group of claims. Renderers only read these records.
module RateLab.Analysis.Report.Model

open RateLab.Analysis.Model.Records
open RateLab.Analysis.Plots.Figure
open RateLab.Analysis.Claims

/// A fit shown as a table, with the theory's exponent for each regressor where the claim states one.
type FitTable =
    {
        Caption: string
        Fit: FitResult
        /// The claimed exponent per regressor name (e.g. "log d", 1/3); regressors without a claim are absent.
        TheorySlopes: (string * float) list
    }

/// One section: a claim (or a few related claims), its verdict and the evidence behind it.
type Section =
    {
        Title: string
        ClaimIds: string list
        Verdict: Verdict
        /// One or two sentences: why this verdict (which interval against which exponent).
        Reason: string
        /// Every judgement behind the verdict: what was measured, in which direction it points, what it cannot show.
        Evidence: Verdicts.Judgement list
        /// Markdown paragraph(s) on how the numbers were obtained.
        Method: string
        Fits: FitTable list
        Figures: Figure list
        Curves: ErrorCurve list
    }

/// A part of the report, written to its own sub-directory.
type Part =
    {
        /// Directory name, e.g. "langevin"; letters, digits, '-' only.
        Slug: string
        Title: string
        /// Markdown introduction.
        Intro: string
        Sections: Section list
    }

/// A whole report.
type Report = { Title: string; Parts: Part list }

/// A verdict in words.
let verdictText verdict =
    match verdict with
    | ConsistentTight -> "consistent, tight"
    | ConsistentFaster -> "consistent, faster than claimed"
    | Consistent -> "consistent"
    | ViolatesBound -> "violates the claim"
    | Inconclusive -> "inconclusive"
    | NoPublishedClaim -> "no published claim"
    | NotComputed -> "not computed yet"

/// Every seed used by the curves of a report, sorted.
let seeds (r: Report) =
    r.Parts
    |> List.collect (fun p -> p.Sections)
    |> List.collect (fun s -> s.Curves)
    |> List.collect (fun c -> c.Seeds)
    |> List.distinct
    |> List.sort

/// Checks names that become paths or anchors, so rendering never writes outside the output directory.
let validate (r: Report) =
    let bad (what: string) =
        raise (System.ArgumentException(what, "report"))

    let safe (s: string) =
        s <> ""
        && s |> Seq.forall (fun c -> System.Char.IsLetterOrDigit c || c = '-' || c = '_')

    for p in r.Parts do
        if not (safe p.Slug) then
            bad $"part slug \"{p.Slug}\" must be non-empty and use only letters, digits, '-' and '_'"

        let ids =
            p.Sections |> List.collect (fun s -> s.Figures) |> List.map (fun f -> f.Id)

        match ids |> List.countBy id |> List.tryFind (fun (_, n) -> n > 1) with
        | Some(dup, _) -> bad $"part \"{p.Slug}\" has two figures with id \"{dup}\""
        | None -> ()

    match r.Parts |> List.countBy (fun p -> p.Slug) |> List.tryFind (fun (_, n) -> n > 1) with
    | Some(dup, _) -> bad $"two parts with slug \"{dup}\""
    | None -> ()

    for p in r.Parts do
        for s in p.Sections do
            for f in s.Figures do
                RateLab.Analysis.Plots.Figure.validate f |> ignore

    r
