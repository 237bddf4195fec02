/// index.md of each part and of the whole report. Figures are referenced as files next to the page.
module RateLab.Analysis.Report.Markdown

open System
open System.Text
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Manifest

/// Text with Markdown's emphasis, code and HTML characters escaped, so a title like "N* against d" renders as
/// written.
let inlineText (s: string) =
    let sb = StringBuilder()

    for c in s do
        if "\\`*_<>".Contains c then
            sb.Append('\\') |> ignore

        sb.Append(c) |> ignore

    sb.ToString()

/// Text inside a link's or image's brackets: as inlineText, with brackets escaped too.
let linkText (s: string) =
    (inlineText s).Replace("[", "\\[").Replace("]", "\\]")

let private cell (s: string) =
    (inlineText s).Replace("|", "\\|").Replace("\n", " ")

/// A Markdown table.
let table (header: string list) (rows: string list list) =
    let line (cells: string list) =
        "| " + String.Join(" | ", cells |> List.map cell) + " |"

    let sep = "|" + String.Join("|", header |> List.map (fun _ -> "---")) + "|"
    String.Join("\n", [ line header; sep ] @ (rows |> List.map line)) + "\n"

/// The figure directory relative to a part's page.
[<Literal>]
let FigureDir = "figures"

let private section (sb: StringBuilder) (s: Section) =
    let add (t: string) = sb.Append(t).Append('\n') |> ignore
    add $"## {inlineText s.Title}"
    add ""
    add $"**Claims:** {Format.claims s} · **Verdict:** {verdictText s.Verdict}"
    add ""
    add s.Reason
    add ""

    if not s.Evidence.IsEmpty then
        add (table Format.evidenceHeader (Format.evidenceRows s))

    add "### How the numbers were obtained"
    add ""
    add s.Method
    add ""

    for t in s.Fits do
        add $"**{inlineText t.Caption}**"
        add ""
        add (table Format.fitHeader (Format.fitRows t))
        add (Format.fitNote t)
        add ""

    for f in s.Figures do
        add $"![{linkText f.Title}]({FigureDir}/{f.Id}.svg)"
        add ""

        add
            $"*{inlineText f.Title}* — [PNG]({FigureDir}/{f.Id}.png) · [SVG]({FigureDir}/{f.Id}.svg) · [data (CSV)]({FigureDir}/{f.Id}.csv)"

        add ""

/// The page of one part.
let part (p: Part) =
    let sb = StringBuilder()
    sb.Append($"# {inlineText p.Title}\n\n{p.Intro}\n\n") |> ignore

    let summary =
        p.Sections
        |> List.map (fun s -> [ s.Title; Format.claims s; verdictText s.Verdict ])

    sb.Append(table [ "section"; "claims"; "verdict" ] summary).Append('\n')
    |> ignore

    p.Sections |> List.iter (section sb)
    sb.ToString()

/// The top-level page: one summary table per part, linking each part's page, then the provenance.
let top (r: Report) (m: Manifest) =
    let sb = StringBuilder()
    let add (t: string) = sb.Append(t).Append('\n') |> ignore
    add $"# {inlineText r.Title}"
    add ""

    for p in r.Parts do
        add $"## [{linkText p.Title}]({p.Slug}/index.md)"
        add ""

        add (
            table
                [ "section"; "claims"; "verdict" ]
                (p.Sections
                 |> List.map (fun s -> [ s.Title; Format.claims s; verdictText s.Verdict ]))
        )

    add "## Provenance"
    add ""
    let seeds = String.Join(", ", m.Seeds)

    add (
        table
            [ "field"; "value" ]
            [ [ "version"; m.Version ]
              [ "commit"; m.Commit ]
              [ "profile"; m.Profile ]
              [ "seeds"; seeds ]
              [ "machine"
                $"{m.Machine.Os}, {m.Machine.Cores} cores, {m.Machine.CpuModel}, {m.Machine.DotNet}" ]
              [ "wall time (s)"; Format.num m.WallTimeSeconds ] ]
    )

    sb.ToString()
