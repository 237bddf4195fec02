/// Self-contained index.html pages: figures inline as SVG text, one small embedded style sheet, no external assets,
/// so a page can be mailed or archived as one file.
module RateLab.Analysis.Report.Html

open System
open System.Net
open System.Text
open System.Text.RegularExpressions
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Report.Manifest

let private esc (s: string) : string = nonNull (WebUtility.HtmlEncode s)

let private css =
    """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
th{background:#f3f3f3}code{background:#f3f3f3;padding:0 .2rem}figure{margin:1rem 0}figcaption{font-style:italic}
.verdict{font-weight:bold}.consistent_tight,.consistent_faster,.consistent{color:#1a7f37}.no_published_claim,.not_computed{color:#57606a}.violates_bound{color:#cf222e}
.inconclusive{color:#9a6700}svg{max-width:100%;height:auto}"""

/// Markdown paragraphs as HTML: blank lines separate paragraphs, `code` spans are kept; everything else is text.
let paragraphs (markdown: string) =
    markdown.Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
    |> Array.map (fun p -> "<p>" + Regex.Replace(esc (p.Trim()), "`([^`]+)`", "<code>$1</code>") + "</p>")
    |> String.concat "\n"

/// An HTML table; cells are escaped.
let table (header: string list) (rows: string list list) =
    let sb = StringBuilder("<table><tr>")

    for h in header do
        sb.Append("<th>").Append(esc h).Append("</th>") |> ignore

    sb.Append("</tr>") |> ignore

    for r in rows do
        sb.Append("<tr>") |> ignore

        for c in r do
            sb.Append("<td>").Append(esc c).Append("</td>") |> ignore

        sb.Append("</tr>") |> ignore

    sb.Append("</table>\n").ToString()

let private verdictClass v =
    RateLab.Analysis.Model.Records.VerdictNames.toName v

/// SVG text ready to sit inside HTML next to other figures: no XML prologue; every id prefixed with the figure's id,
/// because ids are document-wide in HTML and ScottPlot numbers its clip paths the same way in every figure, so the
/// second figure would otherwise clip to the first one's data area; and a viewBox, so the figure scales with the page
/// instead of being cropped.
let inlineSvg (figureId: string) (svg: string) =
    let i = svg.IndexOf("<svg", StringComparison.Ordinal)

    if i < 0 then
        raise (ArgumentException($"figure '{figureId}': SVG text holds no <svg> element", "svg"))

    let body = svg.Substring i

    let prefixed =
        Regex.Replace(
            body,
            "(\\bid=\"|url\\(#|href=\"#)([^\")]+)",
            (fun (m: Match) -> m.Groups[1].Value + figureId + "-" + m.Groups[2].Value)
        )

    let root = Regex.Match(prefixed, "^<svg[^>]*>")

    if root.Value.Contains "viewBox" then
        prefixed
    else
        let size (name: string) =
            Regex.Match(root.Value, $"\\b{name}=\"([0-9.]+)\"").Groups[1].Value

        let w, h = size "width", size "height"

        if w = "" || h = "" then
            prefixed
        else
            "<svg viewBox=\"0 0 " + w + " " + h + "\"" + prefixed.Substring 4

let private page (title: string) (body: string) =
    $"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{esc title}</title><style>{css}</style></head>\n<body>\n{body}\n</body></html>\n"

/// The page of one part; svgOf renders a figure to SVG text.
let part (svgOf: RateLab.Analysis.Plots.Figure.Figure -> string) (p: Part) =
    let sb = StringBuilder()
    let add (t: string) = sb.Append(t).Append('\n') |> ignore
    add $"<h1>{esc p.Title}</h1>"
    add (paragraphs p.Intro)

    add (
        table
            [ "section"; "claims"; "verdict" ]
            (p.Sections
             |> List.map (fun s -> [ s.Title; Format.claims s; verdictText s.Verdict ]))
    )

    for s in p.Sections do
        add $"<h2>{esc s.Title}</h2>"

        add
            $"<p><b>Claims:</b> {esc (Format.claims s)} · <b>Verdict:</b> <span class=\"verdict {verdictClass s.Verdict}\">{esc (verdictText s.Verdict)}</span></p>"

        add (paragraphs s.Reason)

        if not s.Evidence.IsEmpty then
            add (table Format.evidenceHeader (Format.evidenceRows s))

        add "<h3>How the numbers were obtained</h3>"
        add (paragraphs s.Method)

        for t in s.Fits do
            add $"<h4>{esc t.Caption}</h4>"
            add (table Format.fitHeader (Format.fitRows t))
            add $"<p>{esc (Format.fitNote t)}</p>"

        for f in s.Figures do
            add
                $"<figure id=\"{esc f.Id}\">{inlineSvg f.Id (svgOf f)}<figcaption>{esc f.Title} — data: <a href=\"{Markdown.FigureDir}/{f.Id}.csv\">{f.Id}.csv</a></figcaption></figure>"

    page p.Title (sb.ToString())

/// The top-level page linking each part's page.
let top (r: Report) (m: Manifest) =
    let sb = StringBuilder()
    let add (t: string) = sb.Append(t).Append('\n') |> ignore
    add $"<h1>{esc r.Title}</h1>"

    for p in r.Parts do
        add $"<h2><a href=\"{p.Slug}/index.html\">{esc p.Title}</a></h2>"

        add (
            table
                [ "section"; "claims"; "verdict" ]
                (p.Sections
                 |> List.map (fun s -> [ s.Title; Format.claims s; verdictText s.Verdict ]))
        )

    add "<h2>Provenance</h2>"

    add (
        table
            [ "field"; "value" ]
            [ [ "version"; m.Version ]
              [ "commit"; m.Commit ]
              [ "profile"; m.Profile ]
              [ "seeds"; String.Join(", ", m.Seeds) ]
              [ "machine"
                $"{m.Machine.Os}, {m.Machine.Cores} cores, {m.Machine.CpuModel}, {m.Machine.DotNet}" ]
              [ "wall time (s)"; Format.num m.WallTimeSeconds ] ]
    )

    page r.Title (sb.ToString())
