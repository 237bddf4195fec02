// A user's own kernel, checked with the RateLab packages from outside the repository:
//   dotnet pack (see docs/library.md), then: dotnet fsi examples/library/MidpointUla.fsx
// It implements a deterministic-midpoint variant of ULA, computes its exact error on a Gaussian target, fits the order,
// judges a claim about that order with RateLab's verdict engine, and runs the property kit on it.
#r "nuget: RateLab.Testing, 0.1.0"

open System
open System.Numerics.Tensors
open Expecto
open RateLab.Core.Contracts
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Fits
open RateLab.Analysis.Claims
open RateLab.Testing

/// ULA with a deterministic midpoint: y = x + (h/2) s(x) + √2 W_{h/2}, x' = x + h s(y) + √2 W_h, the two Brownian
/// pieces drawn by the noise source (so the exact engine and Monte Carlo see the same path). Two score calls per step.
type MidpointUla(d: int, h: float, start: StartLaw) =
    static let half = [| 0.5 |]

    do
        if not (h > 0.0 && Double.IsFinite h) then
            raise (ArgumentOutOfRangeException("h", $"h = {h} is out of range; allowed: (0, ∞)."))

    interface ISamplerKernel with
        member _.Name = "midpoint ULA"
        member _.Dimension = d
        member _.Blocks = 1
        member _.AuxLength = 0
        member _.ScratchLength = 4 * d
        member _.InitNormalRoles = 1
        // A path split at one cut draws one normal role per piece.
        member _.NormalRoles = 2
        member _.Init(ctx, state) = start.Draw(&ctx, 0, state.Slice(0, d))

        member _.Step(ctx, state) =
            let x = state.Slice(0, d)
            let s = ctx.Scratch.Slice(0, d)
            let y = ctx.Scratch.Slice(d, d)
            let dW = ctx.Scratch.Slice(2 * d, 2 * d)
            ctx.BrownianIncrements(h, ReadOnlySpan half, dW)
            let first = dW.Slice(0, d)
            let second = dW.Slice(d, d)
            ctx.Score(Span.op_Implicit x, 0.0, s)
            // y = x + (h/2)·s(x) + √2·ΔW₁
            TensorPrimitives.MultiplyAdd(Span.op_Implicit s, 0.5 * h, Span.op_Implicit x, y)
            TensorPrimitives.MultiplyAdd(Span.op_Implicit first, sqrt 2.0, Span.op_Implicit y, y)
            ctx.Score(Span.op_Implicit y, 0.0, s)
            // x ← x + h·s(y) + √2·(ΔW₁ + ΔW₂)
            TensorPrimitives.Add(Span.op_Implicit first, Span.op_Implicit second, first)
            TensorPrimitives.MultiplyAdd(Span.op_Implicit s, h, Span.op_Implicit x, x)
            TensorPrimitives.MultiplyAdd(Span.op_Implicit first, sqrt 2.0, Span.op_Implicit x, x)

// A diagonal Gaussian target, started at the target itself so that at a fixed horizon the error is the scheme's own.
let mean, variance = [| 0.5; -1.0; 0.0 |], [| 1.0; 0.6; 0.3 |]

let target =
    { Mean = mean
      Variance = variance
      Start = StartLaw(mean, Array.map sqrt variance) }

let horizon = 4.0

let build (r: GaussianReduction) (n: int) =
    Built.Langevin(r, MidpointUla(r.Dimension, horizon / float n, r.Start), int64 n)

// 1. The exact engine: KL of the output law after n steps (h = horizon/n) to the target.
let ns = [| 32; 64; 128; 256; 512 |]

let kl =
    ns
    |> Array.map (fun n ->
        let r = target.Reduction
        ExactAnalysis.Analyse(Runs.problem Langevin r (build r n)).MomentMatched.Kl)

for n, e in Array.zip ns kl do
    printfn "n = %4d: exact KL = %s" n (e.ToString "0.0000e+00")

// 2. The order: local slopes, and the asymptotic order as the last slope ± 2× its last change (exact values).
let exact v =
    { Value = v
      Lower = v
      Upper = v
      StdError = nan
      Level = 0.95 }

let slopes = LocalSlopes.compute (Array.map2 (fun n e -> float n, exact e) ns kl)

let last, previous =
    -slopes.[slopes.Length - 1].Slope, -slopes.[slopes.Length - 2].Slope

let halfWidth = 2.0 * abs (last - previous)

let measured =
    { Value = last
      Lower = last - halfWidth
      Upper = last + halfWidth
      StdError = nan
      Level = 0.95 }

printfn "local orders: %s" (slopes |> Array.map (fun s -> $"{-s.Slope:F3}") |> String.concat ", ")

// 3. A claim, judged by the verdict engine: "KL decays like n^(-6)" (the variance bias is O(h³) and the mean is
//    exact from the target, so KL ≈ bias²/4 ∝ h⁶); the exact error is two-sided evidence.
let claimed = 6.0

let judgement =
    Verdicts.judge
        "midpoint ULA, KL order in n"
        Verdicts.BothSides
        Verdicts.LargerIsFaster
        claimed
        (Verdicts.defaultMargin claimed)
        measured

printfn $"claim KL ∝ n^-{claimed}: {VerdictNames.toName judgement.Verdict}\n  {judgement.Reason}"

// 4. The property kit: exact law vs Monte Carlo, reproducibility, counted cost, order, allocation, invalid h.
let spec =
    { KernelSpec.Create("midpoint ULA", Langevin, target, build, [ 8; 16 ]) with
        Cost = Some(PerStep 2)
        Order =
            Some
                { Order = claimed
                  Error = MatchedKl
                  StepCounts = List.ofArray ns
                  Replicates = 2 }
        Invalid =
            [ for v in [ "0"; "-1" ] ->
                  { Parameter = "h"
                    Value = v
                    Construct = fun () -> MidpointUla(1, float v, StartLaw.Isotropic(1, 1.0)) |> ignore } ] }

let failed =
    Tests.runTestsWithCLIArgs [ CLIArguments.No_Spinner; CLIArguments.Colours 0 ] [||] (Kit.tests spec)

exit (
    if failed = 0 && judgement.Verdict = ConsistentTight then
        0
    else
        1
)
