/// Packed probing (all probes of a step in one kernel step on side-by-side copies) against probing one at a time.
module RateLab.Properties.Core.Exact.PackedProbeTests

open System
open Expecto
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Samplers.Langevin
open RateLab.Properties.Generators
open RateLab.Properties.Core.Exact.Fixtures

let private cfg =
    { config with
        arbitrary = typeof<PropagationArbs> :: config.arbitrary }

// Kernels that step probe by probe (not by squaring), the underdamped ones included, with their normal roles.
let private builders: (string * (Problem -> GaussianReduction -> ExactProblem)) list =
    let langevin (make: int -> float -> StartLaw -> ISamplerKernel) =
        fun (p: Problem) (b: GaussianReduction) -> ExactProblem.Langevin(b, make b.Dimension p.H b.Start, int64 p.Steps)

    let grid (p: Problem) =
        NoiseGrid.LogSnrUniform(0.999, 1e-3, p.Steps)

    let diffusion (make: int -> NoiseGrid -> ISamplerKernel) =
        fun (p: Problem) (b: GaussianReduction) ->
            let g = grid p
            let reference = b.NoisedData g.End.Tau
            ExactProblem(make b.Dimension g, b.NoisedScore(), b.CentredNoisedScore(), reference, int64 g.Steps)

    [ "PLMC on ULMC (K = 8)", langevin (fun d h s -> PoissonMidpoint.Underdamped(d, h, 8, 2.0, s))
      "PLMC (K = 3)", langevin (fun d h s -> PoissonMidpoint.Overdamped(d, h, 3, s))
      "Shen–Lee", langevin (fun d h s -> ShenLee(d, h, 1.0, s))
      "RLMC", langevin (fun d h s -> Rlmc(d, h, s))
      "DDPM", diffusion (fun d g -> DdpmAncestral(d, g, DdpmVariance.Posterior))
      "Heun", diffusion (fun d g -> Heun(d, g)) ]

let private analyse build (p: Problem) packed =
    let options =
        ExactOptions(Replicates = 6, Seed = p.Seed, QuadratureNodes = 4, PackedCoordinates = packed)

    ExactAnalysis.Analyse(p.Reduction, Func<_, _>(build p), options)

let private bits (x: float[]) =
    x |> Array.map BitConverter.DoubleToInt64Bits

[<Tests>]
let tests =
    testList
        "Core.Exact.PackedProbes"
        [
          // Each copy runs the same operations on the same d-dimensional field as a separate probe, so nothing may move.
          testList
              "packed and one-at-a-time probing give the same law, figures and counts, bit for bit"
              [ for name, build in builders ->
                    testPropertyWithConfig cfg name
                    <| fun (p: Problem) ->
                        let one, packed = analyse build p 0, analyse build p 4096

                        bits one.Law.Mean = bits packed.Law.Mean
                        && bits one.Law.Covariance = bits packed.Law.Covariance
                        && one.Upper = packed.Upper
                        && one.MomentMatched = packed.MomentMatched
                        && one.Evaluations = packed.Evaluations
                        && one.Rounds = packed.Rounds ]

          test "packed normals are ones on the probed role's copy only" {
              let noise =
                  ProbeNoise(RoleLimit = 3, CopyLength = 2, Copies = 5, FirstNoiseCopy = 2)

              let z = Array.create 10 7.0
              noise.Normals(0L, 0L, 1, Span z)
              Expect.equal z [| 0.0; 0.0; 0.0; 0.0; 0.0; 0.0; 1.0; 1.0; 0.0; 0.0 |] "role 1 → copy 3"
          }

          test "a draw that is not whole copies is refused, naming the role" {
              let noise =
                  ProbeNoise(RoleLimit = 1, CopyLength = 2, Copies = 3, FirstNoiseCopy = 1)

              let e =
                  Expect.throwsC (fun () -> noise.Normals(0L, 4L, 0, Span(Array.zeroCreate 4))) id

              Expect.stringContains e.Message "role 0 at step 4" "message names role and step"
          }

          test "PackedCoordinates below 0 is refused by name" {
              let p =
                  { Mean = [| 0.0 |]
                    Variances = [| 1.0 |]
                    StartMean = [| 0.0 |]
                    StartSd = [| 1.0 |]
                    StepFraction = 0.1
                    Steps = 1
                    Seed = 1UL }

              let e = Expect.throwsC (fun () -> analyse (snd builders.Head) p -1 |> ignore) id
              Expect.stringContains e.Message "PackedCoordinates" "message names the setting"
          } ]
