/// Report rendering: every file exists and holds the sections; HTML is self-contained with inline SVG;
/// results.json round-trips every record, including non-finite numbers.
module RateLab.Properties.Analysis.Report.RenderTests

// JSON navigation in tests: a null where a node is expected fails the test, which is what it should do.
#nowarn "3261" "3264"

open System
open System.IO
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Report
open RateLab.Analysis.Report.Model
open RateLab.Properties.Generators
open RateLab.Properties.FakeServices

let private manifest () =
    Manifest.collect "quick" [ 1UL; 2UL ] (TimeSpan.FromSeconds 1.5)

let private text (s: string | null) =
    match s with
    | null -> ""
    | s -> s

/// Curves and fits with arbitrary floats (NaN and ±∞ included) and strings.
type RecordArbs =
    static member Curve() =
        let f = ArbMap.defaults |> ArbMap.generate<float>
        let s = ArbMap.defaults |> ArbMap.generate<string> |> Gen.map text

        let estimate =
            Gen.map5
                (fun v l u se lv ->
                    { Value = v
                      Lower = l
                      Upper = u
                      StdError = se
                      Level = lv })
                f
                f
                f
                f
                f

        let point =
            gen {
                let! steps = ArbMap.defaults |> ArbMap.generate<int>
                let! h, nfe, depth = Gen.zip3 f f f
                let! e = estimate

                return
                    { Steps = steps
                      StepSize = h
                      Nfe = nfe
                      Depth = depth
                      Error = e }
            }

        gen {
            let! sampler, target, method' = Gen.zip3 s s s
            let! parameters = Gen.listOf (Gen.zip s s)
            let! d = ArbMap.defaults |> ArbMap.generate<int>

            let! metric =
                Gen.elements
                    [ ExactKl
                      KlUpper
                      KlLower
                      ExactW2
                      W2Upper
                      W2Lower
                      TvUpper
                      TvLower
                      StrongError
                      SampleMetric "mmd" ]

            let! seeds = Gen.listOf (ArbMap.defaults |> ArbMap.generate<uint64>)
            let! points = Gen.listOf point

            return
                { Sampler = sampler
                  Parameters = parameters
                  Target = target
                  Dimension = d
                  Metric = metric
                  Seeds = seeds
                  Points = points
                  Method = method' }
        }
        |> Arb.fromGen

    static member Fit() =
        let f = ArbMap.defaults |> ArbMap.generate<float>
        let s = ArbMap.defaults |> ArbMap.generate<string> |> Gen.map text

        let estimate =
            Gen.map5
                (fun v l u se lv ->
                    { Value = v
                      Lower = l
                      Upper = u
                      StdError = se
                      Level = lv })
                f
                f
                f
                f
                f

        gen {
            let! regressors = Gen.listOf s
            let! intercept = estimate
            let! slopes = Gen.listOf estimate
            let! window = Gen.listOf (ArbMap.defaults |> ArbMap.generate<int>)
            let! rule, how = Gen.zip s s
            let! residuals = Gen.listOf f
            let! excluded = Gen.listOf (Gen.zip (ArbMap.defaults |> ArbMap.generate<int>) s)

            return
                { Regressors = regressors
                  Intercept = intercept
                  Slopes = slopes
                  Window = window
                  WindowRule = rule
                  Residuals = residuals
                  Excluded = excluded
                  IntervalMethod = how }
        }
        |> Arb.fromGen

let private cfg =
    { config with
        arbitrary = typeof<RecordArbs> :: config.arbitrary }

/// One written sample report shared by the tests that only read it (rendering figures is the slow part);
/// deleted when the test process exits.
let private written =
    lazy
        (let dir = new TempDir()
         AppDomain.CurrentDomain.ProcessExit.Add(fun _ -> (dir :> IDisposable).Dispose())
         let r = sampleReport ()
         Writer.write dir.Path r (manifest ())
         dir.Path, r)

// The failure message formats both records, which is slow for large ones: only build it on failure.
let private sameRecord (a: 'T) (b: 'T) =
    if not (deepEqual (box a) (box b)) then
        failtestf "round trip changed the record:\n%A\n%A" a b

[<Tests>]
let tests =
    testList
        "Analysis.Report.Render"
        [ test "rewriting a report removes the figures of sections that are gone and keeps other files" {
              use dir = new TempDir()
              let r = sampleReport ()
              let part = r.Parts.Head
              let kept = part.Sections.Head
              let dropped = sectionOf "a section that will go" "A2" kept.Curves

              Writer.write
                  dir.Path
                  { r with
                      Parts =
                          { part with
                              Sections = [ kept; dropped ] }
                          :: r.Parts.Tail }
                  (manifest ())

              let figDir = Path.Combine(dir.Path, part.Slug, Markdown.FigureDir)
              let notes = Path.Combine(figDir, "notes.txt")
              File.WriteAllText(notes, "kept")
              Expect.isTrue (File.Exists(Path.Combine(figDir, $"{dropped.Figures.Head.Id}.svg"))) "written first"
              Writer.write dir.Path r (manifest ())

              for f in dropped.Figures do
                  for ext in [ "png"; "svg"; "csv" ] do
                      Expect.isFalse (File.Exists(Path.Combine(figDir, $"{f.Id}.{ext}"))) $"{f.Id}.{ext} removed"

              for f in kept.Figures do
                  for ext in [ "png"; "svg"; "csv" ] do
                      Expect.isTrue (File.Exists(Path.Combine(figDir, $"{f.Id}.{ext}"))) $"{f.Id}.{ext} kept"

              Expect.isTrue (File.Exists notes) "a file the writer does not produce is kept"
          }

          test "writing a report produces every file with its sections" {
              let dir, r = written.Force()

              for f in [ "index.md"; "index.html"; "results.json"; "manifest.json" ] do
                  Expect.isTrue (File.Exists(Path.Combine(dir, f))) f

              for p in r.Parts do
                  let md = File.ReadAllText(Path.Combine(dir, p.Slug, "index.md"))
                  let html = File.ReadAllText(Path.Combine(dir, p.Slug, "index.html"))
                  Expect.stringStarts md $"# {p.Title}" "part heading"

                  for s in p.Sections do
                      Expect.stringContains md $"## {s.Title}" "section heading"
                      Expect.stringContains md "| slope on log N | -1 [-1.1, -0.9] | 0.95 | -1 |" "fit row"
                      Expect.stringContains html $"<h2>{s.Title}</h2>" "HTML section"

                      for f in s.Figures do
                          Expect.stringContains
                              md
                              $"![{Markdown.linkText f.Title}](figures/{f.Id}.svg)"
                              "figure reference"

                          for ext in [ "png"; "svg"; "csv" ] do
                              Expect.isTrue
                                  (File.Exists(Path.Combine(dir, p.Slug, "figures", $"{f.Id}.{ext}")))
                                  $"{f.Id}.{ext}"

                  let svgCount = (html.Split("<svg").Length - 1)

                  Expect.equal
                      svgCount
                      (p.Sections |> List.sumBy (fun s -> s.Figures.Length))
                      "one inline SVG per figure"

                  Expect.isFalse (html.Contains "<?xml") "no XML prologue inside HTML"

                  let ids =
                      Text.RegularExpressions.Regex.Matches(html, "\\bid=\"([^\"]+)\"")
                      |> Seq.map (fun m -> m.Groups[1].Value)
                      |> Seq.toList

                  Expect.equal (List.distinct ids) ids "ids are unique in the page"
                  Expect.isFalse (html.Contains "src=\"http") "no external assets"
                  Expect.stringContains html "<code>code</code>" "inline code from Markdown"

              let nStarFigure =
                  r.Parts.Head.Sections.Head.Figures
                  |> List.find (fun f -> f.Id.EndsWith "-nstar")

              let partMd = File.ReadAllText(Path.Combine(dir, "langevin", "index.md"))
              Expect.stringContains partMd $"*ULA in d: N\\* against d* —" "a '*' in a title is escaped, not emphasis"
              Expect.isTrue (nStarFigure.Title.Contains '*') "the fixture has a '*' in a title"
              let top = File.ReadAllText(Path.Combine(dir, "index.md"))
              Expect.stringContains top "## [Langevin samplers](langevin/index.md)" "link to part"

              Expect.stringContains
                  (File.ReadAllText(Path.Combine(dir, "index.html")))
                  "href=\"diffusion/index.html\""
                  "HTML link"

              Expect.isEmpty (Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories)) "no temp files"
          }
          test "results.json round-trips the whole report" {
              let dir, r = written.Force()

              let back =
                  ResultsJson.decodeReport (ResultsJson.parseText (File.ReadAllText(Path.Combine(dir, "results.json"))))

              sameRecord back r

              let part =
                  ResultsJson.decodePart (
                      ResultsJson.parseText (File.ReadAllText(Path.Combine(dir, "langevin", "results.json")))
                  )

              sameRecord part r.Parts.Head
          }
          test "manifest.json names version, commit, seeds, profile, machine and wall time" {
              let dir, _ = written.Force()
              let m = ResultsJson.parseText (File.ReadAllText(Path.Combine(dir, "manifest.json")))

              for key in [ "version"; "commit"; "seeds"; "profile"; "machine"; "wall_time_seconds" ] do
                  Expect.isNotNull m[key] key

              for key in [ "os"; "cores"; "cpu_model"; "dotnet" ] do
                  Expect.isNotNull (m["machine"].[key]) key

              Expect.equal (m["wall_time_seconds"].GetValue<float>()) 1.5 "wall time"
          }
          testPropertyWithConfig cfg "an error curve round-trips through JSON text"
          <| fun (c: ErrorCurve) ->
              let back =
                  ResultsJson.decodeCurve (ResultsJson.parseText (ResultsJson.toText (ResultsJson.encodeCurve c)))

              sameRecord back c
          testPropertyWithConfig cfg "a fit round-trips through JSON text"
          <| fun (f: FitResult) ->
              let back =
                  ResultsJson.decodeFit (ResultsJson.parseText (ResultsJson.toText (ResultsJson.encodeFit f)))

              sameRecord back f
          test "inline SVG ids are prefixed per figure and the figure gets a viewBox" {
              let svg =
                  "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"560\"><clipPath id=\"cl_4\"/><g clip-path=\"url(#cl_4)\"><use xlink:href=\"#cl_4\"/></g></svg>"

              Expect.equal
                  (Html.inlineSvg "fig" svg)
                  "<svg viewBox=\"0 0 800 560\" xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"560\"><clipPath id=\"fig-cl_4\"/><g clip-path=\"url(#fig-cl_4)\"><use xlink:href=\"#fig-cl_4\"/></g></svg>"
                  "rewritten"
          }
          test "Markdown paragraphs become escaped HTML paragraphs with code spans" {
              Expect.equal
                  (Html.paragraphs "a <b> & `x<y`\n\nsecond")
                  "<p>a &lt;b&gt; &amp; <code>x&lt;y</code></p>\n<p>second</p>"
                  "html"
          }
          test "a figure's CSV has one row per point and quotes labels with commas" {
              let f = (sampleReport ()).Parts.Head.Sections.Head.Figures.Head
              let csv = Csv.ofFigure f
              let lines = csv.TrimEnd('\n').Split('\n')
              Expect.equal lines[0] Csv.Header "header"
              Expect.equal (lines.Length - 1) (f.Series |> List.sumBy (fun s -> s.X.Length)) "rows"
              Expect.stringStarts lines[1] "\"ula, d=1\",measured,8,0.125," "first row"
          } ]
