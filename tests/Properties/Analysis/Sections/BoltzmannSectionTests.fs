module RateLab.Properties.Analysis.Sections.BoltzmannSectionTests

open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Boltzmann
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Claims
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Studies.BoltzmannStudies
open RateLab.Analysis.Claims.Comparisons
open RateLab.Analysis.Sections
open RateLab.Properties.Generators

/// A power law c·h^p with c ∈ [0.1, 10], p ∈ [0.25, 2].
type PowerLaw = PowerLaw of c: float * p: float

type Arbs =
    static member PowerLaw() : Arbitrary<PowerLaw> =
        gen {
            let! c = Gen.choose (1, 100)
            let! p = Gen.choose (25, 200)
            return PowerLaw(float c / 10.0, float p / 100.0)
        }
        |> Arb.fromGen

let private cfg =
    { config with
        arbitrary = typeof<Arbs> :: config.arbitrary }

let private series reference (values: (float * float * float) list) =
    LimitSeries(
        "q",
        "linear",
        GridKind.Uniform,
        reference,
        0.0,
        true,
        [| for h, v, se in values -> LimitPoint(h, int (round (1.0 / h)), v, se) |]
    )

let private estimate lo hi =
    { Value = (lo + hi) / 2.0
      Lower = lo
      Upper = hi
      StdError = nan
      Level = 0.95 }

let private tinyLimits =
    LimitProfile(40, [| 2; 4; 8; 16; 32 |], 256, 4.0, [| 3; 5; 7; 9 |], 200, 7UL)

[<Tests>]
let tests =
    testList
        "Analysis.Sections.BoltzmannSection"
        [ testList
              "limits"
              [ test "limit series read back from the cache equal the computed ones, number for number" {
                    let store =
                        System.Collections.Generic.Dictionary<string, System.Text.Json.Nodes.JsonNode>()
                    // A cache that stores the JSON text and parses it again, as the file cache does.
                    let cached key (compute: unit -> System.Text.Json.Nodes.JsonNode) =
                        if not (store.ContainsKey key) then
                            store.[key] <- nonNull (System.Text.Json.Nodes.JsonNode.Parse((compute ()).ToJsonString()))

                        store.[key]

                    let fresh = LimitStudies.Run tinyLimits |> List.ofSeq
                    let first = limitSeries cached tinyLimits
                    let again = limitSeries cached tinyLimits
                    Expect.equal store.Count 1 "one cache entry"

                    for read in [ first; again ] do
                        Expect.equal read.Length fresh.Length "series count"

                        for a, b in List.zip fresh read do
                            Expect.equal
                                (b.Quantity, b.Drift, b.Grid, b.ReferenceIsExact)
                                (a.Quantity, a.Drift, a.Grid, a.ReferenceIsExact)
                                "labels"

                            Expect.equal
                                (b.Reference, b.ReferenceStandardError)
                                (a.Reference, a.ReferenceStandardError)
                                "reference, bit for bit"

                            Expect.sequenceEqual b.Points a.Points "points, bit for bit"
                }
                testPropertyWithConfig cfg "a limit series maps to |value − reference| on cost 1/h with combined SE"
                <| fun (PowerLaw(c, p)) ->
                    let s =
                        LimitSeries(
                            "q",
                            "zero",
                            GridKind.Random,
                            2.0,
                            0.3,
                            false,
                            [| LimitPoint(0.5, 2, 2.0 + c, 0.4); LimitPoint(0.25, 4, 2.0 - c * p, 0.1) |]
                        )

                    let curve = seriesCurve 3UL s
                    let a, b = curve.Points.[0], curve.Points.[1]

                    abs (a.Error.Value - c) < 1e-12
                    && abs (b.Error.Value - c * p) < 1e-12
                    && a.Nfe = 2.0
                    && b.Nfe = 4.0
                    && b.StepSize = 0.25
                    && abs (a.Error.StdError - 0.5) < 1e-12
                    && curve.Seeds = [ 3UL ]

                testPropertyWithConfig
                    cfg
                    "the fitted rate of an exact power law c·h^p is p, and convergence is judged consistent"
                <| fun (PowerLaw(c, p)) ->
                    let hs = [ for k in 1..6 -> 2.0 ** float -k ]

                    let curve =
                        seriesCurve 1UL (series 0.0 [ for h in hs -> h, c * h ** p, 1e-9 * c * h ** p ])

                    match fitSeries curve with
                    | Ok fit ->
                        let r = rate fit
                        abs (r.Value - p) < 1e-9 && (convergence "q" r).Verdict = Consistent
                    | Error _ -> false

                test "points at round-off or below 3 SE are not fitted" {
                    let hs = [ for k in 1..6 -> 2.0 ** float -k ]
                    let roundOffCurve = seriesCurve 1UL (series 0.0 [ for h in hs -> h, 1e-14, 1e-16 ])
                    let noisy = seriesCurve 1UL (series 0.0 [ for h in hs -> h, 0.01, 0.01 ])
                    Expect.isError (fitSeries roundOffCurve) "round-off"
                    Expect.isError (fitSeries noisy) "below 3 SE"
                }

                test
                    "convergence: interval above 0 consistent, below 0 violated, straddling 0 or not finite inconclusive" {
                    Expect.equal (convergence "q" (estimate 0.1 0.9)).Verdict Consistent "above"
                    Expect.equal (convergence "q" (estimate -0.9 -0.1)).Verdict ViolatesBound "below"
                    Expect.equal (convergence "q" (estimate -0.1 0.9)).Verdict Inconclusive "straddles"
                    Expect.equal (convergence "q" (estimate nan 0.9)).Verdict Inconclusive "nan"
                }

                test "the TB log-ratio identity holds to round-off on random grids (C4)" {
                    let dev = identityDeviation 11UL [ 1; 4; 9 ] 16
                    Expect.isLessThan dev 1e-10 "max |δ − Itô form|"
                }

                test "limit sections build from a tiny study: figures valid, C1, C2 and C5 consistent, identity tight" {
                    let series = LimitStudies.Run tinyLimits |> List.ofSeq
                    let g = BoltzmannSection.globalSection series 7UL
                    let db = BoltzmannSection.detailedBalanceSection series 7UL
                    let id = BoltzmannSection.identitySection 7UL
                    Expect.equal g.ClaimIds [ "C1" ] "C1"
                    Expect.equal g.Figures.Length 3 "one figure per non-zero drift"
                    Expect.isNonEmpty g.Fits "rms fits"
                    Expect.equal db.ClaimIds [ "C2"; "C5" ] "C2, C5"
                    // Even the tiny study's rates are bounded away from 0: each row and so each section converges.
                    for s in [ g; db ] do
                        for j in s.Evidence |> List.filter (fun j -> j.Counted) do
                            Expect.equal j.Verdict Consistent j.Reason

                        Expect.equal s.Verdict Consistent s.Reason

                    Expect.equal id.Verdict ConsistentTight "identity"

                    let report =
                        { Title = "t"
                          Parts =
                            [ { Slug = "boltzmann"
                                Title = "b"
                                Intro = ""
                                Sections = [ g; db; id ] } ] }

                    validate report |> ignore
                } ] ]
