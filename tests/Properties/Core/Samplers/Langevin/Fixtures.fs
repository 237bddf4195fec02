/// Running kernels for the Langevin tests, noise sources with controlled paths, and exact stationary laws of linear
/// recursions (for the Monte Carlo checks to compare against).
module RateLab.Properties.Core.Samplers.Langevin.Fixtures

open MathNet.Numerics.LinearAlgebra
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Targets
open RateLab.Properties

/// Runs <paramref name="kernel"/> for <paramref name="steps"/> steps on <paramref name="chains"/> chains.
let runWith (noise: INoiseSource) (kernel: ISamplerKernel) (field: IScoreField) chains steps =
    let oracle = ScoreOracle(field, chains)
    let batch = ChainBatch(chains, kernel.StateLength, kernel.Dimension)
    SamplerRunner.Run(kernel, noise, oracle, batch, steps)
    batch, oracle

/// Runs with Philox noise keyed by <paramref name="seed"/>.
let run seed kernel field chains steps =
    runWith (PhiloxNoise(seed)) kernel field chains steps

/// Per chain, the mean of the squares of the coordinates of block <paramref name="block"/>, as one sample per chain.
/// Kernels that share a scalar draw (U, α, a Bernoulli pattern) across coordinates make the coordinates of one chain
/// dependent, so only chains are independent samples; for a zero-mean target this estimates E x² = Var x.
let chainMeanSquares (batch: ChainBatch) (kernel: ISamplerKernel) block =
    let d = kernel.Dimension

    Array.init batch.Chains (fun c ->
        let s = batch.State(c).Slice(block * d, d)
        let mutable acc = 0.0

        for i in 0 .. d - 1 do
            acc <- acc + s.[i] * s.[i]

        acc / float d)

/// Stationary covariance S = M S Mᵀ + Q of a linear recursion X' = M X + noise with noise covariance Q, via
/// vec S = (I − E[M ⊗ M])⁻¹ vec Q; <paramref name="mkron"/> is E[M ⊗ M] (row-major vec) so random M are allowed.
let stationaryCovariance (mkron: Matrix<float>) (q: Matrix<float>) =
    let n = q.RowCount
    let vecQ = Vector<float>.Build.Dense(n * n, fun k -> q.[k / n, k % n])
    let s = (Matrix<float>.Build.DenseIdentity(n * n) - mkron).Solve(vecQ)
    Matrix<float>.Build.Dense(n, n, fun i j -> s.[i * n + j])

/// M ⊗ M in the row-major vec convention of <see cref="stationaryCovariance"/>.
let kron (m: Matrix<float>) = m.KroneckerProduct(m)

/// Gauss–Legendre nodes and weights on [0, 1].
let gaussLegendre01 n =
    let rule = MathNet.Numerics.Integration.GaussLegendreRule(0.0, 1.0, n)
    Array.init n (fun k -> rule.GetAbscissa k, rule.GetWeight k)

/// A noise source whose Normals are those of chain 0 for every chain (one shared Z path) while uniforms stay per chain:
/// Monte Carlo over the scalar randomness (U, α, Bernoulli patterns) given the Gaussian noise.
type SharedNormals(inner: INoiseSource) =
    interface INoiseSource with
        member _.Normals(_chain, step, role, destination) =
            inner.Normals(0L, step, role, destination)

        member _.Uniform(chain, step, index) = inner.Uniform(chain, step, index)

        member this.BrownianIncrements(chain, step, h, cuts, increments) =
            StepwiseNoise.BridgeIncrements(this, chain, step, h, cuts, increments)

/// A noise source with a fixed deterministic "Brownian" path W(s) (any path: the identities tested hold pathwise),
/// zero normals, and a chosen uniform per chain.
type FixedPath(path: float -> int -> float, uniform: int64 -> float) =
    interface INoiseSource with
        member _.Normals(_, _, _, destination) = destination.Clear()
        member _.Uniform(chain, _, _) = uniform chain

        member _.BrownianIncrements(_, step, h, cuts, increments) =
            let d = increments.Length / (cuts.Length + 1)
            let t0 = float step * h
            let mutable prev = 0.0

            for j in 0 .. cuts.Length do
                let t = if j < cuts.Length then cuts.[j] else 1.0

                for i in 0 .. d - 1 do
                    increments.[j * d + i] <- path (t0 + t * h) i - path (t0 + prev * h) i

                prev <- t

/// Standard N(0, v I_d) Langevin target.
let isotropic d v = DiagonalGaussian.Isotropic(d, v)

/// The start law N(0, s² I_d).
let startIso d s = StartLaw.Isotropic(d, s)

/// Throws unless |estimate − expected| ≤ 5 SE (false-failure probability 5.7e-7 per call under the null).
let expectWithin5Se what (estimate: float, se: float) (expected: float) =
    if not (Stats.within Stats.z5 se estimate expected) then
        failwithf
            "%s: estimate %.6g ± %.3g (SE) differs from %.6g by %.1f SE"
            what
            estimate
            se
            expected
            (abs (estimate - expected) / se)
