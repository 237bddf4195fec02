/// The coupled strong error in `run`: RMS ‖Y − Y*‖ over chains, where Y* follows the exact probability-flow ODE
/// from the same start (and, for Li–Jiao, through the same injections). On a Gaussian target the flow is in closed
/// form; on a mixture it is RK4 in log-SNR time, whose own error is the floor: the RMS distance between the RK4
/// reference with `ReferenceSteps` and with twice as many, the latter being what the error is measured against.
module RateLab.Analysis.Studies.MonteCarloStrong

open System
open RateLab.Core.Contracts
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Samplers.Diffusion.References
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies.Catalog
open RateLab.Analysis.Stats

/// RK4 steps per transport of the coarser reference on targets without a closed-form flow.
let ReferenceSteps = 2000

/// One strong-error point: the RMS with its 95 % interval, the reference floor and the counted cost per chain.
type Point =
    { Error: Estimate
      Floor: MonteCarlo.NoiseFloor
      Nfe: float
      Depth: float }

let private refuse (problem: string) : 'a =
    raise (SpecException("spec.metric", problem))

/// The samplers whose noise the reference flow can follow, as refusals list them.
let private followable =
    "ddim (eta = 0), exp-euler, pf-euler, heun, gupta-predictor, li-jiao, li-jiao-endpoint, li-jiao-parallel, "
    + "started from start=standard or sigma-max"

/// The kernel as a sampler the exact flow can follow: Li–Jiao and the Gupta predictor name their levels; any other
/// grid kernel that draws no noise after its start is one probability-flow segment.
let private coupled (name: string) (kernel: ISamplerKernel) : ICoupledSampler =
    match kernel with
    | :? ICoupledSampler as k -> k
    | :? RateLab.Core.Samplers.Diffusion.ReverseGridKernel as g when g.NormalRoles = 0 -> PfOdeCoupling(g)
    | _ ->
        refuse (
            $"strong_error needs a sampler whose noise the reference flow can follow; {name} is not one; allowed: "
            + followable
        )

let private rms (y: float[]) (r: float[]) (d: int) =
    RateLab.Core.Samplers.Diffusion.References.StrongError(
        Array.init (y.Length / d) (fun c ->
            let mutable e = 0.0

            for i in c * d .. c * d + d - 1 do
                e <- e + (y[i] - r[i]) ** 2.0

            e)
    )

/// What a strong-error point needs before its chains run: the target's law, the score field the sampler calls and
/// the sampler as one the reference flow can follow; each refusal names the spec field at fault.
let prepare (spec: ExperimentSpec) (d: int) (n: int) =
    let entry = sampler spec.Sampler.Name

    if not entry.Diffusion then
        refuse
            $"strong_error is defined for diffusion samplers; {entry.Name} is a Langevin sampler; allowed: {followable}"

    let law = (target spec.Target.Name).Build spec.Target d
    let t = sampled law
    let field = MonteCarlo.fieldOf entry spec t
    let kernel, _, _ = MonteCarlo.kernelOf entry spec law t d n
    law, field, coupled entry.Name kernel

/// The strong error of `spec`'s sampler in dimension d after n steps (`chains` coupled pairs, PhiloxNoise(seed)).
let measure (spec: ExperimentSpec) (d: int) (n: int) : Point =
    let law, field, k = prepare spec d n
    let seed = List.head spec.Seeds
    let noise = PhiloxNoise(seed)
    let chains = spec.Chains
    let oracle = ScoreOracle(field, chains)
    let batch = ChainBatch(chains, k.StateLength, d)
    SamplerRunner.Run(k, noise, oracle, batch, int64 k.Steps)
    let y = Array.init (chains * d) (fun i -> batch.Position(i / d)[i % d])

    let reference, floor =
        match law with
        | Gaussian p -> CoupledReference.Outputs(k, GaussianReferenceFlow(p.Mean, p.Variance), noise, batch), None
        | NonGaussian _ ->
            let fine =
                CoupledReference.Outputs(k, Rk4ReferenceFlow(field, 2 * ReferenceSteps), noise, batch)

            let coarse =
                CoupledReference.Outputs(k, Rk4ReferenceFlow(field, ReferenceSteps), noise, batch)

            fine, Some(rms coarse fine d)

    let e = rms y reference d
    let half = Normal.z975 * e.RmsStandardError

    let rounds =
        Seq.init chains (fun c -> float (oracle.Rounds(int64 c))) |> Seq.average

    { Error =
        { Value = e.Rms
          Lower = e.Rms - half
          Upper = e.Rms + half
          StdError = e.RmsStandardError
          Level = 0.95 }
      Floor =
        match floor with
        | Some f ->
            { Value = f.Rms
              StdError = f.RmsStandardError }
        | None -> { Value = 0.0; StdError = 0.0 }
      Nfe = oracle.MeanEvaluations
      Depth = rounds }

/// How the figures of a strong-error curve were obtained, in one sentence.
let describe (spec: ExperimentSpec) (law: TargetLaw) =
    let flow =
        match law with
        | Gaussian _ -> "the exact probability-flow ODE in closed form (floor 0)"
        | NonGaussian _ ->
            $"RK4 in log-SNR time with {2 * ReferenceSteps} steps per transport (floor: its RMS distance to RK4 "
            + $"with {ReferenceSteps})"

    $"Coupled strong error: RMS over {spec.Chains} chains of ‖Y − Y*‖, Y* following {flow} from the same start and "
    + "through the same injections; 95% intervals from the per-chain spread (delta method); NFE counted by the oracle."
