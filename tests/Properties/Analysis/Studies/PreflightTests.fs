/// Preflight, one test per reported defect: memory and count limits, target ranges, parameter declarations shared
/// by every entry point, seeds, and messages that name the user's own parameter. Memory is checked against a fixed
/// budget here so the tests do not depend on the machine.
module RateLab.Properties.Analysis.Studies.PreflightTests

open System
open Expecto
open RateLab.Core.Samplers.Diffusion
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Experiments.Parameters
open RateLab.Analysis.Studies
open RateLab.Analysis.Cli
open RateLab.Properties.FakeServices

let private gib = 1L <<< 30

let private comp name (parameters: (string * ParamValue) list) =
    { Name = name
      Parameters = Map.ofList parameters }

let private plan sampler target dims steps replicates : Preflight.Plan =
    { Sampler = sampler
      Target = target
      Dimensions = dims
      Steps = steps
      Replicates = replicates }

let private ula = comp "ula" [ "h", Number 0.1 ]
let private iso = comp "isotropic-gaussian" []

let private refusal available (p: Preflight.Plan) =
    messageOf<SpecException>(fun () -> Preflight.check available Preflight.specNames p)

let private accepted available (p: Preflight.Plan) =
    Preflight.check available Preflight.specNames p

let private refuse = refusal Int64.MaxValue
let private ok = accepted Int64.MaxValue
let private data = comp "gaussian-data" []

/// A valid component of every sampler: Langevin samplers a small stable step.
let private validSampler (e: Catalog.SamplerEntry) =
    comp
        e.Name
        (if e.Diffusion then
             []
         else
             [ e.Parameters.Head.Name, Number 0.01 ])

