/// Time-homogeneous kernels composed by repeated squaring (AffinePropagator.Power) against the same kernels probed
/// step by step, the divergence report of the exact engine, and quadrature rules shortened by a declared moment degree.
module RateLab.Properties.Core.Exact.PowerTests

open System
open Expecto
open RateLab.Core.Contracts
open RateLab.Core.Exact
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Properties.Generators
open RateLab.Properties.TestKernels
open RateLab.Properties.Core.Exact.Fixtures

let private cfg =
    { config with
        arbitrary = typeof<PropagationArbs> :: config.arbitrary }

let private homogeneous: (string * (int -> float -> StartLaw -> ISamplerKernel)) list =
    [ "ULA", fun d h start -> Ula(d, h, start)
      "ULMC", fun d h start -> Ulmc(d, h, 2.0, 1.0, start) ]

/// The law and counted cost after n steps, by Power or by n probed steps.
let private propagate (kernel: ISamplerKernel) (r: GaussianReduction) seed (n: int64) byPower =
    let propagator =
        AffinePropagator(kernel, r.TargetScore(), r.CentredTargetScore(), ProbeNoise())

    let law = GaussianState(kernel.Blocks, kernel.Dimension)
    propagator.Noise.UseDraw(PhiloxNoise seed, 0L)
    propagator.Init law

    if byPower then
        propagator.Power(n, law)
    else
        for s in 0L .. n - 1L do
            propagator.Step(s, law)

    law, propagator.Evaluations, propagator.Rounds

/// Entries agree to 1e-12 relative to the law's scale (means near 0 are compared on the scale of the start).
let private lawsAgree (a: GaussianState) (b: GaussianState) =
    Array.forall2 (fun x y -> abs (x - y) <= 1e-12 * (1.0 + abs y)) a.Mean b.Mean
    && Array.forall2 (fun x y -> abs (x - y) <= 1e-12 * (1.0 + abs y)) a.Covariance b.Covariance

/// The exception of type 'e that f raises (any other outcome fails the test).
let private thrown<'e when 'e :> exn> (f: unit -> unit) : 'e =
    try
        f ()
        failtestf "expected %s" typeof<'e>.Name
    with :? 'e as e ->
        e

