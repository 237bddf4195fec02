/// The Poisson-midpoint study behind claims A9/S5: exact laws of PLMC (moments by enumeration of its Bernoulli
/// patterns) and of LMC on N(0, 1). B11's comparison is Studies/B11Study.
module RateLab.Analysis.Studies.PoissonMidpointStudy

open System
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec

let private standardNormal () =
    GaussianReduction.Diagonal(ReadOnlySpan [| 0.0 |], ReadOnlySpan [| 1.0 |], StartLaw([| 0.0 |], [| 1.0 |]))

/// The exact total law (mean and variance by enumeration of the Bernoulli patterns) of PLMC(α, K) on N(0, 1) after n
/// outer steps from the target.
let plmcExactLaw (alpha: float) (k: int) (steps: int) =
    let reduction = standardNormal ()
    let kernel = PoissonMidpoint.Overdamped(1, alpha, k, reduction.Start)

    let r =
        ExactAnalysis.Analyse(
            ExactProblem.Langevin(reduction, kernel, int64 steps),
            ExactOptions(Replicates = 2, Seed = 20261123UL)
        )

    if not r.MomentsExact then
        raise (InvalidOperationException($"PLMC(K = {k}) moments were not enumerated exactly"))

    r.Law.Position(ReadOnlySpan [| 1.0 |])

/// The exact law of LMC (ULA) with step h after n steps on N(0, 1) from the target.
let lmcExactLaw (h: float) (steps: int) =
    let reduction = standardNormal ()

    let r =
        ExactAnalysis.Analyse(ExactProblem.Langevin(reduction, Langevin.Ula(1, h, reduction.Start), int64 steps))

    r.Law.Position(ReadOnlySpan [| 1.0 |])
