/// Stats/Sample: the mean and its standard error against the textbook formula, and the edge cases.
module RateLab.Properties.Analysis.Stats.SampleTests

open System
open Expecto
open RateLab.Analysis.Stats

[<Tests>]
let tests =
    testList
        "Analysis.Stats.Sample"
        [ test "mean ± s/√n of 1, 2, 3, 6: 3 ± √(14/3)/2" {
              let m, se = Sample.meanSe [ 1.0; 2.0; 3.0; 6.0 ]
              // s² = ((−2)² + (−1)² + 0² + 3²)/3 = 14/3.
              Expect.floatClose Accuracy.veryHigh m 3.0 "mean"
              Expect.floatClose Accuracy.veryHigh se (sqrt (14.0 / 3.0) / 2.0) "standard error"
          }
          test "one value has no standard error; none is refused naming the argument" {
              Expect.isTrue (Double.IsNaN(snd (Sample.meanSe [ 4.0 ]))) "NaN for one value"
              Expect.throwsT<ArgumentException> (fun () -> Sample.meanSe ([]: float list) |> ignore) "empty"
          } ]
