/// Figures: built from records, validated, written as non-empty PNG and SVG, with readable log ticks.
module RateLab.Properties.Analysis.Plots.PlotTests

open System
open System.IO
open Expecto
open RateLab.Analysis.Plots
open RateLab.Analysis.Plots.Figure
open RateLab.Properties.FakeServices

[<Tests>]
let tests =
    testList
        "Analysis.Plots.Figures"
        [ test "log tick labels read as powers of ten" {
              Expect.equal
                  (List.map Render.powerOfTenLabel [ -5.0; -2.0; 0.0; 1.0; 3.0; 4.0; 0.5 ])
                  [ "1e-5"; "0.01"; "1"; "10"; "1000"; "1e4"; "" ]
                  "labels"
          }
          test "every figure of a section is written as non-empty PNG and SVG" {
              use dir = new TempDir()
              let section = (sampleReport ()).Parts.Head.Sections.Head

              for f in section.Figures do
                  let png, svg = Render.write dir.Path f
                  let bytes = File.ReadAllBytes png
                  Expect.isGreaterThan bytes.Length 1000 $"{f.Id}.png size"

                  Expect.sequenceEqual
                      bytes[0..7]
                      [| 0x89uy; 0x50uy; 0x4Euy; 0x47uy; 0x0Duy; 0x0Auy; 0x1Auy; 0x0Auy |]
                      "PNG signature"

                  let text = File.ReadAllText svg
                  Expect.stringContains text "<svg" $"{f.Id}.svg"
                  Expect.stringContains text f.Title "title in SVG"
          }
          test "fitted and theory lines of an N* plot pass through the centroid of the fit window" {
              let section = (sampleReport ()).Parts.Head.Sections.Head
              let f = section.Figures |> List.find (fun f -> f.Id.EndsWith "-nstar")
              let measured, fitted, theory = f.Series[0], f.Series[1], f.Series[2]
              let window = [| 0; 1; 2 |]
              let cx = window |> Array.averageBy (fun i -> log measured.X[i])
              let cy = window |> Array.averageBy (fun i -> log measured.Y[i])

              for s in [ fitted; theory ] do
                  let slope = (log s.Y[1] - log s.Y[0]) / (log s.X[1] - log s.X[0])
                  let atCentre = log s.Y[0] + slope * (cx - log s.X[0])
                  Expect.floatClose Accuracy.high atCentre cy $"{s.Label} passes through the centroid"

              Expect.floatClose
                  Accuracy.high
                  ((log theory.Y[1] - log theory.Y[0]) / (log theory.X[1] - log theory.X[0]))
                  1.0
                  "theory slope"
          }
          test "a figure with a non-positive value on a log axis is rejected naming the series" {
              let f =
                  { Id = "bad"
                    Title = "t"
                    X = { Label = "x"; Log = true }
                    Y = { Label = "y"; Log = true }
                    Series =
                      [ { Label = "s"
                          X = [| 1.0; 2.0 |]
                          Y = [| 1.0; 0.0 |]
                          Band = None
                          Style = Measured } ] }

              let message = messageOf<ArgumentException>(fun () -> validate f |> ignore)
              Expect.stringContains message "series 's'" "names the series"
          }
          test "points with zero error are left out of log-log figures, not rejected" {
              let spec = RateLab.Analysis.Experiments.Spec.parse validSpecJson
              let c = fakeCurve { spec with Dimensions = [ 1 ] }

              let zeroed =
                  { c with
                      Points =
                          c.Points
                          |> List.mapi (fun i p ->
                              if i = 1 then
                                  { p with
                                      Error = { p.Error with Value = 0.0 } }
                              else
                                  p) }

              let f = Figures.errorVsNfe "e" "t" [ zeroed ]
              Expect.equal f.Series.Head.X [| 8.0; 32.0; 64.0 |] "the zero point is dropped"
              let slopes = Figures.localSlopes "s" "t" [ zeroed ] None
              Expect.equal slopes.Series.Head.Y.Length 2 "slopes between the remaining points"
          }
          test "short log ranges label 2x and 5x multiples" {
              let labels = Render.logTickMarks 0.9 1.8 |> List.choose snd

              for l in [ "10"; "20"; "50" ] do
                  Expect.contains labels l $"label {l}"

              let wide = Render.logTickMarks -3.0 2.0 |> List.choose snd
              Expect.isFalse (List.contains "20" wide) "wide ranges label powers of ten only"
          }
          test "a figure id with path syntax is rejected" {
              let f =
                  { Id = "../x"
                    Title = "t"
                    X = { Label = "x"; Log = false }
                    Y = { Label = "y"; Log = false }
                    Series = [] }

              Expect.throwsT<ArgumentException> (fun () -> validate f |> ignore) "rejected"
          } ]
