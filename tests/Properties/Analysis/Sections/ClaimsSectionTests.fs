/// The claims engine end to end: the registry's consistency with the sections that cite it, the pure pieces of the
/// claims part (step snapping, cost conversion, comparisons), and the example claims of examples/claims with their
/// expected verdicts, through the same engine `ratelab check` uses.
module RateLab.Properties.Analysis.Sections.ClaimsSectionTests

open System.IO
open Expecto
open RateLab.Core.Exact
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Analysis.Claims.Claim
open RateLab.Analysis.Claims.Comparisons
open RateLab.Analysis.Studies
open RateLab.Analysis.Report.Context
open RateLab.Analysis.Sections
open RateLab.Properties.Generators
open RateLab.Properties.RepoFiles

let private found d eps n : int * NStar.NStarResult =
    d,
    { NStar = n
      Epsilon = eps
      Evaluated = [] }

/// A context that runs every experiment directly (no cache).
let private direct: ReportContext =
    { Profile = Quick
      Run = fun spec -> spec.Dimensions |> List.map (Runner.run spec)
      Cached = fun _ compute -> compute ()
      SectionDone = ignore
      Checkpoints = RateLab.Analysis.Report.Context.defaultCheckpoints }

let private registry = lazy (Registry.load (Registry.defaultPath ()))

