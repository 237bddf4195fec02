/// Tabled polynomial steps (each randomized Langevin step as polynomials in the precision, probed once for all blocks)
/// against probing every block.
module RateLab.Properties.Core.Exact.PolynomialStepsTests

open System
open Expecto
open RateLab.Core.Contracts
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Properties.Generators
open RateLab.Properties.Core.Exact.Fixtures

let private cfg =
    { config with
        arbitrary = typeof<PropagationArbs> :: config.arbitrary }

/// A step that is affine in x but not polynomial in the precision: x' = e^{−U h κ} x + √(2h) ξ with the curvature
/// κ = s(0) − s(1) = p read off two score calls. Probing propagates it exactly; its tables fail their check.
type private CurvatureExponential(d: int, h: float, start: StartLaw) =
    interface ISamplerKernel with
        member _.Name = "curvature exponential (test)"
        member _.Dimension = d
        member _.Blocks = 1
        member _.AuxLength = 0
        member _.ScratchLength = 4 * d
        member _.InitNormalRoles = 1
        member _.NormalRoles = 1
        member _.Init(ctx, state) = start.Draw(&ctx, 0, state.Slice(0, d))

        member _.Step(ctx, state) =
            let x = state.Slice(0, d)
            let at0 = ctx.Scratch.Slice(0, d)
            let at1 = ctx.Scratch.Slice(d, d)
            let s0 = ctx.Scratch.Slice(2 * d, d)
            let s1 = ctx.Scratch.Slice(3 * d, d)
            at0.Clear()
            at1.Fill 1.0
            ctx.Score(Span.op_Implicit at0, 0.0, s0)
            ctx.Score(Span.op_Implicit at1, 0.0, s1)
            let u = ctx.Uniform 0
            ctx.Normals(0, at1)

            for i in 0 .. d - 1 do
                x.[i] <- exp (-u * h * (s0.[i] - s1.[i])) * x.[i] + sqrt (2.0 * h) * at1.[i]

let private langevin (make: int -> float -> StartLaw -> ISamplerKernel) =
    fun (p: Problem) (b: GaussianReduction) -> ExactProblem.Langevin(b, make b.Dimension p.H b.Start, int64 p.Steps)

// The randomized Langevin kernels of at most two rounds per step: the ones the tables take.
let private tabled: (string * (Problem -> GaussianReduction -> ExactProblem)) list =
    [ "RLMC", langevin (fun d h s -> Rlmc(d, h, s))
      "PLMC (K = 3)", langevin (fun d h s -> PoissonMidpoint.Overdamped(d, h, 3, s))
      "PLMC on ULMC (K = 4)", langevin (fun d h s -> PoissonMidpoint.Underdamped(d, h, 4, 2.0, s))
      "Shen–Lee", langevin (fun d h s -> ShenLee(d, h, 1.0, s)) ]

let private options (p: Problem) polynomial =
    ExactOptions(Replicates = 6, Seed = p.Seed, QuadratureNodes = 4, PolynomialCoordinates = polynomial)

let private analyseWith build (p: Problem) (o: ExactOptions) =
    ExactAnalysis.Analyse(p.Reduction, Func<_, _>(build p), o)

let private probed build p =
    analyseWith build p (options p Int32.MaxValue)

let private polynomial build p = analyseWith build p (options p 1)

let private bits (x: float[]) =
    x |> Array.map BitConverter.DoubleToInt64Bits

let private sameBits (a: ExactResult) (b: ExactResult) =
    bits a.Law.Mean = bits b.Law.Mean
    && bits a.Law.Covariance = bits b.Law.Covariance
    && a.Upper = b.Upper
    && a.MomentMatched = b.MomentMatched

/// The relative agreement the tables promise after n steps. Each tabled entry f (of A, g, Q) is within
/// (2D + 3)·2⁸u·F of the kernel's own value (the check's bound: the probed values' rounding 2⁸u·F, moved at most
/// 2(D + 1)-fold by the truncated Chebyshev fit of degree D = 4, plus the checked value's own), F the entry's largest
/// node value; the generators keep hp ≤ 0.9 and κ = p_max/p_min ≤ 25, so F is within κ of the value at any
/// coordinate. A step's relative error then adds to the law's at most once per step (the maps are contractions on
/// these spectra), and probing's own rounding is of the same size: n·2·(2D + 3)·2⁸u·κ.
let private tolerance (p: Problem) =
    let u = Math.Pow(2.0, -53.0)
    let kappa = Array.max p.Variances / Array.min p.Variances
    float p.Steps * 2.0 * 11.0 * 256.0 * u * kappa

