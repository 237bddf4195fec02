/// Small kernels and targets written for the tests (the exact engine's, and the batched scores' chain-by-chain runs):
/// they exercise nested Brownian noise, continuous and Bernoulli per-step draws, and full-covariance targets, without
/// depending on other areas' samplers.
module RateLab.Properties.TestKernels

open System
open MathNet.Numerics.LinearAlgebra
open RateLab.Core.Contracts
open RateLab.Core.Exact
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Targets

/// Overdamped randomized midpoint (docs/algorithms.md) with nested noise from one Brownian path:
/// y = x + U h s(x) + √2 W_{Uh}, x' = x + h s(y) + √2 W_h, both increments from BrownianIncrements cut at U.
type NestedRlmc(d: int, h: float, start: StartLaw) =
    interface IStepDraws with
        member _.UniformsPerStep = 1
        member _.Draw _ = StepDraw(DrawKind.ContinuousUniform)

    interface ISamplerKernel with
        member _.Name = "RLMC (test)"
        member _.Dimension = d
        member _.Blocks = 1
        member _.AuxLength = 0
        member _.ScratchLength = 4 * d + 1
        member _.InitNormalRoles = 1
        member _.NormalRoles = 2
        member _.Init(ctx, state) = start.Draw(&ctx, 0, state.Slice(0, d))

        member _.Step(ctx, state) =
            let x = state.Slice(0, d)
            let scratch = ctx.Scratch
            let score = scratch.Slice(0, d)
            let dW = scratch.Slice(d, 2 * d)
            let y = scratch.Slice(3 * d, d)
            let cut = scratch.Slice(4 * d, 1)
            let u = ctx.Uniform 0
            cut.[0] <- u
            ctx.BrownianIncrements(h, Span.op_Implicit cut, dW)
            ctx.Score(Span.op_Implicit x, 0.0, score)
            let sqrt2 = sqrt 2.0

            for i in 0 .. d - 1 do
                y.[i] <- x.[i] + u * h * score.[i] + sqrt2 * dW.[i]

            ctx.Score(Span.op_Implicit y, 0.0, score)

            for i in 0 .. d - 1 do
                x.[i] <- x.[i] + h * score.[i] + sqrt2 * (dW.[i] + dW.[d + i])

/// ULA whose step size is a function of one uniform per step, drawn as <paramref name="draw"/> declares.
type RandomStepUla(name: string, d: int, draw: StepDraw, stepOf: float -> float, start: StartLaw) =
    interface IStepDraws with
        member _.UniformsPerStep = 1
        member _.Draw _ = draw

    interface ISamplerKernel with
        member _.Name = name
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
            let xi = ctx.Scratch.Slice(d, d)
            let h = stepOf (ctx.Uniform 0)
            ctx.Score(Span.op_Implicit x, 0.0, score)
            ctx.Normals(0, xi)
            let noise = sqrt (2.0 * h)

            for i in 0 .. d - 1 do
                x.[i] <- x.[i] + h * score.[i] + noise * xi.[i]

/// ULA whose step size is h₁ with probability p and h₂ otherwise: its total moments need the enumeration of the switch.
let SwitchedUla (d: int, h1: float, h2: float, p: float, start: StartLaw) =
    RandomStepUla("switched ULA (test)", d, StepDraw(DrawKind.Bernoulli, p), (fun u -> if u < p then h1 else h2), start)

/// ULA with the random step h·e^{U−½}: its moments depend analytically but not polynomially on U, so it shows the
/// Gauss–Legendre error (none of the samplers' dependence is polynomial in general).
let ExpStepUla (d: int, h: float, start: StartLaw) =
    RandomStepUla("exp-step ULA (test)", d, StepDraw(DrawKind.ContinuousUniform), (fun u -> h * exp (u - 0.5)), start)

/// A kernel that says it is not affine on Gaussians (like a Metropolis-adjusted one).
type NonAffine(d: int) =
    interface ISamplerKernel with
        member _.Name = "MALA-like (test)"
        member _.Dimension = d
        member _.Blocks = 1
        member _.AuxLength = 0
        member _.ScratchLength = 0
        member _.InitNormalRoles = 0
        member _.NormalRoles = 0
        member _.IsAffineOnGaussians = false
        member _.Init(_, _) = ()
        member _.Step(_, _) = ()

/// A kernel that draws a role it does not declare.
type UndeclaredRole(d: int) =
    interface ISamplerKernel with
        member _.Name = "undeclared-role (test)"
        member _.Dimension = d
        member _.Blocks = 1
        member _.AuxLength = 0
        member _.ScratchLength = d
        member _.InitNormalRoles = 0
        member _.NormalRoles = 1
        member _.Init(_, _) = ()

        member _.Step(ctx, state) =
            let xi = ctx.Scratch.Slice(0, d)
            ctx.Normals(1, xi)

            for i in 0 .. d - 1 do
                state.[i] <- state.[i] + xi.[i]

