/// Block-by-block exact analysis (how d = 10⁶ distinct coordinates are analysed) against the analysis in one piece.
module RateLab.Properties.Core.Exact.BlockTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Samplers.Langevin
open RateLab.Properties.Generators
open RateLab.Properties.Core.Exact.Fixtures

/// A problem with a block size of 1 … d coordinates.
type Blocked = Blocked of Problem * int

type BlockArbs =
    static member Blocked() : Arbitrary<Blocked> =
        gen {
            let! p = PropagationArbs.Problem().Generator
            let! size = Gen.choose (1, p.Mean.Length)
            return Blocked(p, size)
        }
        |> Arb.fromGen

let private cfg =
    { config with
        arbitrary = typeof<BlockArbs> :: config.arbitrary }

/// How a sampler becomes a problem on a block, from the sampler's settings only (never the block's spectrum).
type private Builder =
    { Name: string
      Build: Problem -> GaussianReduction -> ExactProblem }

let private langevin name (make: int -> float -> StartLaw -> ISamplerKernel) =
    { Name = name
      Build = fun p b -> ExactProblem.Langevin(b, make b.Dimension p.H b.Start, int64 p.Steps) }

let private noised (b: GaussianReduction) tau =
    if tau = 0.0 then b.Target else b.NoisedData tau

let private builders =
    [ langevin "ULA" (fun d h s -> Ula(d, h, s))
      langevin "RLMC" (fun d h s -> Rlmc(d, h, s))
      langevin "ULMC" (fun d h s -> Ulmc(d, h, 2.0, 1.0, s))
      langevin "Shen–Lee" (fun d h s -> ShenLee(d, h, 1.0, s))
      langevin "PLMC" (fun d h s -> PoissonMidpoint.Overdamped(d, h, 4, s))
      { Name = "DDIM"
        Build =
          fun p b ->
              let grid = NoiseGrid.LogSnrUniform(0.999, 1e-3, p.Steps)

              ExactProblem(
                  Ddim(b.Dimension, grid, 0.0),
                  b.NoisedScore(),
                  b.CentredNoisedScore(),
                  noised b grid.End.Tau,
                  int64 grid.Steps
              ) }
      { Name = "Li–Jiao (drawn end level)"
        Build =
          fun p b ->
              // T = 4(n + 4): N = 2T/K even and c₁ log T / T < 1.
              let schedule = LiJiaoSchedule(4 * (p.Steps + 4), 4, 2.0, 4.0)

              ExactProblem(
                  LiJiao(b.Dimension, schedule),
                  b.NoisedScore(),
                  b.CentredNoisedScore(),
                  noised b (schedule.RoundSkeleton(schedule.K, -1).Tau),
                  int64 schedule.K,
                  DrawReference = Func<_, _>(fun u -> noised b (schedule.Level(ReadOnlySpan u, 1).Tau))
              ) } ]

let private options size threads =
    ExactOptions(
        Replicates = 8,
        Seed = 7UL,
        QuadratureNodes = 8,
        BlockCoordinates = size,
        MaxThreads = threads,
        SeparationBound = true
    )

let private analyse (builder: Builder) (p: Problem) size threads =
    ExactAnalysis.Analyse(p.Reduction, Func<_, _>(builder.Build p), options size threads)

let private relClose (a: float) (b: float) =
    abs (a - b) <= 1e-12 * max (abs a) (abs b) || a = b

let private sameLaw (a: GaussianState) (b: GaussianState) =
    a.Mean.AsSpan().SequenceEqual(ReadOnlySpan b.Mean)
    && a.Covariance.AsSpan().SequenceEqual(ReadOnlySpan b.Covariance)

let private figures (r: ExactResult) =
    [ r.Upper.Kl.Value
      r.Upper.Kl.StandardError
      r.Upper.W2Squared.Value
      r.Upper.TvUpper.Value
      r.MomentMatched.Kl
      r.MomentMatched.W2
      r.MomentMatched.Hellinger2
      r.MomentMatched.TvUpper
      r.MomentMatched.TvLower
      // The separating-event bound is taken on whole draw laws, assembled from the blocks (−1: not computed).
      (match r.Separation with
       | null -> -1.0
       | s -> s.Value) ]

// The jackknife of Monte Carlo lower bounds: a spread of leave-one-out values that differ by O(1/R), so block order
// moves it by round-off relative to the bounds themselves, not to the spread.
let private sameJackknife (a: ExactResult) (b: ExactResult) =
    let close scale (x: float) (y: float) =
        x = y || abs (x - y) <= 1e-9 * max scale (abs x)

    match a.LowerError, b.LowerError with
    | null, null -> true
    | null, _
    | _, null -> false
    | x, y ->
        close a.MomentMatched.Kl x.Kl.StandardError y.Kl.StandardError
        && close a.MomentMatched.Kl x.KlBias y.KlBias
        && close a.MomentMatched.W2 x.W2.StandardError y.W2.StandardError
        && x.Replicates = y.Replicates

[<Tests>]
let tests =
    testList
        "Core.Exact.Blocks"
        [
          // Blocks add their coordinate sums in another order than one pass, so figures agree to round-off; the laws are
          // coordinate-wise and must agree bit for bit.
          testList
              "blocks of any size give the one-piece law and distances"
              [ for builder in builders ->
                    testPropertyWithConfig cfg builder.Name
                    <| fun (Blocked(p, size)) ->
                        let whole = ExactAnalysis.Analyse(builder.Build p p.Reduction, options size -1)
                        let blocked = analyse builder p size -1

                        sameLaw whole.Law blocked.Law
                        && List.forall2 relClose (figures whole) (figures blocked)
                        && whole.Evaluations = blocked.Evaluations
                        && whole.Rounds = blocked.Rounds
                        && whole.Randomized = blocked.Randomized
                        && whole.MomentsExact = blocked.MomentsExact
                        && sameJackknife whole blocked ]

          testPropertyWithConfig cfg "the thread count does not change a bit"
          <| fun (Blocked(p, size)) ->
              builders
              |> List.forall (fun b ->
                  let one, all = analyse b p size 1, analyse b p size -1

                  sameLaw one.Law all.Law
                  && figures one = figures all
                  && one.Evaluations = all.Evaluations
                  && one.LowerError = all.LowerError)

          test "bad block settings name the setting" {
              let p =
                  { Mean = [| 0.0 |]
                    Variances = [| 1.0 |]
                    StartMean = [| 0.0 |]
                    StartSd = [| 1.0 |]
                    StepFraction = 0.1
                    Steps = 1
                    Seed = 1UL }

              let ula = List.head builders

              for o, name in
                  [ ExactOptions(BlockCoordinates = 0), "BlockCoordinates"
                    ExactOptions(MaxThreads = 0), "MaxThreads" ] do
                  let e =
                      Expect.throwsC
                          (fun () -> ExactAnalysis.Analyse(p.Reduction, Func<_, _>(ula.Build p), o) |> ignore)
                          id

                  Expect.isTrue (e :? ArgumentException) $"{e.GetType().Name}: an ArgumentException"
                  Expect.stringContains e.Message name "message names the setting"
          } ]