[<Tests>]
let tests =
    testList
        "Analysis.Studies.Preflight"
        [ testList
              "memory and counts"
              [ test "d = 10^9 is refused with the estimated bytes and the allowed maximum" {
                    // ULA keeps one block: 8·(2 + 2 + 5 + 1 + 1 + 3) + 60 = 172 bytes per coordinate; it is
                    // time-homogeneous, so each of the ⌈10⁹/1024⌉ blocks keeps one 72-byte record plus 128 bytes; + 64 MiB.
                    let d = 1_000_000_000
                    let blocks = (int64 d + 1023L) / 1024L
                    let expected = 172L * int64 d + 200L * blocks + (64L <<< 20)
                    let message = refusal (16L * gib) (plan ula iso [ 1; d ] [ 8 ] 2)
                    let budget = 16L * gib

                    Expect.equal
                        message
                        ($"spec.dimensions[1]: d = {d} needs an estimated {expected} bytes; "
                         + $"allowed: at most {budget} bytes (available memory)")
                        "message"
                }
                test "the same run fits when the machine has the memory" {
                    accepted (200L * gib) (plan ula iso [ 1_000_000_000 ] [ 8 ] 2)
                }
                test "d beyond the largest array is refused naming d, for one and two blocks" {
                    let d = Array.MaxLength + 1
                    let message = refuse (plan ula iso [ d ] [ 8 ] 2)
                    Expect.stringStarts message $"spec.dimensions[0]: d = {d} exceeds the largest array" "ula"
                    let ulmc = comp "ulmc" [ "eta", Number 0.1 ]
                    let message = refuse (plan ulmc iso [ 1; Array.MaxLength / 3 + 1 ] [ 8 ] 2)
                    Expect.stringStarts message "spec.dimensions[1]: " "ulmc keeps 3 packed covariances per coordinate"
                }
                test "steps beyond a schedule's integer arithmetic are refused naming the step count" {
                    let message = refuse (plan (comp "li-jiao" []) data [ 3 ] [ 8; Int32.MaxValue ] 2)

                    let expected =
                        "spec.steps[1]: expected an integer in [1, 1073741823] for li-jiao, got 2147483647"

                    Expect.equal message expected "message"
                }
                test "replicates beyond memory are refused naming the chains" {
                    let rlmc = comp "rlmc" [ "h", Number 0.1 ]
                    let message = refusal (16L * gib) (plan rlmc iso [ 3 ] [ 8 ] Int32.MaxValue)

                    let expected =
                        $"spec.chains: {Int32.MaxValue} replicates at d = 3 needs an estimated "

                    Expect.stringStarts message expected "message"
                }
                test "Li–Jiao's schedule refuses a T whose 2T overflows, naming T" {
                    let build () =
                        LiJiaoSchedule(Int32.MaxValue / 2 + 1, 4, 2.0, 4.0) |> ignore

                    let message = messageOf<ArgumentOutOfRangeException> build

                    Expect.stringStarts
                        message
                        "T = 1073741824 is out of range; allowed: integers in [2, 1073741823]."
                        "T"
                }
                test "available memory is positive and within the GC's limit" {
                    let available = Preflight.availableBytes ()
                    Expect.isGreaterThan available 0L "positive"
                    let limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes
                    Expect.isLessThanOrEqual available limit "within the GC limit"
                } ]
          testList
              "parameters"
              [ test "every sampler's defaults pass preflight on its usual target" {
                    for e in Catalog.samplers do
                        let target =
                            comp
                                (if e.Diffusion then
                                     "gaussian-data"
                                 else
                                     "isotropic-gaussian")
                                []

                        accepted (64L * gib) (plan (validSampler e) target [ 1; 10 ] [ 20; 40 ] 2)
                }
                test "variance_min above variance_max is refused naming variance_min" {
                    let target = comp "gaussian-data" [ "variance_min", Number 2.0 ]
                    let message = refuse (plan (comp "ddpm" []) target [ 3 ] [ 8 ] 2)

                    let expected =
                        "spec.target.parameters.variance_min: expected at most variance_max = 1, got 2"

                    Expect.equal message expected "message"
                }
                test "kappa below 1 is refused; kappa = 1 is accepted" {
                    let kappa k =
                        plan ula (comp "ill-conditioned-gaussian" [ "kappa", Number k ]) [ 3 ] [ 8 ] 2

                    let expected =
                        "spec.target.parameters.kappa: expected a finite number in [1, ∞), got 0.5"

                    Expect.equal (refuse (kappa 0.5)) expected "message"
                    ok (kappa 1.0)
                }
                test "ddim accepts its default eta = 0 and eta = 1, refuses eta = 1.5" {
                    let ddim eta =
                        plan (comp "ddim" [ "eta", Number eta ]) data [ 3 ] [ 8 ] 2

                    ok (ddim 0.0)
                    ok (ddim 1.0)

                    let expected =
                        "spec.sampler.parameters.eta: expected a finite number in [0, 1], got 1.5"

                    Expect.equal (refuse (ddim 1.5)) expected "message"
                }
                test "predictor_only = true is accepted as a flag (spec) and as a word (--param)" {
                    let gupta v =
                        plan (comp "gupta" [ "predictor_only", v ]) data [ 3 ] [ 8 ] 2

                    ok (gupta (Flag true))
                    let fromCli = parseAssignments "--param" [ "predictor_only=true" ]
                    Expect.equal fromCli (Map [ "predictor_only", Flag true ]) "a flag"
                    ok (gupta (Text "true"))
                }
                test "a repeated --param is refused rather than the last one kept" {
                    let twice () =
                        parseAssignments "--param" [ "h=0.1"; "h=0.2" ] |> ignore

                    let message = messageOf<SpecException> twice
                    Expect.equal message "--param h: given 2 times; give each parameter once" "message"
                }
                test "an unknown parameter is refused with the allowed names" {
                    let message =
                        refuse (plan (comp "ula" [ "h", Number 0.1; "hh", Number 1.0 ]) iso [ 3 ] [ 8 ] 2)

                    let expected =
                        "spec.sampler.parameters.hh: unknown parameter of ula; allowed: h, horizon, start"

                    Expect.equal message expected "message"
                }
                test "horizon = -1 is refused by its own name, not as a derived step" {
                    let message =
                        refuse (plan (comp "ula" [ "horizon", Number -1.0 ]) iso [ 3 ] [ 8 ] 2)

                    let expected =
                        "spec.sampler.parameters.horizon: expected a finite number in (0, ∞), got -1"

                    Expect.equal message expected "message"
                }
                test "h and horizon together, or neither, are refused" {
                    let both =
                        refuse (plan (comp "ula" [ "h", Number 0.1; "horizon", Number 1.0 ]) iso [ 3 ] [ 8 ] 2)

                    Expect.equal both "spec.sampler.parameters.h: give either h or horizon, not both" "both"
                    let neither = refuse (plan (comp "ula" []) iso [ 3 ] [ 8 ] 2)

                    Expect.stringStarts
                        neither
                        "spec.sampler.parameters.h: required parameter of ula is missing"
                        "neither"
                }
                test "a step count a schedule refuses is named with the step count and the parameter" {
                    let message = refuse (plan (comp "li-jiao" [ "K", Number 3.0 ]) data [ 3 ] [ 8 ] 2)

                    let expected =
                        "spec.sampler.parameters.K: at 8 steps: K = 3 is out of range; allowed: divisors of 2T = 16."

                    Expect.equal message expected "K"
                    let message = refuse (plan (comp "plmc-ddpm" []) data [ 3 ] [ 8; 3 ] 2)
                    Expect.stringStarts message "spec.steps[1]: at 3 steps: " "divisor of 1000"
                }
                test "more than one seed is refused" {
                    let json = validSpecJson.Replace("\"seeds\": [1]", "\"seeds\": [7, 8, 9, 10]")
                    let message = messageOf<SpecException>(fun () -> parse json |> ignore)

                    let expected =
                        "spec.seeds: expected exactly one seed, got 4; run one spec per seed to compare seeds"

                    Expect.equal message expected "message"
                }
                test "list prints every declared parameter with its type, range and default" {
                    let listing = Wiring.services.ListSamplers() @ Wiring.services.ListTargets()

                    let entries =
                        (Catalog.samplers |> List.map (fun e -> e.Name, e.Parameters))
                        @ (Catalog.targets |> List.map (fun e -> e.Name, e.Parameters))

                    for name, parameters in entries do
                        let text = listing |> List.find (fst >> (=) name) |> snd

                        for p in parameters do
                            Expect.stringContains text $"{p.Name}: {kindName p}" $"{name}.{p.Name} with its type"

                            match p.Kind with
                            | Real
                            | Integer -> Expect.stringContains text (range p) $"{name}.{p.Name} with its range"
                            | _ -> ()
                } ] ]
