/// Units of work run several at a time: the report is the sequential one, in report order, and a failing unit's own
/// error reaches the caller (not a wrapper), so the CLI's exit codes do not depend on --jobs.
module RateLab.Properties.Analysis.Sections.UnitsTests

open System
open System.Threading
open Expecto
open FsCheck
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Sections.Units
open RateLab.Properties.Generators

let private section id =
    { Title = id
      ClaimIds = []
      Verdict = ConsistentTight
      Reason = ""
      Evidence = []
      Method = ""
      Fits = []
      Figures = []
      Curves = [] }

/// A plan of parts with the given unit counts; unit k of part p sleeps (k * 7 + p * 3) % 4 ms so finishing order
/// differs from report order when units overlap.
let private plan (sizes: int list) =
    { Title = "t"
      Parts =
        sizes
        |> List.mapi (fun p n ->
            { Slug = $"p{p}"
              Title = $"part {p}"
              Intro = ""
              Units =
                [ for k in 0 .. n - 1 ->
                      { Id = $"u{k}"
                        Build =
                          fun () ->
                              Thread.Sleep((k * 7 + p * 3) % 4)
                              section $"p{p}/u{k}"
                        Share = None } ] }) }

let private titles (r: Report) =
    [ for p in r.Parts -> p.Slug, [ for s in p.Sections -> s.Title ] ]

[<Tests>]
let tests =
    testList
        "Analysis.Sections.Units"
        [ testPropertyWithConfig config "any degree builds the sequential report, each accepted unit once"
          <| fun (sizes: byte list) (skip: byte) (degree: byte) ->
              let sizes = sizes |> List.truncate 5 |> List.map (fun n -> int n % 6)
              let ran = Collections.Concurrent.ConcurrentBag<string>()

              let run key build =
                  if hash key % (int skip % 4 + 2) = 0 then
                      None
                  else
                      ran.Add key
                      Some(build ())

              let sequential = build 1 (fun _ -> 0.0) run (plan sizes)
              let ranSequential = List.sort (List.ofSeq ran)
              ran.Clear()

              let parallel' =
                  build (int degree % 4 + 1) (fun k -> float (hash k % 10)) run (plan sizes)

              titles parallel' = titles sequential
              && List.sort (List.ofSeq ran) = ranSequential

          test "a failing unit raises its own exception, not an AggregateException" {
              let failing =
                  { plan [ 3 ] with
                      Parts =
                          [ { (plan [ 3 ]).Parts.Head with
                                Units =
                                    [ { Id = "bad"
                                        Build = fun () -> raise (ArgumentException "bad unit")
                                        Share = None } ] } ] }

              let e =
                  Expect.throwsC (fun () -> build 2 (fun _ -> 1.0) (fun _ b -> Some(b ())) failing |> ignore) id

              Expect.equal (e.GetType()) typeof<ArgumentException> "the unit's own exception type"
              Expect.equal e.Message "bad unit" "the unit's own message"
          } ]
