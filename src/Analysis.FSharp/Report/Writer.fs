/// Writes a report to disk: per part DIR/<slug>/{index.md,index.html,results.json,figures/*.png|svg|csv}; at the top
/// DIR/{index.md,index.html,results.json,manifest.json}. Every file is written atomically, figures first, pages
/// last, so a page never links a figure that is not there; figures no page links any more are removed.
module RateLab.Analysis.Report.Writer

open System.IO
open RateLab.Analysis.Experiments
open RateLab.Analysis.Plots
open RateLab.Analysis.Report.Model

/// Writes one part into dir/<slug>; returns the part's directory.
let writePart (outDir: string) (p: Part) =
    let dir = Path.Combine(outDir, p.Slug)
    let figDir = Path.Combine(dir, Markdown.FigureDir)

    let svgs =
        p.Sections
        |> List.collect (fun s -> s.Figures)
        |> List.map (fun f ->
            Render.write figDir f |> ignore
            AtomicFile.writeAllText (Path.Combine(figDir, f.Id + ".csv")) (Csv.ofFigure f)
            f.Id, File.ReadAllText(Path.Combine(figDir, f.Id + ".svg")))
        |> Map.ofList

    AtomicFile.writeAllText (Path.Combine(dir, "results.json")) (ResultsJson.toText (ResultsJson.encodePart p))
    AtomicFile.writeAllText (Path.Combine(dir, "index.md")) (Markdown.part p)
    AtomicFile.writeAllText (Path.Combine(dir, "index.html")) (Html.part (fun f -> svgs[f.Id]) p)
    // Figures of an earlier report whose sections are gone would otherwise stay beside the new ones; only the
    // figure files this writer produces (png, svg, csv) are removed, after the pages no longer link them.
    for file in
        (if Directory.Exists figDir then
             Directory.GetFiles figDir
         else
             [||]) do
        let ext = Path.GetExtension file
        let id = nonNull (Path.GetFileNameWithoutExtension file)

        if (ext = ".png" || ext = ".svg" || ext = ".csv") && not (svgs.ContainsKey id) then
            File.Delete file

    dir

/// Where a report of this profile goes under the output directory: the full profile's report in its own folder
/// "full", so running it never overwrites the quick report beside it (the cache in outDir/.cache is shared; its keys
/// name the profile).
let reportDir (outDir: string) (profile: string) =
    if profile = "full" then
        Path.Combine(outDir, "full")
    else
        outDir

/// Writes the whole report and its manifest under reportDir outDir (the manifest's profile).
let write (outDir: string) (r: Report) (m: Manifest.Manifest) =
    let r = validate r
    let outDir = reportDir outDir m.Profile

    for p in r.Parts do
        writePart outDir p |> ignore

    AtomicFile.writeAllText (Path.Combine(outDir, "results.json")) (ResultsJson.toText (ResultsJson.encodeReport r))
    AtomicFile.writeAllText (Path.Combine(outDir, "manifest.json")) (ResultsJson.toText (Manifest.toJson m))
    AtomicFile.writeAllText (Path.Combine(outDir, "index.md")) (Markdown.top r m)
    AtomicFile.writeAllText (Path.Combine(outDir, "index.html")) (Html.top r m)