[<Tests>]
let tests =
    testList
        "Analysis.Sections.ClaimsSection"
        [ testPropertyWithConfig config "snap gives the smallest multiple ≥ n and is idempotent"
          <| fun (m: byte) (n: uint16) ->
              let m, n = 1 + int m % 8, 1 + int n
              let s = NStarStudy.snap m n
              s >= n && s % m = 0 && s - n < m && NStarStudy.snap m s = s

          testPropertyWithConfig
              config
              "the strong-error grid is admissible, at least t, idempotent, and below 2^(1/4)·t + K"
          <| fun (t: uint16) ->
              let t = 1 + int t % 5000
              let s = StrongErrorStudy.snapGeometric t

              s >= t
              && s % StrongErrorStudy.rounds = 0
              && StrongErrorStudy.snapGeometric s = s
              && float s < float t * 2.0 ** 0.25 + float StrongErrorStudy.rounds

          testPropertyWithConfig config "toCost maps each found N* through the cost and keeps the rest"
          <| fun (rows: (byte * byte * bool) list) ->
              let points =
                  rows
                  |> List.map (fun (d, n, hit) ->
                      found (1 + int d) (0.1 + float n) (if hit then Some(1 + int n) else None))

              let converted = NStarStudy.toCost (fun d n -> 2.0 * float n + float d) points

              List.forall2
                  (fun (d, (r: NStar.NStarResult)) (d', (c: NStar.NStarResult)) ->
                      d = d'
                      && c.Epsilon = r.Epsilon
                      && c.NStar = (r.NStar |> Option.map (fun n -> 2 * n + d)))
                  points
                  converted

          test "epsilons halve from the base" {
              Expect.equal (ClaimJudging.epsilons 0.08 4) [ 0.08; 0.04; 0.02; 0.01 ] "halvings"
          }

          test "every claim id a section cites exists in the registry" {
              let ids = registry.Value |> List.map (fun c -> c.Id) |> Set.ofList
              // The ids the sections name in their sources: `ClaimIds = [ "…" ]` lists and `claim "…"` look-ups.
              let dir =
                  Path.GetDirectoryName(repoFile "src/Analysis.FSharp/Sections/SectionKit.fs")
                  |> nonNull

              let cited =
                  [ for file in Directory.GetFiles(dir, "*.fs") do
                        let text = File.ReadAllText file

                        for m in System.Text.RegularExpressions.Regex.Matches(text, @"ClaimIds = \[([^\]]*)\]") do
                            for q in System.Text.RegularExpressions.Regex.Matches(m.Groups.[1].Value, "\"([^\"]+)\"") do
                                yield Path.GetFileName file, q.Groups.[1].Value

                        for m in System.Text.RegularExpressions.Regex.Matches(text, "claim \"([^\"]+)\"") do
                            yield Path.GetFileName file, m.Groups.[1].Value ]

              Expect.isGreaterThanOrEqual (cited |> List.map snd |> List.distinct |> List.length) 12 "ids found"

              for file, id in cited do
                  Expect.isTrue (ids.Contains id) $"claim {id}, cited by {file}, is in the registry"
          }

          test
              "every decay claim's sampler has a section that finds the claim, and no section tests another sampler's claim" {
              let sectionSamplers =
                  DiffusionSection.cases |> List.map (fun c -> c.Sampler.Name) |> Set.ofList

              for c in
                  registry.Value
                  |> List.filter (fun c -> c.Form = ErrorDecay && not c.Tests.IsEmpty) do
                  for t in c.Tests do
                      Expect.isTrue
                          (sectionSamplers.Contains t.Sampler.Name)
                          $"{c.Id}'s sampler {t.Sampler.Name} has a diffusion section"

              for case in DiffusionSection.cases do
                  for claim, _, test in ClaimDecayTest.decayTestsOf registry.Value case.Sampler.Name do
                      Expect.equal
                          test.Sampler.Name
                          case.Sampler.Name
                          $"{claim.Id} is tested on the section's own sampler"
          }

          test "every registry test names catalog entries and a metric direction its metric can give" {
              for c in registry.Value do
                  for t in c.Tests do
                      Catalog.sampler t.Sampler.Name |> ignore
                      Catalog.target t.Target.Name |> ignore

                      for e in t.Evidence do
                          Expect.isTrue
                              (e.Direction = naturalDirection e.Metric || e.Direction = ExactValue)
                              $"{c.Id}: {e.Metric}"
          }

          test
              "a bound declared in the wrong direction, and a qualitative claim with tests, are refused naming the field" {
              let text = File.ReadAllText(repoFile "examples/claims/ula-first-order.json")
              let wrong = text.Replace("\"direction\": \"exact\"", "\"direction\": \"upper\"")

              match Registry.parse wrong with
              | Error message -> Expect.stringContains message "evidence[0].direction" "the field is named"
              | Ok _ -> failtest "an exact metric declared as an upper bound was accepted"

              match Registry.parse (text.Replace("\"form\": \"cost\"", "\"form\": \"qualitative\"")) with
              | Error message -> Expect.stringContains message "qualitative" "the reason is named"
              | Ok _ -> failtest "a qualitative claim with tests was accepted"
          }

          test "the true example claim is consistent and tight, the false one violates the claim" {
              let check file =
                  let claims =
                      Registry.parse (File.ReadAllText(repoFile $"examples/claims/{file}"))
                      |> Result.defaultWith failwith

                  ClaimSection.section direct claims.Head

              let good = check "ula-first-order.json"
              let bad = check "ula-too-fast.json"
              Expect.equal good.Verdict ConsistentTight good.Reason
              Expect.equal bad.Verdict ViolatesBound bad.Reason
              Expect.isNonEmpty good.Evidence "the evidence behind the verdict is listed"
              Expect.stringContains good.Reason "What this evidence cannot show" "the verdict says what it cannot show"
          }

          test "an upper and a lower bound on one error are judged as a bracket; a lone bound is not paired" {
              let a5 = registry.Value |> List.find (fun c -> c.Id = "A5")
              let test = a5.Tests.Head

              let interval lo hi =
                  { Value = 0.5 * (lo + hi)
                    Lower = lo
                    Upper = hi
                    StdError = nan
                    Level = 0.95 }

              let fit (eps: float * float) : FitResult =
                  { Regressors = [ "log d"; "log(1/eps)" ]
                    Intercept = interval 0.0 0.0
                    Slopes = [ interval 0.49 0.51; interval (fst eps) (snd eps) ]
                    Window = []
                    WindowRule = ""
                    Residuals = []
                    Excluded = []
                    IntervalMethod = "" }

              let upper =
                  { Metric = TvUpper
                    Direction = UpperBoundOnError }

              let lower =
                  { Metric = TvLower
                    Direction = LowerBoundOnError }
              // Claimed ε-exponent 1 ± 0.1: each side alone cannot say "tight"; the bracket [0.97, 1.02] can.
              let judged, replaced =
                  ClaimJudging.judgePairs
                      a5
                      test
                      "pure power law"
                      true
                      [ upper, Some(fit (0.97, 0.99)); lower, Some(fit (1.0, 1.02)) ]

              Expect.equal replaced (set [ TvUpper; TvLower ]) "both one-sided rows are replaced"
              let eps = judged |> List.find (fun j -> j.Subject.Contains "(1/ε)")
              Expect.equal eps.Verdict ConsistentTight eps.Reason
              Expect.isTrue eps.Counted "the ε bracket counts"
              let d = judged |> List.find (fun j -> j.Subject.Contains "d-exponent")
              Expect.isFalse d.Counted "a d-exponent on a product target counts nothing"

              let epsVerdict upperEps lowerEps =
                  let j, _ =
                      ClaimJudging.judgePairs
                          a5
                          test
                          "pure power law"
                          true
                          [ upper, Some(fit upperEps); lower, Some(fit lowerEps) ]

                  (j |> List.find (fun j -> j.Subject.Contains "(1/ε)")).Verdict
              // The lower bound's order beyond the claim on the slow side shows a violation; with an upper bound's order
              // on the fast side too, the two contradict each other and nothing is decided.
              Expect.equal (epsVerdict (1.15, 1.25) (1.2, 1.3)) ViolatesBound "violates"
              Expect.equal (epsVerdict (0.97, 0.99) (1.2, 1.3)) Inconclusive "contradicting sides"

              let alone, none =
                  ClaimJudging.judgePairs a5 test "pure power law" true [ upper, Some(fit (0.97, 0.99)) ]

              Expect.isEmpty alone "no pair, no bracket"
              Expect.isEmpty none "nothing replaced"

              let failed, _ =
                  ClaimJudging.judgePairs a5 test "pure power law" true [ upper, Some(fit (0.97, 0.99)); lower, None ]

              Expect.isEmpty failed "a failed fit leaves the other side alone"
          }

          test "a sample metric's evidence is labelled an estimate, an exact metric's exact" {
              Expect.equal
                  (ClaimJudging.evidenceLabel
                      { Metric = SampleMetric "sliced_w2"
                        Direction = ExactValue })
                  "sample:sliced_w2 (Monte Carlo estimate)"
                  "estimate"

              Expect.equal
                  (ClaimJudging.evidenceLabel
                      { Metric = ExactW2
                        Direction = ExactValue })
                  "exact_w2 (exact)"
                  "exact"

              Expect.equal
                  (ClaimJudging.evidenceLabel
                      { Metric = TvUpper
                        Direction = UpperBoundOnError })
                  "tv_upper (upper bound)"
                  "bound"
          }

          test "a fixed depth is called out as holding by construction and is inconclusive" {
              let b4 = registry.Value |> List.find (fun c -> c.Id = "B4")
              let grid = gridOf Quick b4.Tests.Head
              let raw = [ found 4 0.1 (Some 16); found 16 0.1 (Some 32); found 64 0.1 None ]
              let costs = [ found 4 0.1 (Some 32); found 16 0.1 (Some 32); found 64 0.1 None ]
              let note = ClaimCostTest.constantCostNote b4 grid raw costs
              Expect.stringContains note "by construction" "constant depth"
              Expect.stringContains note "d = 64" "the missed search is named"

              Expect.equal
                  (ClaimCostTest.constantCostNote b4 grid raw [ found 4 0.1 (Some 32); found 16 0.1 (Some 40) ])
                  ""
                  "varying depth"

              let faster: Verdicts.Judgement =
                  { Subject = "B4 (1/ε)-exponent"
                    Verdict = ConsistentFaster
                    Reason = "B4 (1/ε)-exponent: it lies entirely on the faster side of the claimed 0."
                    CannotShow = "an upper bound on the error cannot show a violation or tightness"
                    Counted = true }

              match ClaimCostTest.fixedDepth note [ faster ] with
              | [ j ] ->
                  Expect.equal j.Verdict Inconclusive "a fixed depth decides nothing"
                  Expect.isFalse (j.Reason.Contains "faster side") "the fitted interval's side is not repeated"
                  Expect.stringContains j.Reason "not judged on its fitted exponent" "says why"
                  Expect.stringContains j.Reason "d = 64" "names the missed search"
                  Expect.stringContains j.CannotShow "fixed by the parameters" "what it cannot show"
              | other -> failtest $"one judgement in, one out: {other}"

              let productRow =
                  { faster with
                      Reason = "B4 d-exponent: not counted: on a product target it tests nothing."
                      Counted = false }

              match ClaimCostTest.fixedDepth note [ productRow ] with
              | [ j ] ->
                  Expect.isFalse j.Counted "still not counted"
                  Expect.stringStarts j.Reason productRow.Reason "keeps why it is not counted"
                  Expect.stringContains j.Reason "by construction" "and adds the fixed-depth note"
              | other -> failtest $"one judgement in, one out: {other}"

              Expect.equal (ClaimCostTest.fixedDepth "" [ faster ]) [ faster ] "a varying depth is judged as fitted"
          }

          testPropertyWithConfig config "the equal-NFE comparison follows the interval order"
          <| fun (u: byte) (se: byte) (l: byte) (r: byte) ->
              let upper =
                  { Value = float u / 10.0
                    Lower = nan
                    Upper = nan
                    StdError = float se / 100.0
                    Level = 0.95 }

              let lower =
                  { upper with
                      Value = min (float l / 10.0) upper.Value
                      StdError = float se / 200.0 }

              let respaced = float r / 10.0

              match compareAtEqualNfe 5.0 upper lower respaced with
              | Consistent -> upper.Value + 5.0 * upper.StdError < respaced
              | ViolatesBound -> lower.Value - 5.0 * lower.StdError > respaced
              | _ ->
                  upper.Value + 5.0 * upper.StdError >= respaced
                  && lower.Value - 5.0 * lower.StdError <= respaced

          test "comparisons across metrics: one support and no contradiction decides; a conflict does not" {
              let c = combineComparisons
              Expect.equal (c [ Consistent; Inconclusive ]) Consistent "supported"
              Expect.equal (c [ Inconclusive; ViolatesBound ]) ViolatesBound "contradicted"
              Expect.equal (c [ Consistent; ViolatesBound ]) Inconclusive "conflict"
              Expect.equal (c [ Inconclusive; Inconclusive ]) Inconclusive "undecided"
          }

          test "PLMC with K = 1 is LMC(α): the exactly enumerated laws coincide" {
              let p = PoissonMidpointStudy.plmcExactLaw 0.1 1 20
              let q = PoissonMidpointStudy.lmcExactLaw 0.1 20
              Expect.isLessThan (GaussianDistances.W2Squared(p, q)) 1e-24 "W2² between PLMC(α, 1) and LMC(α)"
          }

          test "the start-law floor of DDIM on Gaussian data is the closed form ½Σ(r − 1 − ln r), r = 1/λ_T" {
              let target = SectionKit.comp "gaussian-data" []

              let floor =
                  Floors.startLaw (SectionKit.comp "ddim" []) target ExactKl 1 |> Option.get
              // d = 1 takes λ = variance_min = 0.05; τ_T = 1 − 1e-4.
              let lambdaT = 1e-4 * 0.05 + (1.0 - 1e-4)
              let r = 1.0 / lambdaT
              Expect.floatClose Accuracy.veryHigh floor (0.5 * (r - 1.0 - log r)) "closed form"

              Expect.isNone
                  (Floors.startLaw (SectionKit.comp "ddpm" []) target ExactKl 1)
                  "no closed form used for SDE samplers"

              // DPM-Solver discretises the same flow on the same default grid from the same start, so it meets the
              // same floor (it once had none, and its points at the floor were fitted).
              for name in [ "dpm-solver-1"; "dpm-solver-2" ] do
                  Expect.equal (Floors.startLaw (SectionKit.comp name []) target ExactKl 1) (Some floor) name
          } ]