[<Tests>]
let tests =
    testList
        "Core.Exact.Power"
        [ for name, make in homogeneous do
              testPropertyWithConfig cfg $"{name}: Φⁿ by squaring equals n probed steps (1e-12) and counts the same NFE"
              <| fun (p: Problem) ->
                  let r = p.Reduction
                  let kernel = make r.Dimension p.H r.Start
                  // Up to 30 · 37 = 1110 steps: every bit pattern below 2¹¹ that the generator reaches.
                  let n = int64 (p.Steps * 37)
                  let powered, poweredNfe, poweredRounds = propagate kernel r p.Seed n true
                  let stepped, steppedNfe, steppedRounds = propagate kernel r p.Seed n false

                  lawsAgree powered stepped
                  && poweredNfe = steppedNfe
                  && poweredRounds = steppedRounds

          test "ULA on N(0,1) after 10⁶ steps: variance 2/(2 − h) to 1e-13, 10⁶ counted score calls" {
              let h = 0.1

              let r =
                  GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 1.0 |], StartLaw.Point [| 3.0 |])

              let result =
                  ExactAnalysis.Analyse(ExactProblem.Langevin(r, Ula(1, h, r.Start), 1_000_000L))

              Expect.floatClose
                  { absolute = 0.0; relative = 1e-13 }
                  result.Law.Covariance.[0]
                  (2.0 / (2.0 - h))
                  "stationary variance"

              Expect.equal result.Law.Mean.[0] 0.0 "mean (1 − h)^10⁶ · 3 underflows to 0"
              Expect.equal result.Evaluations 1e6 "NFE"
          }

          test "a kernel that claims ITimeHomogeneous but draws uniforms is refused" {
              let r =
                  GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 1.0 |], StartLaw.Point [| 1.0 |])

              let kernel = ClaimsHomogeneous(NestedRlmc(1, 0.1, r.Start))

              let e =
                  thrown<InvalidOperationException>(fun () ->
                      ExactAnalysis.Analyse(ExactProblem.Langevin(r, kernel, 10L)) |> ignore)

              Expect.stringContains e.Message "declares ITimeHomogeneous but draws uniforms" "message"
          }

          test "an unstable ULA stops with the sampler, the first non-finite step and the chain" {
              // h = 3 on N(0, 1): vₙ₊₁ = 4vₙ + 6 from v₀ = 0 overflows near step 510; the squared maps overflow earlier
              // (they are formed up to 2⁹ steps ahead), so the engine traces the steps to find the first one.
              let h = 3.0

              let r =
                  GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 1.0 |], StartLaw.Point [| 1.0 |])

              let mutable v, first = 0.0, -1L

              for s in 0L .. 999L do
                  v <- (1.0 - h) * ((1.0 - h) * v) + 2.0 * h

                  if first < 0L && not (Double.IsFinite v) then
                      first <- s

              let e =
                  thrown<SamplerDivergedException>(fun () ->
                      ExactAnalysis.Analyse(ExactProblem.Langevin(r, Ula(1, h, r.Start), 1000L))
                      |> ignore)

              Expect.equal (e.Sampler, e.StepIndex, e.Chain) ("ULA", first, 0L) "sampler, step, chain"
          }

          test "RLMC declares moment degree 2: a 2-node rule, equal to 48 nodes to 1e-13" {
              let r =
                  GaussianReduction.Diagonal(
                      ReadOnlySpan [| 0.5; -1.0 |],
                      ReadOnlySpan [| 1.0; 0.3 |],
                      StartLaw([| 2.0; 0.0 |], [| 0.1; 1.0 |])
                  )

              let rlmc = Rlmc(2, 0.1, r.Start)
              Expect.equal (DrawQuadrature(rlmc, 48).Count) 2 "nodes"

              let analyse kernel =
                  ExactAnalysis.Analyse(ExactProblem.Langevin(r, kernel, 40L), ExactOptions(Replicates = 2))

              let declared, hidden = analyse rlmc, analyse (WithMomentDegree(rlmc, Nullable()))
              Expect.isTrue (declared.MomentsExact && hidden.MomentsExact) "both exact rules"

              for a, b in
                  Array.zip
                      (Array.append declared.Law.Mean declared.Law.Covariance)
                      (Array.append hidden.Law.Mean hidden.Law.Covariance) do
                  Expect.floatClose { absolute = 1e-16; relative = 1e-13 } a b "moment-matched law"
          }

          test "bad input: negative step counts, non-homogeneous kernels and negative moment degrees are refused" {
              let r =
                  GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 1.0 |], StartLaw.Point [| 1.0 |])

              let propagatorOf (kernel: ISamplerKernel) =
                  AffinePropagator(kernel, r.TargetScore(), r.CentredTargetScore(), ProbeNoise())

              let law = GaussianState(1, 1)

              let e =
                  thrown<ArgumentOutOfRangeException>(fun () -> (propagatorOf (Ula(1, 0.1, r.Start))).Power(-1L, law))

              Expect.stringContains e.Message "steps = -1" "names the parameter and value"
              let rlmc = Rlmc(1, 0.1, r.Start)

              let e =
                  thrown<InvalidOperationException>(fun () -> (propagatorOf rlmc).Power(3L, law))

              Expect.stringContains e.Message "not time-homogeneous" "refuses a randomized kernel"

              let e =
                  thrown<ArgumentOutOfRangeException>(fun () ->
                      DrawQuadrature(WithMomentDegree(rlmc, Nullable -1), 48) |> ignore)

              Expect.stringContains e.Message "MomentDegree = -1" "names the declaration and value"
          } ]
