/// The B11 comparison ([KN24]): Poisson midpoint on the 1000-step latent-diffusion DDPM chain (PLMC-DDPM) against
/// respaced DDPM, DDIM (η = 0), DPM-Solver-1 and DPM-Solver-2 at equal counted NFE. On Gaussian data every competitor
/// is deterministic given its noise and affine, so its output law is exact; PLMC's law is a mixture over its Bernoulli
/// patterns, bounded above by E_draws (Monte Carlo over draw replicates) and below, exactly, by its moment-matched law.
/// On mixture data every arm is measured by MMD² at the components' scale against exact draws, with standard errors.
module RateLab.Analysis.Studies.B11Study

open System
open RateLab.Analysis.Model
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Metrics
open RateLab.Analysis.Metrics.SampleEstimate
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Stats

/// The fine chain of every arm: the latent-diffusion VQ-f4 schedule (1000 steps, √β linear from 0.0015 to 0.0195).
let schedule () = DdpmSchedule.LatentDiffusionVqF4()

/// A sampler compared with PLMC: how many of its steps spend a given NFE, and its kernel on the schedule respaced to
/// that many steps (the levels round(1000(n − j)/n), ending at τ = 0, as `ddpm-respaced` uses).
type Competitor =
    { Name: string
      StepsFor: int -> int
      Make: int -> NoiseGrid -> ISamplerKernel }

/// Respaced DDPM, DDIM and DPM-Solver-1 spend 1 NFE a step; DPM-Solver-2 spends 2, and 1 on its last step to τ = 0,
/// so n steps cost 2n − 1 and the n nearest the target NFE is taken (ties to the larger, which favours DPM-Solver-2).
let competitors =
    [ { Name = "respaced DDPM"
        StepsFor = id
        Make = fun d grid -> DdpmAncestral(d, grid, DdpmVariance.Posterior) :> ISamplerKernel }
      { Name = "DDIM (η = 0)"
        StepsFor = id
        Make = fun d grid -> Ddim(d, grid, 0.0) }
      { Name = "DPM-Solver-1"
        StepsFor = id
        Make = fun d grid -> DpmSolver1(d, grid) }
      { Name = "DPM-Solver-2"
        StepsFor = (fun nfe -> (nfe + 2) / 2)
        Make = fun d grid -> DpmSolver2(d, grid) } ]

/// PLMC-DDPM with `outer` outer steps of K = 1000/outer fine steps (posterior variance, as the respaced DDPM).
let plmc (d: int) (outer: int) =
    PoissonMidpointDdpm(d, schedule (), (schedule ()).Steps / outer, DdpmVariance.Posterior)

/// A distance of one arm to the data law: exact (Lower = Upper, SE NaN) or a bracket whose upper end has a Monte Carlo
/// standard error.
type Bracket = { Lower: Estimate; Upper: Estimate }

/// One arm on Gaussian data: its counted NFE (mean over the chains the engine ran) and its KL and W2 to the data law.
type GaussianArm =
    { Name: string
      Nfe: float
      Kl: Bracket
      W2: Bracket }

let private exact v =
    { Value = v
      Lower = v
      Upper = v
      StdError = nan
      Level = 0.95 }

let private both v = { Lower = exact v; Upper = exact v }

let private analyse (reduction: GaussianReduction) (make: int -> ISamplerKernel) (steps: int64) replicates =
    let problem (block: GaussianReduction) =
        ExactProblem(make block.Dimension, block.NoisedScore(), block.CentredNoisedScore(), block.Target, steps)

    ExactAnalysis.Analyse(reduction, Func<_, _> problem, ExactOptions(Replicates = replicates, Seed = Seeds.Report))

/// A deterministic-given-noise competitor's exact law after its steps: its exact KL and W2 to the data.
let competitorArm (reduction: GaussianReduction) (c: Competitor) (nfe: int) : GaussianArm =
    let n = c.StepsFor nfe
    let grid = (schedule ()).Uniform n
    let r = analyse reduction (fun d -> c.Make d grid) (int64 grid.Steps) 2
    let law = r.Law.Position(ReadOnlySpan reduction.Multiplicity)
    let distances = LawDistances.Between(law, reduction.Target)

    { Name = $"{c.Name} ({n} steps)"
      Nfe = r.Evaluations
      Kl = both distances.Kl
      W2 = both distances.W2 }

/// PLMC's moment-matched law, exact: every image moment of an outer step is at most quadratic jointly in its K − 1
/// Bernoulli switches (the corrected chain is affine in the switch vector, since the midpoints are evaluated on the
/// interpolation, which does not depend on them), so the pairwise rule of 1 + (K − 1) + (K − 1)(K − 2)/2 patterns is
/// exact where enumeration would need 2^(K−1) (tested against enumeration at K = 8).
let plmcMomentMatched (reduction: GaussianReduction) (outer: int) : DiagonalLaw =
    let kernel = plmc reduction.Dimension outer

    let propagator =
        AffinePropagator(kernel, reduction.NoisedScore(), reduction.CentredNoisedScore(), ProbeNoise())

    let law = GaussianState(kernel.Blocks, kernel.Dimension)
    ExactAnalysis.PropagateMoments(propagator, DrawQuadrature.PairwiseBernoulli kernel, int64 kernel.Steps, law)
    law.Position(ReadOnlySpan reduction.Multiplicity)

