/// Generators for valid configurations, passed to every property through FsCheckConfig.arbitrary.
module RateLab.Properties.Generators

open FsCheck
open FsCheck.FSharp

/// A seed for the counter-based generator.
type Seed = Seed of uint64

type Arbitraries =
    static member Seed() : Arbitrary<Seed> =
        ArbMap.defaults
        |> ArbMap.arbitrary<uint64>
        |> Arb.convert Seed (fun (Seed s) -> s)

/// The FsCheck configuration every property in the suite uses: fixed replay seed for deterministic CI.
let config =
    { Expecto.FsCheckConfig.defaultConfig with
        arbitrary = [ typeof<Arbitraries> ]
        replay = Some(20261123UL, 1UL, None)
        maxTest = 50 }
