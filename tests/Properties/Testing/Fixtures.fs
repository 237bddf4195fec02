/// ULA with one planted defect each, so the kit's properties are shown to fail, and to say why, on the defect they
/// exist to catch.
module RateLab.Properties.Testing.Fixtures

open System
open System.Numerics.Tensors
open RateLab.Core.Contracts
open RateLab.Core.Samplers

/// What is wrong with a planted kernel.
type Defect =
    /// The Brownian increment is scaled by this factor instead of 1 (a wrong noise scale).
    | NoiseScale of float
    /// Each step allocates a fresh array.
    | AllocatesPerStep
    /// Every chain reads chain 0's noise (randomness not addressed by the global chain index).
    | SharedNoise
    /// The noise is addressed by a counter the kernel keeps, not by (chain, step): results depend on the schedule.
    | HiddenCounter

/// x' = x + h s(x) + √2 ΔW, with one defect.
type PlantedUla(d: int, h: float, start: StartLaw, defect: Defect) =
    let mutable counter = 0L

    interface ISamplerKernel with
        member _.Name = $"ULA({defect})"
        member _.Dimension = d
        member _.Blocks = 1
        member _.AuxLength = 0
        member _.ScratchLength = 2 * d
        member _.InitNormalRoles = 1
        member _.NormalRoles = 1
        member _.Init(ctx, state) = start.Draw(&ctx, 0, state.Slice(0, d))

        member _.Step(ctx, state) =
            let x = state.Slice(0, d)
            let score = ctx.Scratch.Slice(0, d)

            let dW =
                if defect = AllocatesPerStep then
                    Span(Array.zeroCreate<float> d)
                else
                    ctx.Scratch.Slice(d, d)

            ctx.Score(Span.op_Implicit x, 0.0, score)

            match defect with
            | SharedNoise -> ctx.Noise.Normals(0L, ctx.Step, 0, dW)
            | HiddenCounter ->
                counter <- counter + 1L
                ctx.Noise.Normals(ctx.Chain, counter, 0, dW)
            | _ -> ctx.Normals(0, dW)

            let scale =
                match defect with
                | NoiseScale s -> s
                | _ -> 1.0

            TensorPrimitives.Multiply(Span.op_Implicit dW, scale * sqrt (2.0 * h), dW)
            TensorPrimitives.MultiplyAdd(Span.op_Implicit score, h, Span.op_Implicit dW, score)
            TensorPrimitives.Add(Span.op_Implicit x, Span.op_Implicit score, x)
