/// Shared machinery of the cross-checks: real kernels from the catalog, their exact Gaussian analysis, Monte Carlo runs
/// of the same kernels, and slope fits on exact error curves.
module RateLab.Properties.CrossChecks

open System
open RateLab.Core.Contracts
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Stats
open RateLab.Testing

/// A catalog component from its name and numeric parameters.
let comp (name: string) (numbers: (string * float) list) : Component =
    { Name = name
      Parameters = numbers |> List.map (fun (k, v) -> k, Number v) |> Map.ofList }

/// One continuous midpoint uniform per step (RLMC, Shen–Lee, Gupta predictor).
let midpointDraw = [| StepDraw(DrawKind.ContinuousUniform) |]

/// K − 1 Bernoulli(1/K) switches per outer step (Poisson midpoint); index 0 is never read.
let poissonDraws k =
    Array.init k (fun i ->
        if i = 0 then
            StepDraw(DrawKind.Unused)
        else
            StepDraw(DrawKind.Bernoulli, 1.0 / float k))

/// A sampler under test: catalog entry, parameters, and the per-step draws it must declare (None: it declares none and
/// the exact moments come from replicates).
type Case =
    { Entry: Catalog.SamplerEntry
      Component: Component
      Draws: StepDraw[] option }

let case name numbers draws =
    { Entry = Catalog.sampler name
      Component = comp name numbers
      Draws = draws }

/// The kernel of `c` built on `r` for n steps; it must declare exactly the expected per-step draws, since the exact
/// analysis integrates or enumerates what the kernel declares (a wrong declaration would show in the Monte Carlo
/// comparisons below).
let build (c: Case) (r: GaussianReduction) (n: int) =
    let built = c.Entry.Build c.Component r n

    let declared =
        match built.Kernel with
        | :? IStepDraws as d -> Some(Array.init d.UniformsPerStep d.Draw)
        | _ -> None

    if declared <> c.Draws then
        failwith $"{built.Kernel.Name} declares {declared}, expected {c.Draws}"

    built, built.Kernel

/// The score field the kernel runs on: the target's (Langevin) or the Gaussian data's noised score (diffusion).
let field (c: Case) (r: GaussianReduction) : RateLab.Core.Contracts.IScoreField =
    if c.Entry.Diffusion then
        r.NoisedScore()
    else
        r.TargetScore()

let private problemOf (c: Case) (r: GaussianReduction) (built: Catalog.BuiltRun) kernel =
    if c.Entry.Diffusion then
        ExactProblem(
            kernel,
            r.NoisedScore(),
            r.CentredNoisedScore(),
            built.Reference r,
            built.Steps,
            DrawReference =
                (built.DrawReference
                 |> Option.map (fun f -> Func<double[], DiagonalLaw>(f r))
                 |> Option.toObj)
        )
    else
        ExactProblem.Langevin(r, kernel, built.Steps)

/// Exact analysis of the real kernel of `c` on `r` after n steps.
let exact (c: Case) (r: GaussianReduction) (n: int) (options: ExactOptions) =
    let built, kernel = build c r n
    ExactAnalysis.Analyse(problemOf c r built kernel, options)

/// The kit's description of one build of `c` on `r` for n steps.
let private kitBuilt (c: Case) (r: GaussianReduction) (n: int) : RateLab.Testing.Built =
    let built, kernel = build c r n

    { Kernel = kernel
      Steps = built.Steps
      Reference = built.Reference r
      DrawReference = built.DrawReference |> Option.map (fun f -> f r) }

let private family (c: Case) =
    if c.Entry.Diffusion then
        RateLab.Testing.Diffusion
    else
        RateLab.Testing.Langevin

/// Positions (chains × d, reduced coordinates) of `chains` Monte Carlo chains of the real kernel of `c`.
let monteCarlo (c: Case) (r: GaussianReduction) (n: int) (seed: uint64) (chains: int) =
    let batch, _ = Runs.runBuilt (family c) r (kitBuilt c r n) seed chains 0 chains 0 64
    batch.Positions()

/// z-scores of `chains` Monte Carlo chains of the real kernel against their own exact conditional laws (the kit's
/// Runs.conditionalZ): one array per reduced coordinate, and the positions.
let conditionalZ (c: Case) (r: GaussianReduction) (n: int) (seed: uint64) (chains: int) =
    Runs.conditionalZ (family c) r (kitBuilt c r n) seed chains

/// Every coordinate's z-scores have mean 0 and variance 1 within 5 SE (2 comparisons per coordinate).
let standardNormal = Statistics.standardNormal

/// The Monte Carlo positions' per-coordinate mean and variance agree with the exact (moment-matched) law within 5 SE
/// (2 comparisons per coordinate).
let matchesLaw (law: GaussianState) (x: float[]) (chains: int) =
    Statistics.matchesMoments law.Mean.[0 .. law.Dimension - 1] law.Covariance.[0 .. law.Dimension - 1] x chains

/// Student-t quantile for a two-sided interval at the z5 false-failure level 5.7e-7, `dof` degrees of freedom.
let tQuantile5 = Statistics.tQuantile5

/// OLS of log e on log n and 1/n over a doubling grid: e = C n^(−p) (1 + a/n + O(n⁻²)) for a smooth error expansion,
/// so the 1/n regressor absorbs the leading pre-asymptotic correction and p is the asymptotic order. Returns the
/// fitted order p and its classical standard error.
let orderWithCorrection (ns: int[]) (errors: float[]) =
    let fit =
        Ols.fit (ns |> Array.map (fun n -> [| log (float n); 1.0 / float n |])) (errors |> Array.map log)

    -fit.Coefficients.[1], fit.StdErrors.[1], fit.Dof

/// The local slope d log e / d log n between two grid points of a Monte Carlo estimate (value, standard error), with
/// its delta-method standard error; the two estimates are treated as independent.
let localSlope (n1: int, e1: McEstimate) (n2: int, e2: McEstimate) =
    let span = log (float n2 / float n1)

    log (e2.Value / e1.Value) / span,
    sqrt ((e1.StandardError / e1.Value) ** 2.0 + (e2.StandardError / e2.Value) ** 2.0)
    / span
