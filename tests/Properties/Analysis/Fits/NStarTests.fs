module RateLab.Properties.Analysis.Fits.NStarTests

open System
open Expecto
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Fits
open RateLab.Properties.Generators

let private exact v =
    { Value = v
      Lower = v
      Upper = v
      StdError = nan
      Level = 0.95 }

[<Tests>]
let tests =
    testList
        "Analysis.Fits.NStar"
        [ testPropertyWithConfig config "returns the true minimum on monotone power-law curves"
          <| fun (c: byte) (p: byte) (e: byte) (n0: byte) ->
              let c, p = 1.0 + float c, 0.5 + float p / 64.0
              let eps = 1e-3 + float e / 300.0
              let nMin, nMax = 1 + int n0 % 7, 5000
              let err n = c * float n ** -p
              let r = NStar.search (err >> exact) eps nMin nMax
              let brute = seq { nMin..nMax } |> Seq.tryFind (fun n -> err n <= eps)
              r.NStar = brute

          testPropertyWithConfig config "returns the true minimum on monotone step curves"
          <| fun (steps: uint16 list) (eps: byte) ->
              // error(n) = number of thresholds above n: any non-increasing integer staircase.
              let thresholds = steps |> List.map (fun s -> 1 + int s % 3000)

              let err n =
                  thresholds |> List.filter (fun t -> t > n) |> List.length |> float

              let eps = 0.5 + float (int eps % 4)
              let r = NStar.search (err >> exact) eps 1 4000
              r.NStar = (seq { 1..4000 } |> Seq.tryFind (fun n -> err n <= eps))

          test "uses the upper confidence bound: a noisy value below ε is not enough" {
              let noisy n =
                  let v = 1.0 / float n in

                  { Value = v
                    Lower = 0.5 * v
                    Upper = 2.0 * v
                    StdError = 0.5 * v
                    Level = 0.95 }

              let r = NStar.search noisy 0.01 1 10000
              Expect.equal r.NStar (Some 200) "2/n ≤ 0.01 first at n = 200"
          }

          test "not reached within nMax gives None and keeps the evaluations" {
              let r = NStar.search (fun n -> exact (1.0 / float n)) 1e-6 1 1000
              Expect.isNone r.NStar "not reached"
              Expect.equal (r.Evaluated |> List.map fst |> List.last) 1000 "nMax evaluated"
          }

          test "invalid ε names the parameter" {
              let ex =
                  Expect.throwsC (fun () -> NStar.search (fun _ -> exact 1.0) -1.0 1 10 |> ignore) id

              Expect.stringContains ex.Message "epsilon = -1" "message"
          } ]