/// PLMC with `outer` outer steps: KL and W2 between the exact moment-matched lower bounds and the E_draws upper bounds
/// over `replicates` draws (mean ± SE), and its NFE counted on those draws' chains.
let plmcArm (reduction: GaussianReduction) (outer: int) (replicates: int) : GaussianArm =
    let kernel = plmc reduction.Dimension outer

    let r =
        analyse reduction (fun d -> plmc d outer :> ISamplerKernel) (int64 kernel.Steps) replicates

    let upper = r.Upper

    let matched =
        LawDistances.Between(plmcMomentMatched reduction outer, reduction.Target)

    let mc (value: float) (se: float) =
        { Value = value
          Lower = value - Normal.z975 * se
          Upper = value + Normal.z975 * se
          StdError = se
          Level = 0.95 }

    { Name = $"PLMC-DDPM ({outer} outer steps, K = {kernel.K})"
      Nfe = r.Evaluations
      Kl =
        { Lower = exact matched.Kl
          Upper = mc upper.Kl.Value upper.Kl.StandardError }
      W2 =
        { Lower = exact matched.W2
          Upper = mc upper.W2 upper.W2StandardError } }

/// KL(p̂ ‖ N(μ, λ)) of the one-dimensional mixture p̂ = (1/M) Σᵢ N(mᵢ, vᵢ), by the trapezoid rule on 8001 points over
/// ±12 standard deviations of the widest component (spectrally accurate for these smooth, Gaussian-tailed integrands),
/// with log p̂ by log-sum-exp so the tails do not underflow.
let mixtureKl1D (means: float[]) (variances: float[]) (mu: float) (lambda: float) =
    let sd = sqrt (Array.max (Array.append variances [| lambda |]))
    let lo = min (Array.min means) mu - 12.0 * sd
    let hi = max (Array.max means) mu + 12.0 * sd
    let points = 8001
    let dx = (hi - lo) / float (points - 1)
    let logM = log (float means.Length)

    let logNormal x m v =
        -0.5 * (log (2.0 * Math.PI * v) + (x - m) * (x - m) / v)

    let integrand i =
        let x = lo + dx * float i
        let terms = Array.map2 (logNormal x) means variances
        let top = Array.max terms
        let logP = top + log (terms |> Array.sumBy (fun t -> exp (t - top))) - logM
        exp logP * (logP - logNormal x mu lambda)

    let inner = Seq.sum (seq { for i in 1 .. points - 2 -> integrand i })
    dx * (inner + 0.5 * (integrand 0 + integrand (points - 1)))

/// PLMC's output mixture p = E_ω N(m_ω, v_ω) on one-dimensional data, bounded above without the per-draw scatter
/// that inflates E_ω KL: G groups of M draws each give p̂_g = (1/M) Σ N(m_ω, v_ω), and since E p̂_g = p and KL is
/// convex, E KL(p̂_g ‖ q) ≥ KL(p ‖ q). Returns the mean over groups with its standard error (the draws are those of
/// plmcArm's replicates 0 … GM − 1).
let plmcMixtureKl (reduction: GaussianReduction) (outer: int) (groups: int) (perGroup: int) : Estimate =
    if reduction.Dimension <> 1 then
        invalidArg
            "reduction"
            $"d = {reduction.Dimension} is out of range; allowed: 1 (the mixture bound is one-dimensional)"

    let kernel = plmc 1 outer

    let propagator =
        AffinePropagator(kernel, reduction.NoisedScore(), reduction.CentredNoisedScore(), ProbeNoise())

    let source = RateLab.Core.Randomness.PhiloxNoise(Seeds.Report)
    let law = GaussianState(kernel.Blocks, 1)

    let draws =
        Array.init (groups * perGroup) (fun r ->
            ExactAnalysis.PropagateDraw(propagator, source, int64 r, int64 kernel.Steps, law)
            law.Mean[0], law.Covariance[0])

    let target = reduction.Target

    let kls =
        Array.init groups (fun g ->
            let group = draws[g * perGroup .. (g + 1) * perGroup - 1]
            mixtureKl1D (Array.map fst group) (Array.map snd group) target.Mean[0] target.Variance[0])

    let mean, se = Sample.meanSe kls

    { Value = mean
      Lower = mean - Normal.z975 * se
      Upper = mean + Normal.z975 * se
      StdError = se
      Level = 0.95 }

/// The exact law of DDPM on all 1000 levels, the quality PLMC is said to match.
let ddpm1000 (reduction: GaussianReduction) =
    competitorArm reduction competitors.Head 1000

/// One arm on mixture data: its counted NFE and MMD² to the data law with a Gaussian kernel of width ℓ.
type MixtureArm =
    { Name: string
      Nfe: float
      Mmd: SampleEstimate }

/// `chains` runs of a kernel against `reference` (exact data draws), with the counted mean NFE. ℓ is the caller's: a
/// width near the modes' own scale resolves errors in their shape, which the median heuristic (of the order of the
/// distance between well-separated modes) blurs away while keeping the noise of the modes' weights.
let mixtureArm
    (target: Catalog.SampledTarget)
    (name: string)
    (kernel: ISamplerKernel)
    (steps: int)
    chains
    seed
    (ell: float)
    (reference: float[][])
    : MixtureArm =
    let field = target.NoisedScore |> Option.get
    let x, nfe, _ = MonteCarlo.endPositions kernel (int64 steps) field chains seed

    { Name = name
      Nfe = nfe
      Mmd = Mmd.mmdSquared ell x reference }
