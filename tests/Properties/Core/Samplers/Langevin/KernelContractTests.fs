/// Contracts shared by every Langevin kernel: argument validation, divergence reporting, reproducibility.
module RateLab.Properties.Core.Samplers.Langevin.KernelContractTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Core.Targets
open RateLab.Properties.Generators
open RateLab.Properties.Core.Samplers.Langevin.Fixtures

let private s1 = startIso 1 1.0

/// One of each kernel on a d-dimensional target.
let private kernels (target: ITarget) d : ISamplerKernel list =
    let s = startIso d 1.0

    [ Ula(d, 0.1, s)
      Rlmc(d, 0.1, s)
      Ulmc(d, 0.1, 2.0, 1.0, s)
      ShenLee(d, 0.1, 1.0, s)
      PoissonMidpoint.Overdamped(d, 0.2, 4, s)
      PoissonMidpoint.Underdamped(d, 0.2, 4, 2.0, s)
      Mala(target, 0.1, s) ]

/// Throws unless <paramref name="f"/> raises an ArgumentException for parameter <paramref name="name"/> whose message
/// shows the value and the allowed range.
let private expectRejects name (value: string) (f: unit -> unit) =
    let ex = Expect.throwsC f id

    match ex with
    | :? ArgumentException as a ->
        Expect.equal a.ParamName name $"parameter name in {a.Message}"
        Expect.stringContains a.Message value "message shows the value"
        Expect.stringContains a.Message "allowed" "message shows the allowed range"
    | other -> failtestf "expected an ArgumentException, got %s" (other.GetType().Name)

/// A value that is not a valid step or rate: non-positive, NaN or infinite.
type NotPositive = NotPositive of float

type InvalidArbs =
    static member NotPositive() : Arbitrary<NotPositive> =
        Gen.oneof
            [ Gen.choose (0, 10000) |> Gen.map (fun k -> -float k / 100.0)
              Gen.elements [ 0.0; -0.0; nan; infinity; -infinity; -Double.Epsilon ] ]
        |> Gen.map NotPositive
        |> Arb.fromGen

let private invalidConfig =
    { config with
        arbitrary = typeof<InvalidArbs> :: config.arbitrary }

let private shown (v: float) =
    v.ToString("R", Globalization.CultureInfo.InvariantCulture)

[<Tests>]
let tests =
    testList
        "Core.Samplers.Langevin.Contracts"
        [ testPropertyWithConfig
              invalidConfig
              "non-positive or non-finite step sizes, frictions and masses are rejected by name"
          <| fun (NotPositive v) ->
              let t = isotropic 1 1.0
              let v' = shown v
              expectRejects "h" v' (fun () -> Ula(1, v, s1) |> ignore)
              expectRejects "h" v' (fun () -> Rlmc(1, v, s1) |> ignore)
              expectRejects "eta" v' (fun () -> Ulmc(1, v, 2.0, 1.0, s1) |> ignore)
              expectRejects "gamma" v' (fun () -> Ulmc(1, 0.1, v, 1.0, s1) |> ignore)
              expectRejects "u" v' (fun () -> Ulmc(1, 0.1, 2.0, v, s1) |> ignore)
              expectRejects "h" v' (fun () -> ShenLee(1, v, 1.0, s1) |> ignore)
              expectRejects "u" v' (fun () -> ShenLee(1, 0.1, v, s1) |> ignore)
              expectRejects "alpha" v' (fun () -> PoissonMidpoint.Overdamped(1, v, 4, s1) |> ignore)
              expectRejects "alpha" v' (fun () -> PoissonMidpoint.Underdamped(1, v, 4, 2.0, s1) |> ignore)
              expectRejects "gamma" v' (fun () -> PoissonMidpoint.Underdamped(1, 0.2, 4, v, s1) |> ignore)
              expectRejects "h" v' (fun () -> Mala(t, v, s1) |> ignore)

          test "dimension below 1 and K below 1 or above the role budget are rejected by name" {
              expectRejects "d" "0" (fun () -> Ula(0, 0.1, s1) |> ignore)
              expectRejects "d" "-3" (fun () -> Rlmc(-3, 0.1, s1) |> ignore)
              expectRejects "d" "0" (fun () -> Ulmc(0, 0.1, 2.0, 1.0, s1) |> ignore)
              expectRejects "d" "0" (fun () -> ShenLee(0, 0.1, 1.0, s1) |> ignore)
              expectRejects "K" "0" (fun () -> PoissonMidpoint.Overdamped(1, 0.2, 0, s1) |> ignore)
              expectRejects "K" "-2" (fun () -> PoissonMidpoint.Underdamped(1, 0.2, -2, 2.0, s1) |> ignore)
              // Each fine step needs its own normal roles below CounterRng.UniformRoleBase (2 per step underdamped).
              expectRejects "K" "16385" (fun () -> PoissonMidpoint.Underdamped(1, 0.2, 16385, 2.0, s1) |> ignore)
              expectRejects "K" "32769" (fun () -> PoissonMidpoint.Overdamped(1, 0.2, 32769, s1) |> ignore)

              Expect.equal
                  (PoissonMidpoint.Overdamped(1, 0.2, 32768, s1).NormalRoles)
                  CounterRng.UniformRoleBase
                  "largest K"
          }

          test "a start law of the wrong dimension is rejected" {
              Expect.throwsT<ArgumentException> (fun () -> Ulmc(2, 0.1, 2.0, 1.0, s1) |> ignore) "start law dimension"
              Expect.throwsT<ArgumentException> (fun () -> Mala(isotropic 2 1.0, 0.1, s1) |> ignore) "MALA start law"
          }

          test "a diverging kernel makes the runner throw, naming sampler, step and chain" {
              // L = 10⁴ and steps far beyond 1/√L: every explicit scheme here blows up geometrically.
              let stiff = isotropic 2 1e-4

              for kernel in kernels stiff 2 |> List.filter (fun k -> not (k :? Mala)) do
                  let ex =
                      try
                          run 61UL kernel stiff 3 5000L |> ignore
                          failtestf "%s did not diverge" kernel.Name
                      with e ->
                          e

                  match ex with
                  | :? SamplerDivergedException as e ->
                      Expect.equal e.Sampler kernel.Name "sampler"
                      Expect.stringContains e.Message $"'{kernel.Name}'" "message names the sampler"
                      Expect.stringContains e.Message $"step {e.StepIndex}" "message names the step"
                      Expect.stringContains e.Message $"chain {e.Chain}" "message names the chain"
                      Expect.isGreaterThanOrEqual e.StepIndex 0L "diverged while stepping"
                  | other ->
                      failtestf "%s: expected SamplerDivergedException, got %s" kernel.Name (other.GetType().Name)
          }

          // Reproducibility under thread count and batch split, and allocation-free steps: tests/Properties/Testing,
          // through the property kit, for every Langevin kernel.
          ]