// |a − b| ≤ tol·scale for every mean and covariance entry, scaled by the coordinate's spread (√C and |μ|).
let private close tol (a: GaussianState) (b: GaussianState) =
    let d = a.Dimension
    let pairs = GaussianState.PackedEntries a.Blocks

    let sd block i =
        let entry = if block = 0 then 0 else pairs - 1
        sqrt (abs b.Covariance.[entry * d + i])

    Seq.forall
        (fun k ->
            let block, i = k / d, k % d
            abs (a.Mean.[k] - b.Mean.[k]) <= tol * (abs b.Mean.[k] + sd block i))
        [ 0 .. a.Mean.Length - 1 ]
    && Seq.forall
        (fun k ->
            abs (a.Covariance.[k] - b.Covariance.[k])
            <= tol * (sd 0 (k % d) * sd (a.Blocks - 1) (k % d)))
        [ 0 .. a.Covariance.Length - 1 ]

[<Tests>]
let tests =
    testList
        "Core.Exact.PolynomialSteps"
        [ testList
              "the tables give probing's laws to the rounding bound, and the real chains' counts"
              [ for name, build in tabled ->
                    testPropertyWithConfig cfg name
                    <| fun (p: Problem) ->
                        let exact, tabled = probed build p, polynomial build p
                        let tol = tolerance p

                        close tol tabled.Law exact.Law
                        && tabled.Evaluations = exact.Evaluations
                        && tabled.Rounds = exact.Rounds
                        && tabled.Randomized
                        && tabled.MomentsExact = exact.MomentsExact ]

          test "the tables are used: a tabled law differs from probing's in its last bits" {
              let p =
                  { Mean = [| 0.5; -1.0; 2.0 |]
                    Variances = [| 0.3; 1.0; 4.0 |]
                    StartMean = [| 1.0; 0.0; -1.0 |]
                    StartSd = [| 0.5; 1.0; 0.2 |]
                    StepFraction = 0.5
                    Steps = 10
                    Seed = 3UL }

              for name, build in tabled do
                  Expect.isFalse (sameBits (probed build p) (polynomial build p)) $"{name}: the switch engages"
          }

          test "the laws do not depend on the block split or the thread count, bit for bit" {
              let d = 37
              let variances = Array.init d (fun i -> 0.2 + 0.13 * float i)
              let mean = Array.init d (fun i -> sin (float i))
              let start = StartLaw(Array.init d (fun i -> cos (float i)), Array.create d 0.5)

              let reduction =
                  GaussianReduction.Diagonal(ReadOnlySpan mean, ReadOnlySpan variances, start)

              for name, build in tabled do
                  let p =
                      { Mean = mean
                        Variances = variances
                        StartMean = Array.zeroCreate d
                        StartSd = Array.zeroCreate d
                        StepFraction = 0.5
                        Steps = 12
                        Seed = 7UL }

                  let run blockSize threads =
                      ExactAnalysis.Analyse(
                          reduction,
                          Func<_, _>(build p),
                          ExactOptions(
                              Replicates = 4,
                              Seed = 7UL,
                              QuadratureNodes = 4,
                              BlockCoordinates = blockSize,
                              MaxThreads = threads,
                              PolynomialCoordinates = 1
                          )
                      )

                  let one = run 5 1

                  for other in [ run 5 2; run 8 2; run 1024 1 ] do
                      Expect.equal (bits other.Law.Mean) (bits one.Law.Mean) $"{name}: mean"
                      Expect.equal (bits other.Law.Covariance) (bits one.Law.Covariance) $"{name}: covariance"

                  Expect.equal (run 5 2).Upper one.Upper $"{name}: the same blocks on 2 threads give the same sums"
          }

          testList
              "a step the tables cannot hold falls back to probing, bit for bit"
              [ testPropertyWithConfig cfg "three rounds (PLMC iterating its midpoints, K = 3)"
                <| fun (p: Problem) ->
                    let build =
                        langevin (fun d h s -> PoissonMidpoint.Overdamped(d, h, 3, s, MidpointSource.Iterate))

                    // Some step of some replicate selects both midpoints (probability 1/9 per step) once there are
                    // enough steps; with fewer the tables may hold every step, and agree to rounding instead.
                    p.Steps < 20 || sameBits (probed build p) (polynomial build p)

                testPropertyWithConfig cfg "a step that is not polynomial in the precision fails its check"
                <| fun (p: Problem) ->
                    let build = langevin (fun d h s -> CurvatureExponential(d, h, s) :> ISamplerKernel)

                    let spread = Array.max p.Variances / Array.min p.Variances
                    // On a narrow spectrum e^{−Uhp} is a polynomial to rounding and the tables may take it.
                    spread < 2.0 || sameBits (probed build p) (polynomial build p) ]

          test "PolynomialCoordinates below 1 is refused by name" {
              let p =
                  { Mean = [| 0.0 |]
                    Variances = [| 1.0 |]
                    StartMean = [| 0.0 |]
                    StartSd = [| 1.0 |]
                    StepFraction = 0.1
                    Steps = 1
                    Seed = 1UL }

              let e =
                  Expect.throwsC (fun () -> analyseWith (snd tabled.Head) p (options p 0) |> ignore) id

              Expect.stringContains e.Message "PolynomialCoordinates" "message names the setting"
          } ]
