/// Error curves from coupled runs: a probability-flow sampler and the exact flow (or a fine RK4 solve in log-SNR time)
/// driven by the same initial Gaussian and, for Li–Jiao, the same injections; the RMS pathwise error works for any
/// target in any dimension (theory-claims §5.2).
module RateLab.Analysis.Studies.CoupledCurves

open RateLab.Core.Oracles
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Targets
open RateLab.Analysis.Model.Records

/// Mean evaluations and rounds per chain of a kernel, counted by the oracle over a few chains.
let countedCost (kernel: ISamplerKernel) (steps: int64) (field: IScoreField) (chains: int) (seed: uint64) =
    let oracle = ScoreOracle(field, chains)
    let batch = ChainBatch(chains, kernel.StateLength, kernel.Dimension)
    SamplerRunner.Run(kernel, PhiloxNoise(seed), oracle, batch, steps)
    oracle.MeanEvaluations, (Seq.init chains (fun c -> float (oracle.Rounds(int64 c))) |> Seq.average)

/// The RMS strong error of `build n` against `flow` for each n, with a 95% interval from the per-chain spread.
let curve (sampler: string) (target: string) (d: int) (build: int -> ICoupledSampler) (field: IScoreField)
          (flow: IReferenceFlow) (steps: int list) (chains: int) (seed: uint64) : ErrorCurve =
    let points =
        [ for n in steps ->
            let kernel = build n
            let e = CoupledReference.Measure(kernel, field, flow, seed, chains)
            let nfe, depth = countedCost kernel (int64 kernel.Steps) field 4 seed
            let half = 1.959963984540054 * e.RmsStandardError
            { Steps = n; StepSize = nan; Nfe = nfe; Depth = depth
              Error = { Value = e.Rms; Lower = e.Rms - half; Upper = e.Rms + half; StdError = e.RmsStandardError; Level = 0.95 } } ]
    { Sampler = sampler; Parameters = []; Target = target; Dimension = d; Metric = StrongError; Seeds = [ seed ]
      Points = points
      Method =
        $"Coupled strong error: RMS over {chains} chains of ‖Y − Y*‖, where Y* follows the probability-flow ODE (RK4 in log-SNR time) "
        + "from the same initial Gaussian (and, for Li–Jiao, through the same injections between the same levels); 95% intervals from the per-chain spread." }
