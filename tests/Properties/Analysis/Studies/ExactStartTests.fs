/// The probability-flow decay claims start at q_T (start = exact): the floors module then knows no start-law floor,
/// and the measured error really falls below the floor the standard N(0, I) start would leave.
module RateLab.Properties.Analysis.Studies.ExactStartTests

open Expecto
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Claims
open RateLab.Analysis.Claims.Claim
open RateLab.Analysis.Studies
open RateLab.Analysis.Sections

let private registry = lazy (Registry.load (Registry.defaultPath ()))

/// The tests of the PF-ODE decay claims (every one runs a grid sampler).
let private pfOdeTests () =
    [ for c in registry.Value do
          if c.Id = "S1" || c.Id = "S2" then
              for t in c.Tests -> c, t ]

let private withStart (name: string) (t: ClaimTest) =
    { t.Sampler with
        Parameters = t.Sampler.Parameters |> Map.add "start" (Text name) }

[<Tests>]
let tests =
    testList
        "Analysis.Studies.ExactStart"
        [ test "S1 and S2 start at q_T and keep the default top level" {
              let tests = pfOdeTests ()
              Expect.equal tests.Length 4 "ddim, exp-euler, pf-euler, heun"

              for c, t in tests do
                  Expect.equal (Catalog.diffusionStart t.Sampler) Catalog.ExactTop $"{c.Id} {t.Sampler.Name} start"
                  Expect.isFalse (t.Sampler.Parameters.ContainsKey "tau_max") $"{c.Id} {t.Sampler.Name}: no tau_max"
          }

          test "with start = exact there is no start-law floor; with N(0, I) there is a positive one" {
              for _, t in pfOdeTests () do
                  Expect.isNone (Floors.startLaw t.Sampler t.Target ExactKl 16) $"{t.Sampler.Name} exact"
                  let standard = Floors.startLaw (withStart "standard" t) t.Target ExactKl 16
                  Expect.isTrue (standard |> Option.exists (fun f -> f > 0.0)) $"{t.Sampler.Name} standard: {standard}"
          }

          // Exact KL is deterministic. Heun's n^-4 error reaches the standard start's floor (≈ 2e-8) near n = 1024: from
          // N(0, I) the curve flattens onto that floor, from q_T it keeps falling an order of magnitude and more below it.
          test "Heun from q_T falls below the floor that the N(0, I) start flattens onto" {
              let c, t = pfOdeTests () |> List.find (fun (c, _) -> c.Id = "S2")
              let d, n = List.head t.Quick.Dimensions, 2048

              let klFrom (sampler: Component) =
                  let spec =
                      { ClaimJudging.specOf Quick c t ExactKl with
                          Sampler = sampler
                          Steps = [ n ] }

                  (List.head (Runner.run spec d).Points).Error.Value

              let standard = withStart "standard" t
              let floor = (Floors.startLaw standard t.Target ExactKl d).Value
              Expect.isLessThan (klFrom t.Sampler) (floor / 10.0) $"exact start at n = {n}, floor {floor}"
              Expect.isGreaterThan (klFrom standard) floor $"standard start at n = {n} lies above its floor {floor}"
          } ]