/// N(μ, Σ) with Σ = Q diag(λ) Qᵀ for an orthogonal Q (row-major, eigenvectors as columns).
type FullGaussian(mean: Vector<float>, eigenvalues: float[], q: Matrix<float>) =
    let precision =
        q
        * Matrix<float>.Build.DiagonalOfDiagonalArray(eigenvalues |> Array.map (fun l -> 1.0 / l))
        * q.Transpose()

    let qRowMajor = q.ToRowMajorArray()
    let meanArray = mean.ToArray()

    member _.Covariance =
        q * Matrix<float>.Build.DiagonalOfDiagonalArray eigenvalues * q.Transpose()

    member _.Precision = precision

    interface IGaussianTarget with
        member _.Name = "full-gaussian (test)"
        member _.Dimension = eigenvalues.Length
        member _.MeanVector = ReadOnlySpan meanArray
        member _.Eigenvalues = ReadOnlySpan eigenvalues
        member _.Eigenvectors = qRowMajor

        member _.LogDensity(x: ReadOnlySpan<float>) =
            let z = Vector<float>.Build.DenseOfArray(x.ToArray()) - mean
            -0.5 * (z * (precision * z))

        member _.Score(x: ReadOnlySpan<float>, score: Span<float>) =
            let s = precision * (mean - Vector<float>.Build.DenseOfArray(x.ToArray()))

            for i in 0 .. s.Count - 1 do
                score.[i] <- s.[i]

/// A seeded Haar-like orthogonal matrix: the Q factor of a QR decomposition of a matrix of counter-based normals.
let orthogonal (seed: uint64) (d: int) =
    let z = Array.zeroCreate (d * d)
    CounterRng.Normals(seed, 0L, 0L, 0, Span z)
    Matrix<float>.Build.DenseOfRowMajor(d, d, z).QR().Q

/// Kinetic Langevin by a semi-explicit Euler step (two blocks): x' = x + h v, v' = v + h s(x) − hγ v + √(2γh) ξ,
/// started from x ~ start, v ~ N(0, 1). Exercises the 2 × 2 per-coordinate covariance.
type KineticEuler(d: int, h: float, gamma: float, start: StartLaw) =
    interface ISamplerKernel with
        member _.Name = "kinetic Euler (test)"
        member _.Dimension = d
        member _.Blocks = 2
        member _.AuxLength = 0
        member _.ScratchLength = 2 * d
        member _.InitNormalRoles = 2
        member _.NormalRoles = 1

        member _.Init(ctx, state) =
            start.Draw(&ctx, 0, state.Slice(0, d))
            ctx.Normals(1, state.Slice(d, d))

        member _.Step(ctx, state) =
            let x = state.Slice(0, d)
            let v = state.Slice(d, d)
            let score = ctx.Scratch.Slice(0, d)
            let xi = ctx.Scratch.Slice(d, d)
            ctx.Score(Span.op_Implicit x, 0.0, score)
            ctx.Normals(0, xi)
            let noise = sqrt (2.0 * gamma * h)

            for i in 0 .. d - 1 do
                let vi = v.[i]
                x.[i] <- x.[i] + h * vi
                v.[i] <- vi + h * score.[i] - h * gamma * vi + noise * xi.[i]

/// Forwards a kernel but hides its IStepDraws declaration, to exercise the Monte Carlo moment path.
type Undeclared(inner: ISamplerKernel) =
    interface ISamplerKernel with
        member _.Name = inner.Name
        member _.Dimension = inner.Dimension
        member _.Blocks = inner.Blocks
        member _.AuxLength = inner.AuxLength
        member _.ScratchLength = inner.ScratchLength
        member _.InitNormalRoles = inner.InitNormalRoles
        member _.NormalRoles = inner.NormalRoles
        member _.Init(ctx, state) = inner.Init(&ctx, state)
        member _.Step(ctx, state) = inner.Step(&ctx, state)

/// Forwards a kernel and claims it is time-homogeneous, whether or not it is.
type ClaimsHomogeneous(inner: ISamplerKernel) =
    inherit Undeclared(inner)
    interface ITimeHomogeneous

/// Forwards a kernel's draws with the given moment degree in place of its own (null: none declared, so the rule falls
/// back to the requested Gauss–Legendre nodes).
type WithMomentDegree(inner: ISamplerKernel, degree: Nullable<int>) =
    inherit Undeclared(inner)

    interface IStepDraws with
        member _.UniformsPerStep = (inner :?> IStepDraws).UniformsPerStep
        member _.Draw index = (inner :?> IStepDraws).Draw index
        member _.MomentDegree = degree

/// Langevin steps on the noised score s(x, τ) with τ kept in the aux state: Init sets τ = τ₀, each step uses τ and
/// then shrinks it by the factor ρ. Exercises aux carrying and time-dependent (diffusion) score fields.
type AnnealedLangevin(d: int, h: float, tau0: float, rho: float, start: StartLaw) =
    interface ISamplerKernel with
        member _.Name = "annealed Langevin (test)"
        member _.Dimension = d
        member _.Blocks = 1
        member _.AuxLength = 1
        member _.ScratchLength = 2 * d
        member _.InitNormalRoles = 1
        member _.NormalRoles = 1

        member _.Init(ctx, state) =
            start.Draw(&ctx, 0, state.Slice(0, d))
            state.[d] <- tau0

        member _.Step(ctx, state) =
            let x = state.Slice(0, d)
            let tau = state.[d]
            let score = ctx.Scratch.Slice(0, d)
            let xi = ctx.Scratch.Slice(d, d)
            ctx.Score(Span.op_Implicit x, tau, score)
            ctx.Normals(0, xi)
            let noise = sqrt (2.0 * h)

            for i in 0 .. d - 1 do
                x.[i] <- x.[i] + h * score.[i] + noise * xi.[i]

            state.[d] <- rho * tau
