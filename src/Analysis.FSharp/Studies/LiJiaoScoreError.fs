/// B1's score-error term: Li–Jiao's TV bound adds C ε_score √(log T) for an L²-accurate score estimate (B2, docs/
/// claims.md). Here the estimate is the exact noised score plus a constant error ε u with ‖u‖ = 1: its L² error under
/// every p_τ is exactly ε, it keeps the true score's Lipschitz constant, and it is affine, so the exact engine still
/// gives every draw's output law. The TV upper bound against T then falls to a floor set by ε.
module RateLab.Analysis.Studies.LiJiaoScoreError

open System
open RateLab.Core.Contracts
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Targets
open RateLab.Analysis.Experiments.Spec

/// s̃_τ(x) = s_τ(x) + δ·1 on every coordinate: with δ = ε/√d the error vector has norm ε everywhere, so its L² error
/// under any law is ε.
type ShiftedScore(inner: IScoreField, shift: float) =
    interface IScoreField with
        member _.Name = $"{inner.Name}+constant-error({shift:R} per coordinate)"
        member _.Dimension = inner.Dimension

        member _.Score(x: ReadOnlySpan<float>, tau: float, score: Span<float>) =
            inner.Score(x, tau, score)

            for i in 0 .. score.Length - 1 do
                score[i] <- score[i] + shift

/// The data: the catalog's `gaussian-data` in d dimensions, N(0, diag λ) with λ log-spaced from 1 to 0.05 (distinct,
/// so no coordinates merge and each carries ε/√d of the error), started from N(0, I) as the catalog starts it.
let data (d: int) =
    let problem =
        Catalog.gaussianProblem
            { Name = "gaussian-data"
              Parameters = Map.empty }
            d

    GaussianReduction.Diagonal(ReadOnlySpan problem.Mean, ReadOnlySpan problem.Variance, StartLaw.Isotropic(d, 1.0))

/// The exact analysis of Li–Jiao (catalog defaults: K = 4, c₀ = 2, c₁ = 4) on T cells with score error ε, each draw
/// compared with the data noised to its own drawn end level.
let analyse (reduction: GaussianReduction) (epsilon: float) (t: int) (replicates: int) (seed: uint64) =
    let entry = Catalog.sampler "li-jiao"

    let sampler: Component =
        { Name = "li-jiao"
          Parameters = Map.empty }

    let shift = epsilon / sqrt (float reduction.Dimension)

    let problem (block: GaussianReduction) =
        let built = entry.Build sampler block t

        ExactProblem(
            built.Kernel,
            ShiftedScore(block.NoisedScore(), shift),
            block.CentredNoisedScore(),
            built.Reference block,
            built.Steps,
            DrawReference =
                (built.DrawReference
                 |> Option.map (fun f -> Func<double[], DiagonalLaw>(f block))
                 |> Option.toObj)
        )

    ExactAnalysis.Analyse(reduction, Func<_, _> problem, ExactOptions(Replicates = replicates, Seed = seed))

/// Least-squares slope of ys on xs with a bound on its standard error valid whatever the correlation between the ys
/// (every point shares the draws): SE(Σ wⱼ yⱼ) ≤ Σ |wⱼ| SE(yⱼ).
let slopeWithBound (xs: float[]) (ys: float[]) (ses: float[]) =
    let xb = Array.average xs
    let sxx = xs |> Array.sumBy (fun x -> (x - xb) ** 2.0)
    let w = xs |> Array.map (fun x -> (x - xb) / sxx)
    Array.map2 (*) w ys |> Array.sum, Array.map2 (fun wi s -> abs wi * s) w ses |> Array.sum
