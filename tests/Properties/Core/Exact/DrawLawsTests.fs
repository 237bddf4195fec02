/// The per-draw laws: the same draws as the exact analysis with the same seed, and a mixture whose moments are the
/// exact ones.
module RateLab.Properties.Core.Exact.DrawLawsTests

open System
open Expecto
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Properties.Stats

let private reduction () =
    GaussianReduction.Diagonal(
        ReadOnlySpan [| 0.5; -1.0; 0.0 |],
        ReadOnlySpan [| 1.0; 2.0; 0.5 |],
        StartLaw(Array.create 3 1.0, Array.create 3 0.5)
    )

// PLMC(α = 0.25, K = 4) on N(μ, diag λ) in d = 3 from N(1, 0.5²), 12 outer steps: Bernoulli draws, enumerable moments.
let private overdamped (r: GaussianReduction) =
    ExactProblem.Langevin(r, PoissonMidpoint.Overdamped(r.Dimension, 0.25, 4, r.Start), 12L)

let private problem () = overdamped (reduction ())

// Underdamped PLMC(α = 0.2, K = 8) on the same target, 10 outer steps: two blocks and many normal roles, the case the
// packed probes are for.
let private underdamped (r: GaussianReduction) =
    ExactProblem.Langevin(r, PoissonMidpoint.Underdamped(r.Dimension, 0.2, 8, 2.0, r.Start), 10L)

let private bits (laws: DiagonalLaw[]) =
    [ for l in laws do
          yield! l.Mean.ToArray() |> Array.map BitConverter.DoubleToInt64Bits
          yield! l.Variance.ToArray() |> Array.map BitConverter.DoubleToInt64Bits ]

[<Tests>]
let tests =
    testList
        "Core.Exact.DrawLaws"
        [ test "the draws are the exact analysis's: E_draws KL and E_draws W2² agree to rounding" {
              let p = problem ()
              let r = ExactAnalysis.Analyse(p, ExactOptions(Replicates = 64, Seed = 11UL))
              let draws = DrawLaws.Positions(p, 64, 11UL)
              let kl = draws |> Array.averageBy (fun l -> GaussianDistances.Kl(l, p.Reference))

              let w2 =
                  draws |> Array.averageBy (fun l -> GaussianDistances.W2Squared(l, p.Reference))
              // Same doubles summed in another order (Welford there, a plain sum here): a few ulps of the mean.
              Expect.floatClose { absolute = 0.0; relative = 1e-12 } kl r.Upper.Kl.Value "E_draws KL"
              Expect.floatClose { absolute = 0.0; relative = 1e-12 } w2 r.Upper.W2Squared.Value "E_draws W2²"
          }

          test "the draws' mixture has the exact total means and variances (within 5 SE)" {
              let p = problem ()
              let r = ExactAnalysis.Analyse(p, ExactOptions(Replicates = 2, Seed = 3UL))
              Expect.isTrue r.MomentsExact "enumerated"
              let exact = r.Law.Position(p.Reference.Multiplicity)
              let draws = DrawLaws.Positions(p, 2000, 3UL)

              for c in 0..2 do
                  let means = draws |> Array.map (fun l -> l.Mean.[c])
                  let m, se = meanAndSe means

                  Expect.isTrue
                      (within z5 se m exact.Mean.[c])
                      $"mean of coordinate {c}: {m} ± {se} vs {exact.Mean.[c]}"
                  // Total variance = E S_ω + Var μ_ω: per draw S_ω + (μ_ω − exact mean)², whose mean is exact.
                  let totals =
                      draws
                      |> Array.map (fun l -> l.Variance.[c] + (l.Mean.[c] - exact.Mean.[c]) ** 2.0)

                  let v, vse = meanAndSe totals
                  Expect.isTrue (within z5 vse v exact.Variance.[c]) $"variance of coordinate {c}: {v} ± {vse}"
          }

          test "the laws do not depend on the thread count, bit for bit" {
              let p = problem ()
              let one = bits (DrawLaws.Positions(p, 203, 5UL, 1))

              for threads in [ 2; 3; -1 ] do
                  Expect.equal (bits (DrawLaws.Positions(p, 203, 5UL, threads))) one $"{threads} threads"
          }

          test "packed probes give the laws of one probe at a time, bit for bit" {
              let r = reduction ()

              for name, build in [ "overdamped", overdamped; "underdamped", underdamped ] do
                  let one = bits (DrawLaws.Positions(build r, 64, 9UL))
                  Expect.equal (bits (DrawLaws.Positions(r, build, 64, 9UL))) one $"{name}, packed"
                  // Too small a limit for the packed kernel: one probe at a time, the same laws.
                  Expect.equal
                      (bits (DrawLaws.Positions(r, build, 64, 9UL, packedCoordinates = 0)))
                      one
                      $"{name}, not packed"
          }

          test "bad arguments are refused" {
              let e =
                  Expect.throwsC (fun () -> DrawLaws.Positions(problem (), 0, 1UL) |> ignore) id

              Expect.stringContains e.Message "replicates = 0" "names the value"

              let e =
                  Expect.throwsC (fun () -> DrawLaws.Positions(problem (), 4, 1UL, 0) |> ignore) id

              Expect.stringContains e.Message "maxThreads = 0" "names the value"

              let e =
                  Expect.throwsC
                      (fun () ->
                          DrawLaws.Positions(reduction (), overdamped, 4, 1UL, packedCoordinates = -1)
                          |> ignore)
                      id

              Expect.stringContains e.Message "packedCoordinates = -1" "names the packing limit"
          } ]
