/// The claims part's pure pieces (step snapping, cost conversion, claimed slopes, verdict rules) and one small
/// end-to-end cost section.
module RateLab.Properties.ClaimsSection.ClaimsSectionTests

open Expecto
open RateLab.Core.Exact
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Studies
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Cli.Services
open RateLab.Analysis.Sections
open RateLab.Properties.Generators

let private exact v = { Value = v; Lower = v; Upper = v; StdError = nan; Level = 0.95 }

let private judgement verdict : Verdicts.Judgement = { Verdict = verdict; Reason = "r."; Note = "" }

let private found d eps n : int * NStar.NStarResult = d, { NStar = n; Epsilon = eps; Evaluated = [] }

let private context : ReportContext = { Profile = Quick; Run = (fun _ -> []); SectionDone = ignore }

[<Tests>]
let tests =
    testList "ClaimsSection" [
        testPropertyWithConfig config "snap gives the smallest multiple ≥ n and is idempotent" <| fun (m: byte) (n: uint16) ->
            let m, n = 1 + int m % 8, 1 + int n
            let s = NStarStudy.snap m n
            s >= n && s % m = 0 && s - n < m && NStarStudy.snap m s = s

        testPropertyWithConfig config "the strong-error grid is admissible, at least t, idempotent, and below 2^(1/4)·t + K" <| fun (t: uint16) ->
            // The grid value after t is K⌈⌈2^(j/4)⌉/K⌉ ≤ 2^(j/4) + K with 2^((j−1)/4) < t.
            let t = 1 + int t % 5000
            let s = StrongErrorStudy.snapGeometric t
            s >= t && s % StrongErrorStudy.rounds = 0 && StrongErrorStudy.snapGeometric s = s
            && float s < float t * 2.0 ** 0.25 + float StrongErrorStudy.rounds

        testPropertyWithConfig config "toCost maps each found N* through the cost and keeps the rest" <| fun (rows: (byte * byte * bool) list) ->
            let points = rows |> List.map (fun (d, n, hit) -> found (1 + int d) (0.1 + float n) (if hit then Some(1 + int n) else None))
            let converted = NStarStudy.toCost (fun d n -> 2.0 * float n + float d) points
            List.forall2 (fun (d, (r: NStar.NStarResult)) (d', (c: NStar.NStarResult)) ->
                d = d' && c.Epsilon = r.Epsilon && c.NStar = (r.NStar |> Option.map (fun n -> 2 * n + d))) points converted

        test "epsilons halve from the base" {
            Expect.equal (ClaimsSection.epsilons 0.08 4) [ 0.08; 0.04; 0.02; 0.01 ] "halvings"
        }

        test "claimed slopes in the fit's convention: B1 d^(1/3) ε^(−2/3), A6 d^0" {
            let b1 = ClaimsSection.theorySlopes (ClaimsSection.claim "B1") 0 [ "log d"; "log(1/eps)" ]
            Expect.equal (b1 |> List.map fst) [ "log d"; "log(1/eps)" ] "both regressors"
            Expect.floatClose Accuracy.veryHigh (snd b1.[0]) (1.0 / 3.0) "d"
            Expect.floatClose Accuracy.veryHigh (snd b1.[1]) (2.0 / 3.0) "1/ε: the negated ε-exponent"
            Expect.equal (ClaimsSection.theorySlopes (ClaimsSection.claim "A6") 1 [ "log d" ]) [ "log d", 0.0 ] "relative W2 is d-free"
        }

        testPropertyWithConfig config "a slower upper bound is inconclusive; other verdicts and exact metrics are kept" <| fun (pick: byte) ->
            let verdict = [| ConsistentTight; ConsistentFaster; ViolatesBound; Inconclusive |].[int pick % 4]
            let onBound = (ClaimsSection.onUpperBound TvUpper (judgement verdict)).Verdict
            let onExact = (ClaimsSection.onUpperBound ExactW2 (judgement verdict)).Verdict
            onExact = verdict && onBound = (if verdict = ViolatesBound then Inconclusive else verdict)

        testPropertyWithConfig config "the equal-NFE comparison follows the interval order" <| fun (u: byte) (se: byte) (l: byte) (r: byte) ->
            let upper = { Value = float u / 10.0; Lower = nan; Upper = nan; StdError = float se / 100.0; Level = 0.95 }
            let lower, respaced = min (float l / 10.0) upper.Value, float r / 10.0
            let v = ClaimsSection.compareAtEqualNfe 5.0 upper lower respaced
            match v with
            | ConsistentTight -> upper.Value + 5.0 * upper.StdError < respaced
            | ViolatesBound -> lower > respaced
            | _ -> upper.Value + 5.0 * upper.StdError >= respaced && lower <= respaced

        test "comparisons across metrics: one support and no contradiction decides; a conflict does not" {
            let c = ClaimsSection.combineComparisons
            Expect.equal (c [ ConsistentTight; Inconclusive ]) ConsistentTight "supported"
            Expect.equal (c [ Inconclusive; ViolatesBound ]) ViolatesBound "contradicted"
            Expect.equal (c [ ConsistentTight; ViolatesBound ]) Inconclusive "conflict"
            Expect.equal (c [ Inconclusive; Inconclusive ]) Inconclusive "undecided"
        }

        test "a constant cost is called out as holding by construction, a varying one is not" {
            let search = (List.find (fun (c: ClaimsSection.CostCase) -> c.Title.StartsWith "B4") (ClaimsSection.cases Quick)).Fits.Head.Search
            let b4 = ClaimsSection.claim "B4"
            let constant = ClaimsSection.constantCostNote b4 search [ found 4 0.1 (Some 32); found 16 0.1 (Some 32); found 64 0.1 None ]
            Expect.stringContains constant "by construction" "constant depth"
            Expect.stringContains constant "d = 64" "the missed search is named"
            Expect.equal (ClaimsSection.constantCostNote b4 search [ found 4 0.1 (Some 32); found 16 0.1 (Some 40) ]) "" "varying depth"
        }

        test "PLMC with K = 1 is LMC(α): the exactly enumerated laws coincide" {
            let p = ClaimsSection.plmcExactLaw 0.1 1 20
            let q = ClaimsSection.lmcExactLaw 0.1 20
            Expect.isLessThan (GaussianDistances.W2Squared(p, q)) 1e-24 "W2² between PLMC(α, 1) and LMC(α)"
        }

        test "end to end: DDIM on Gaussian data gives a cost fit, figures and a verdict with d-exponent 1/2 by construction" {
            let scale : ClaimsSection.Scale = { ClaimsSection.Scale.Chains = 2; Dimensions = [ 2; 4; 8 ]; Levels = 3 }
            let search = ClaimsSection.search scale "test-ddim" (SectionKit.comp "ddim" []) (SectionKit.comp "gaussian-data" []) TvUpper 0.1 8 512 1 NStarStudy.Evaluations
            let case : ClaimsSection.CostCase =
                { Title = "test B8"; Fits = [ { ClaimsSection.ClaimFit.ClaimId = "B8"; Search = search; TermIndex = 0 } ]; Product = true; Setup = "test." }
            let section = ClaimsSection.costSection context case
            Expect.equal section.ClaimIds [ "B8" ] "claim ids"
            let fit = Expect.wantSome (List.tryHead section.Fits) "a cost fit"
            Expect.equal fit.Fit.Regressors [ "log d"; "log(1/eps)" ] "both exponents fitted"
            Expect.isGreaterThanOrEqual section.Figures.Length 3 "error vs NFE, N* vs d, N* vs 1/ε"
            // DDIM is deterministic and the data a product, so KL = d·c·n^−2 asymptotically: N* ∝ d^(1/2) up to the
            // rounding of integer N* (< 1/N* ≤ 1/8 in log over a log range of log 4), and the slices have 3 points each.
            let dSlope = fit.Fit.Slopes.[0]
            Expect.isLessThan (abs (dSlope.Value - 0.5)) 0.1 $"d-exponent {dSlope.Value}"
            Expect.notEqual section.Verdict ViolatesBound "an upper-bound metric never yields a violation"
            Expect.stringContains section.Reason "by construction" "the product-target caveat is stated"
        }
    ]
