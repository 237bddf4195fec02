module RateLab.Properties.Analysis.Claims.VerdictTests

open Expecto
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Claims
open RateLab.Analysis.Claims.Claim
open RateLab.Analysis.Claims.Verdicts
open RateLab.Properties.Generators

let private ci lo hi =
    { Value = (lo + hi) / 2.0
      Lower = lo
      Upper = hi
      StdError = nan
      Level = 0.95 }

let private sides = [| AtLeastAsFast; AtMostAsFast; BothSides |]

/// The rule table of docs/claims.md, written out independently of Verdicts.judge, in the "larger is faster" sense.
let private expected (side: Side) (c: float) (m: float) (lo: float) (hi: float) =
    let atLeast, atMost = side <> AtMostAsFast, side <> AtLeastAsFast
    let faster = atLeast && lo > c + m
    let consistent = atLeast && lo >= c - m
    let violates = atMost && hi < c - m
    let notFaster = atMost && hi <= c + m

    if violates && consistent then Inconclusive
    elif violates then ViolatesBound
    elif faster then ConsistentFaster
    elif consistent && notFaster then ConsistentTight
    elif consistent then Consistent
    else Inconclusive

[<Tests>]
let tests =
    testList
        "Analysis.Claims.Verdicts"
        [ testPropertyWithConfig config "every verdict is the rule table's, for every side of the evidence"
          <| fun (a: int16) (b: int16) (p: int16) (m: byte) (s: byte) ->
              let lo, hi = float (min a b) / 300.0, float (max a b) / 300.0
              let claimed = float p / 300.0
              let margin = 0.01 + float m / 500.0
              let side = sides.[int s % 3]
              let j = judge "x" side LargerIsFaster claimed margin (ci lo hi)

              j.Verdict = expected side claimed margin lo hi
              && j.Reason.Length > 0
              && j.CannotShow.Length > 0

          testPropertyWithConfig
              config
              "an upper bound never shows a violation and a lower bound never shows consistency"
          <| fun (a: int16) (b: int16) (p: int16) ->
              let lo, hi = float (min a b) / 300.0, float (max a b) / 300.0
              let claimed = float p / 300.0
              let upper = (judge "x" AtLeastAsFast LargerIsFaster claimed 0.05 (ci lo hi)).Verdict
              let lower = (judge "x" AtMostAsFast LargerIsFaster claimed 0.05 (ci lo hi)).Verdict

              upper <> ViolatesBound
              && upper <> ConsistentTight
              && not (List.contains lower [ ConsistentTight; ConsistentFaster; Consistent ])

          testPropertyWithConfig config "reflecting the interval and the claim swaps the sense and keeps the verdict"
          <| fun (a: int16) (b: int16) (p: int16) (s: byte) ->
              let lo, hi = float (min a b) / 300.0, float (max a b) / 300.0
              let claimed = float p / 300.0
              let side = sides.[int s % 3]

              (judge "x" side SmallerIsFaster claimed 0.05 (ci lo hi)).Verdict =
                  (judge "x" side LargerIsFaster -claimed 0.05 (ci -hi -lo)).Verdict

          test "a difference inside the margin is tight, not faster (exact evidence)" {
              Expect.equal
                  (judge "x" BothSides LargerIsFaster 3.0 0.3 (ci 2.947 3.261)).Verdict
                  ConsistentTight
                  "Gupta's 3.105 [2.947, 3.261] against 3 ± 0.3"

              Expect.equal
                  (judge "x" BothSides LargerIsFaster 2.0 0.2 (ci 2.0001 2.0001)).Verdict
                  ConsistentTight
                  "1e-4 above the claim"

              Expect.equal
                  (judge "x" BothSides LargerIsFaster 2.0 0.2 (ci 2.3 2.4)).Verdict
                  ConsistentFaster
                  "beyond the margin"
          }

          test "a non-finite interval is inconclusive" {
              Expect.equal (judge "x" BothSides SmallerIsFaster 1.0 0.1 (ci nan nan)).Verdict Inconclusive "NaN"
              Expect.equal (judge "x" BothSides SmallerIsFaster 1.0 0.1 (ci 0.9 infinity)).Verdict Inconclusive "∞"
          }

          test "combine: violation wins, then inconclusive, one-sided, faster, tight; unclaimed rows are ignored" {
              let j v =
                  { Subject = "x"
                    Verdict = v
                    Reason = "r"
                    CannotShow = "c"
                    Counted = true }

              Expect.equal (combine [ j ConsistentTight; j ViolatesBound; j Inconclusive ]) ViolatesBound "violates"
              Expect.equal (combine [ j ConsistentTight; j Inconclusive ]) Inconclusive "inconclusive"
              Expect.equal (combine [ j ConsistentFaster; j Consistent ]) Consistent "one-sided"
              Expect.equal (combine [ j ConsistentFaster; j ConsistentTight ]) ConsistentFaster "faster"

              Expect.equal
                  (combine [ j ConsistentTight; { j ViolatesBound with Counted = false } ])
                  ConsistentTight
                  "uncounted row ignored"

              Expect.equal (combine [ noClaim "x" "measured" ]) NoPublishedClaim "nothing claimed"
          }

          test "B1's ε-exponent −2/3 is compared as +2/3 on log(1/ε), smaller being faster" {
              let b1 = Registry.load (Registry.defaultPath ()) |> List.find (fun c -> c.Id = "B1")
              Expect.equal (predicted b1.Form b1.Terms.Head "log(1/eps)") (Some(2.0 / 3.0, SmallerIsFaster)) "ε"
              Expect.equal (predicted b1.Form b1.Terms.Head "log d") (Some(1.0 / 3.0, SmallerIsFaster)) "d"
          }

          test "A3's κ-exponents are compared on log kappa; A1 states none, so its sweep is a measurement" {
              let claims = Registry.load (Registry.defaultPath ())
              let a3 = claims |> List.find (fun c -> c.Id = "A3")
              Expect.equal (predicted a3.Form a3.Terms.[0] "log kappa") (Some(1.0, SmallerIsFaster)) "κ√d/ε"
              Expect.equal (predicted a3.Form a3.Terms.[1] "log kappa") (Some(4.0 / 3.0, SmallerIsFaster)) "κ^{4/3}"
              let a1 = claims |> List.find (fun c -> c.Id = "A1")
              Expect.isNone (predicted a1.Form a1.Terms.Head "log kappa") "no κ exponent stated"
          }

          test "S1's steps exponent −2 is an order 2 on log(1/N), larger being faster" {
              let s1 = Registry.load (Registry.defaultPath ()) |> List.find (fun c -> c.Id = "S1")
              Expect.equal (predicted s1.Form s1.Terms.Head "log(1/N)") (Some(2.0, LargerIsFaster)) "order"
          } ]
