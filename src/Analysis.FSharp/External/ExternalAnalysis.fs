/// The exact analysis of a Python sampler: the bridge returns the affine map Y_N = a·Y₀ + c + Σₖ bₖ zₖ of each draw
/// replicate on the distinct coordinates of a catalog target, and the law N(a m₀ + c, a² v₀ + Σₖ bₖ²) is compared with
/// the reference by the exact engine's distances. A sampler without scalar draws gets its exact law; one with draws
/// gets the E_draws upper bounds over R replicates and the moment-matched lower bounds with jackknife errors, as the
/// built-in randomized kernels do when no quadrature applies.
module RateLab.Analysis.External.ExternalAnalysis

open System
open System.IO
open RateLab.Core.Diffusion
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Experiments.Parameters
open RateLab.Analysis.Studies
open RateLab.Analysis.External.Protocol
open RateLab.Analysis.Stats

/// A Python sampler as the command line names it.
type ExternalSampler =
    { Script: string
      Function: string
      Kind: SamplerKind
      Backend: Backend }

/// One analysis: the sampler on a catalog target in dimension d, on a catalog grid after n steps.
type Problem =
    {
        Target: Component
        /// The grid and start parameters (grid, tau_max, tau_min, rho, final_zero, levels, start) with the catalog's
        /// defaults, ranges and rules.
        Grid: Component
        Dimension: int
        Steps: int
        Seed: uint64
        /// Draw replicates for a sampler that takes uniform() draws (ignored otherwise).
        Replicates: int
    }

/// The catalog entry whose parameters are exactly the grid choice and the start law (pf-euler declares nothing else),
/// so the bridge reads, checks and builds them with the catalog's own code.
let private gridEntry = Catalog.sampler "pf-euler"

/// The grid component as the catalog sampler that stands in for it.
let gridComponent (grid: Component) = { grid with Name = gridEntry.Name }

/// Checks the grid component (names, ranges, the grid rules); `origin` names a parameter in messages.
let checkGrid (origin: Origin) (grid: Component) =
    Catalog.checkSampler origin gridEntry grid

/// The noise grid of a problem, built as for the catalog samplers, so both visit the same levels to the last bit.
let noiseGrid (grid: Component) (steps: int) = GridChoice.build grid steps

/// The sampler's name in tables: script file, function and grid.
let samplerName (s: ExternalSampler) (grid: NoiseGrid) =
    $"{Path.GetFileName s.Script}:{s.Function}({kindName s.Kind},{grid.Name})"

/// The start law at the top level is the one `start` names, as for the catalog's grid samplers.
let private reduction (problem: Problem) =
    let built = Catalog.gaussianAt "--target" problem.Target problem.Dimension
    let start = Catalog.startLaw gridEntry problem.Grid built
    GaussianReduction.Diagonal(ReadOnlySpan built.Mean, ReadOnlySpan built.Variance, start)

/// The law the end state is compared with: the data noised to the end level δ, or the data itself when δ = 0.
let private endReference (r: GaussianReduction) (grid: NoiseGrid) =
    if grid.End.Tau = 0.0 then
        r.Target
    else
        r.NoisedData grid.End.Tau

/// The position law of one replicate's affine map from the start law of the reduction.
let private lawOf (r: GaussianReduction) (map: AffineMap) =
    let m0, s0 = r.StartMean, r.StartSd
    let mean = Array.init r.Dimension (fun i -> map.A[i] * m0[i] + map.C[i])

    let variance =
        Array.init r.Dimension (fun i -> map.A[i] * map.A[i] * s0[i] * s0[i] + map.NoiseVariance[i])

    DiagonalLaw(mean, variance, r.Multiplicity)

let private stateOf (law: DiagonalLaw) =
    let s = GaussianState(1, law.Count)
    law.Mean.CopyTo(s.Mean.AsSpan())
    law.Variance.CopyTo(s.Covariance.AsSpan())
    s

/// Mean and standard error of the mean.
let private meanOf (xs: float[]) =
    let m, se = Sample.meanSe xs
    McEstimate(m, (if xs.Length > 1 then se else 0.0))

/// The moment-matched law of equally weighted replicates: total mean and variance, centred so that large means do not
/// cancel.
/// What one analysis found, with the bridge's own figures: Python seconds and probe rows per replicate.
type Outcome =
    {
        Result: ExactResult
        /// The engine's figures for the command line (same record as `ratelab exact`).
        Figures: RateLab.Analysis.Cli.Services.ExactResult
        PythonSeconds: float
        Rows: int
    }

/// Analyses the sampler on the problem through a running bridge.
let analyse (bridge: Session.Bridge) (sampler: ExternalSampler) (problem: Problem) : Outcome =
    let r = reduction problem
    let grid = noiseGrid problem.Grid problem.Steps
    let levels = grid.Levels.ToArray()

    let probe replicate =
        { Mean = r.Mean
          Variance = r.Variance
          Tau = levels |> Array.map (fun l -> l.Tau)
          AlphaBar = levels |> Array.map (fun l -> l.AlphaBar)
          Seed = problem.Seed
          Replicate = replicate }
        |> Protocol.probe
        |> bridge.Ask
        |> affine

    let reference = endReference r grid
    let name = samplerName sampler grid
    let first = probe 0
    // A sampler without scalar draws is one Gaussian law; otherwise every replicate's draws give one.
    let maps =
        if first.Uniforms.Length = 0 then
            [| first |]
        else
            Array.append [| first |] (Array.init (problem.Replicates - 1) (fun k -> probe (k + 1)))

    let laws = maps |> Array.map (lawOf r)
    let nfe = maps |> Array.averageBy (fun m -> m.Nfe)
    let randomized = maps.Length > 1

    let result =
        if not randomized then
            let exact = LawDistances.Between(laws[0], reference)
            let exactly x = McEstimate(x, 0.0)

            let upper =
                MixtureBounds(exactly exact.Kl, exactly (exact.W2 * exact.W2), exactly exact.TvUpper, 1)

            ExactResult(name, int64 problem.Steps, false, upper, exact, true, stateOf laws[0], nfe, nfe)
        else
            let draws =
                laws |> Array.map (fun l -> LawDistances.From(DistanceSums.Of(l, reference)))

            let over (f: LawDistances -> float) = meanOf (Array.map f draws)

            let upper =
                MixtureBounds(over _.Kl, over (fun x -> x.W2 * x.W2), over _.TvUpper, draws.Length)

            let matched = DiagonalLaw.MomentMatched laws
            let lower = LawDistances.Between(matched, reference)
            let jackknife = MomentJackknife(laws.Length)
            laws |> Array.iter jackknife.Add

            ExactResult(
                name,
                int64 problem.Steps,
                true,
                upper,
                lower,
                false,
                stateOf matched,
                nfe,
                nfe,
                LowerError = MatchedJackknife.From(lower, jackknife.LeaveOneOut reference),
                // The mixture's TV from below (p_G matched on half the draws, averaged over the other half).
                Separation = MixtureSeparation.Of(laws, Array.create laws.Length reference, reference, null)
            )

    result.CheckBounds()

    { Result = result
      Figures =
        { Sampler = name
          Target = problem.Target.Name
          Dimension = problem.Dimension
          Steps = problem.Steps
          Nfe = nfe
          NfeChains = maps.Length
          Figures = ExactCurves.figures result
          Velocity = None }
      PythonSeconds = maps |> Array.sumBy (fun m -> m.Seconds)
      Rows = first.Rows }
