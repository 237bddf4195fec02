module RateLab.Properties.Claims.VerdictTests

open Expecto
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Claims
open RateLab.Analysis.Claims.Verdicts
open RateLab.Analysis.Fits.RateFit
open RateLab.Properties.Generators

let private ci lo hi = { Value = (lo + hi) / 2.0; Lower = lo; Upper = hi; StdError = nan; Level = 0.95 }
let private senseOf b = if b then SmallerIsFaster else LargerIsFaster

let private fitWith kind names (slopes: Estimate list) =
    { Kind = kind; Sampler = "s"; Parameters = []; Target = "t"; Metric = ExactKl; Dimensions = []; Grid = []; Epsilons = []
      Seeds = []; Axis = Steps; LocalSlopes = []
      Fit = { Regressors = names; Intercept = ci 0.0 0.0; Slopes = slopes; Window = []; WindowRule = ""; Residuals = []; Excluded = []; IntervalMethod = "" } }

[<Tests>]
let tests =
    testList "Claims.Verdicts" [
        testPropertyWithConfig config "the verdict is total and is exactly the CI's position relative to the prediction" <| fun (a: int16) (b: int16) (p: int16) (smaller: bool) ->
            let lo, hi = float (min a b) / 300.0, float (max a b) / 300.0
            let predicted = float p / 300.0
            let sense = senseOf smaller
            let j = judge defaultMaxWidth sense predicted (ci lo hi)
            let narrow = hi - lo <= defaultMaxWidth
            let fast = if smaller then hi < predicted else lo > predicted
            let slow = if smaller then lo > predicted else hi < predicted
            let expected =
                if not narrow then Inconclusive
                elif lo <= predicted && predicted <= hi then ConsistentTight
                elif fast then ConsistentFaster
                else ViolatesBound
            j.Verdict = expected && (j.Verdict <> ViolatesBound || slow) && j.Reason.Length > 0 && j.Note.Contains "upper bounds"

        testPropertyWithConfig config "reflecting the interval and the prediction swaps the sense and keeps the verdict" <| fun (a: int16) (b: int16) (p: int16) ->
            let lo, hi = float (min a b) / 300.0, float (max a b) / 300.0
            let predicted = float p / 300.0
            (judge defaultMaxWidth SmallerIsFaster predicted (ci lo hi)).Verdict = (judge defaultMaxWidth LargerIsFaster -predicted (ci -hi -lo)).Verdict

        test "a non-finite interval is inconclusive" {
            Expect.equal (judge defaultMaxWidth SmallerIsFaster 1.0 (ci nan nan)).Verdict Inconclusive "NaN"
            Expect.equal (judge defaultMaxWidth SmallerIsFaster 1.0 (ci 0.9 infinity)).Verdict Inconclusive "∞"
        }

        test "B1 against a cost fit: ε-exponent −2/3 is compared as +2/3 on log(1/ε)" {
            let b1 = Registry.load (Registry.defaultPath ()) |> List.find (fun c -> c.Id = "B1")
            let fit = fitWith CostFit [ "log d"; "log(1/eps)" ] [ ci 0.30 0.36; ci 0.40 0.50 ]
            let verdicts = checkFit defaultMaxWidth b1 0 fit |> List.map (fun (n, j) -> n, j.Verdict)
            Expect.equal verdicts [ "log d", ConsistentTight; "log(1/eps)", ConsistentFaster ] "verdicts"
        }

        test "S1 against a decay fit: a larger decay order is faster, a smaller one violates" {
            let s1 = Registry.load (Registry.defaultPath ()) |> List.find (fun c -> c.Id = "S1")
            let verdict p = (checkFit defaultMaxWidth s1 0 (fitWith DecayFit [ "log(1/N)" ] [ p ])).Head |> snd |> fun j -> j.Verdict
            Expect.equal (verdict (ci 2.4 2.6)) ConsistentFaster "p = 2.5"
            Expect.equal (verdict (ci 1.4 1.6)) ViolatesBound "p = 1.5"
            Expect.equal (verdict (ci 1.9 2.1)) ConsistentTight "p = 2"
        }

        test "a decay fit cannot test a cost claim" {
            let b1 = Registry.load (Registry.defaultPath ()) |> List.find (fun c -> c.Id = "B1")
            Expect.throwsT<System.ArgumentException> (fun () -> checkFit defaultMaxWidth b1 0 (fitWith DecayFit [ "log(1/N)" ] [ ci 1.0 1.1 ]) |> ignore) "kind"
        }
    ]
