/// The built-in kernels through the property kit, and the kit's own properties shown to fail on planted defects.
module RateLab.Properties.Testing.KitTests

open Expecto
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Testing
open RateLab.Properties.Testing.BuiltInSpecs
open RateLab.Properties.Testing.Fixtures

/// ULA's spec with its kernel replaced by a planted one (same step size, start, declared cost and invariant law).
let private planted defect =
    { ula with
        Name = $"ULA with {defect}"
        Build = fun r n -> Built.Langevin(r, PlantedUla(r.Dimension, horizon / float n, r.Start, defect), int64 n)
        Invalid = [] }

/// The outcome of one check must be an Error whose message contains every fragment.
let private expectCaught (outcome: Result<string, string>) (fragments: string list) =
    match outcome with
    | Ok measured -> failtest $"the defect went unnoticed: {measured}"
    | Error message ->
        for f in fragments do
            Expect.stringContains message f "the failure says what and where"

[<Tests>]
let tests =
    testList
        "Testing.Kit"
        [ testList "built-in kernels" [ for spec in all -> Kit.tests spec ]
          testList
              "planted defects are caught with a readable message"
              [ test "a wrong noise scale breaks the declared invariant law" {
                    let spec = planted (NoiseScale 1.1)

                    expectCaught
                        (Checks.stationary spec spec.Invariant.Value)
                        [ "stationarity"; "variance"; "invariant" ]
                }
                test "a wrong noise scale breaks the declared order" {
                    let spec = planted (NoiseScale 1.1)
                    expectCaught (Checks.order spec spec.Order.Value) [ "order"; "declared 2" ]
                }
                test "a correct ULA passes the same two checks" {
                    Expect.isOk (Checks.stationary ula ula.Invariant.Value) "stationarity"
                    Expect.isOk (Checks.order ula ula.Order.Value) "order"
                }
                test "an allocating step is caught" {
                    expectCaught
                        (Checks.allocationFree (planted AllocatesPerStep))
                        [ "allocation"; "bytes"; "allowed: 0" ]
                }
                test "noise shared across chains disagrees with the exact law" {
                    let spec = planted SharedNoise
                    expectCaught (Checks.exactAgreesWithMonteCarlo spec (Checks.mcCases spec 2)) [ "Monte Carlo"; "SE" ]
                }
                test "noise keyed by a hidden counter is not reproducible under a batch split" {
                    expectCaught (Checks.reproducible (planted HiddenCounter)) [ "reproducibility"; "batches" ]
                }
                test "a wrong declared cost is caught" {
                    expectCaught (Checks.countedCost ula (PerStep 2)) [ "counted NFE"; "made 8"; "declared 16" ]
                }
                test "an invariant law declared for a diffusion kernel is refused, not silently skipped" {
                    let law (r: GaussianReduction) (_: int) = r.Target
                    expectCaught (Checks.stationary ddim law) [ "stationarity"; "diffusion"; "allowed: Langevin" ]
                }
                test "an accepted invalid parameter is caught" {
                    let spec =
                        { ula with
                            Invalid =
                                [ { Parameter = "h"
                                    Value = "0.1"
                                    Construct = fun () -> Ula(1, 0.1, StartLaw.Isotropic(1, 1.0)) |> ignore } ] }

                    expectCaught (Checks.refusesInvalid spec) [ "h = 0.1 was accepted" ]
                } ] ]
