/// What a user tells the kit about a kernel: how to build it on a Gaussian problem and what it promises (cost, order,
/// an invariant law, the parameters it must refuse). Everything else the kit derives by running the real kernel.
namespace RateLab.Testing

open System
open RateLab.Core.Contracts
open RateLab.Core.Exact
open RateLab.Core.Samplers

/// Which score a kernel runs on, and so which field the oracle wraps.
type Family =
    /// Runs on the target's score ∇log π (Langevin and other MCMC-type kernels).
    | Langevin
    /// Runs on the noised score of Gaussian data, s(x, τ) (diffusion samplers).
    | Diffusion

/// One build of the kernel under test on a reduced Gaussian problem.
type Built =
    {
        Kernel: ISamplerKernel
        /// Kernel steps a run takes (Li–Jiao's rounds, for instance, differ from the step count it was built for).
        Steps: int64
        /// The law the output should approach: the target, or the data noised to the grid's end level.
        Reference: DiagonalLaw
        /// For kernels whose end level is drawn: the reference of one draw, from the kernel's aux state after the run.
        DrawReference: (double[] -> DiagonalLaw) option
    }

    /// A Langevin-type run: compared with the target.
    static member Langevin(reduction: GaussianReduction, kernel: ISamplerKernel, steps: int64) =
        { Kernel = kernel
          Steps = steps
          Reference = reduction.Target
          DrawReference = None }

    /// A diffusion run ending at noise level τ_end (0: the data itself): compared with the data noised to τ_end.
    static member Diffusion(reduction: GaussianReduction, kernel: ISamplerKernel, steps: int64, endTau: float) =
        let reference =
            if endTau = 0.0 then
                reduction.Target
            else
                reduction.NoisedData endTau

        { Kernel = kernel
          Steps = steps
          Reference = reference
          DrawReference = None }

/// The score evaluations a kernel declares, compared with what the oracle counts for every chain.
type DeclaredCost =
    /// A fixed number of evaluations per kernel step.
    | PerStep of int
    /// Evaluations of a whole run as a function of the step count n it was built for (e.g. 2n − 1).
    | PerRun of (int -> int64)

/// The error a declared order refers to, read off the exact analysis.
type ErrorMeasure =
    /// KL(p_n ‖ reference) of the moment-matched law (the exact KL for deterministic kernels).
    | MatchedKl
    /// E_draws KL, the convexity upper bound of randomized kernels (Monte Carlo over draw replicates).
    | DrawsKl
    /// W₂ of the moment-matched law.
    | MatchedW2

/// A declared convergence order: error ∝ n^(−Order) on the given doubling grid of step counts.
type DeclaredOrder =
    {
        Order: float
        Error: ErrorMeasure
        /// At least three step counts, increasing (a doubling grid reads best).
        StepCounts: int list
        /// Draw replicates behind DrawsKl (ignored for the matched measures).
        Replicates: int
    }

/// A parameter set the kernel must refuse: constructing it must throw an ArgumentException whose ParamName is
/// Parameter and whose message shows Value and the word "allowed" (the one-line house format).
type InvalidCase =
    { Parameter: string
      Value: string
      Construct: unit -> unit }

/// A Gaussian problem N(Mean, diag Variance) and the start law Langevin kernels are built with.
type GaussianTarget =
    { Mean: float[]
      Variance: float[]
      Start: StartLaw }

    /// The problem in reduced coordinates, the form kernels are built on.
    member t.Reduction =
        GaussianReduction.Diagonal(ReadOnlySpan t.Mean, ReadOnlySpan t.Variance, t.Start)

/// Everything the kit needs about one kernel. Build it with <c>KernelSpec.Create</c> and the With… methods, or with
/// F# record syntax.
type KernelSpec =
    {
        Name: string
        Family: Family
        Target: GaussianTarget
        /// The kernel for a reduced problem (any leading block of Target's coordinates) and a step count n.
        Build: GaussianReduction -> int -> Built
        /// Small step counts for the Monte Carlo, reproducibility, cost and allocation checks.
        StepCounts: int list
        /// Chains of the Monte Carlo comparison.
        Chains: int
        /// Seed of every run and of the generated cases.
        Seed: uint64
        Cost: DeclaredCost option
        Order: DeclaredOrder option
        /// The position law the kernel leaves invariant on a reduced problem at step count n (Langevin kernels whose
        /// velocity, if any, is drawn from its own invariant law in Init): started there, the exact law must stay there.
        Invariant: (GaussianReduction -> int -> DiagonalLaw) option
        Invalid: InvalidCase list
    }

    /// A spec with the defaults: 3000 chains, seed 20261204, no declared cost, order, invariant law or invalid cases.
    static member Create
        (
            name: string,
            family: Family,
            target: GaussianTarget,
            build: Func<GaussianReduction, int, Built>,
            stepCounts: int seq
        ) =
        { Name = name
          Family = family
          Target = target
          Build = (fun r n -> build.Invoke(r, n))
          StepCounts = List.ofSeq stepCounts
          Chains = 3000
          Seed = 20261204UL
          Cost = None
          Order = None
          Invariant = None
          Invalid = [] }

    /// Declares a fixed number of score evaluations per kernel step.
    member s.WithCostPerStep(evaluations: int) =
        { s with
            Cost = Some(PerStep evaluations) }

    /// Declares the evaluations of a whole run at step count n.
    member s.WithCostPerRun(evaluations: Func<int, int64>) =
        { s with
            Cost = Some(PerRun evaluations.Invoke) }

    /// Declares error ∝ n^(−order) for the given measure on the given step counts.
    member s.WithOrder(order: float, error: ErrorMeasure, stepCounts: int seq) =
        { s with
            Order =
                Some
                    { Order = order
                      Error = error
                      StepCounts = List.ofSeq stepCounts
                      Replicates = 256 } }

    /// Declares the position law the kernel leaves invariant.
    member s.WithInvariant(law: Func<GaussianReduction, int, DiagonalLaw>) =
        { s with
            Invariant = Some(fun r n -> law.Invoke(r, n)) }

    /// Adds a parameter set the kernel must refuse.
    member s.WithInvalid(parameter: string, value: string, construct: Action) =
        { s with
            Invalid =
                s.Invalid
                @ [ { Parameter = parameter
                      Value = value
                      Construct = construct.Invoke } ] }

    /// Sets the Monte Carlo chain count and the seed.
    member s.WithRuns(chains: int, seed: uint64) = { s with Chains = chains; Seed = seed }
