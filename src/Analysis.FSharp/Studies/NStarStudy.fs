/// N*(d, ε) searches on the exact Gaussian analysis (docs/background.md): for each dimension and accuracy, the smallest
/// step count whose error upper bound is ≤ ε, its counted cost (NFE or rounds), and the points evaluated on the way.
module RateLab.Analysis.Studies.NStarStudy

open System
open RateLab.Core.Validation
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Fits
open RateLab.Analysis.Studies

/// What a claim's cost counts: evaluations per chain or sequential rounds (parallel depth, docs/background.md).
type Cost =
    | Evaluations
    | Rounds

/// One search family: a spec (sampler, target, metric, replicates, seed) searched at every (d, ε).
type Search =
    {
        Spec: ExperimentSpec
        Dimensions: int list
        Epsilons: float list
        /// The error level a search must reach at (d, ε): ε itself, or ε·√d for a relative W2 normalisation.
        Threshold: int -> float -> float
        NMin: int
        NMax: int
        /// Step counts must be multiples of this (Li–Jiao with K = 4 needs 4 | T so that N = 2T/K is even).
        StepMultiple: int
        Cost: Cost
    }

/// The smallest admissible step count ≥ n (Li–Jiao needs multiples of 4). Searches then bisect on admissible counts
/// exactly: a coarser grid would quantize N* and hide deviations of the exponent smaller than the grid ratio.
let snap (multiple: int) (n: int) =
    Guard.AtLeast(multiple, 1, nameof multiple) |> ignore
    Guard.AtLeast(n, 1, nameof n) |> ignore
    multiple * ((n + multiple - 1) / multiple)

/// Evaluates the spec after n steps in dimension d: the point (counted cost, error) and the estimate the search
/// compares with ε. Callers pass one that reads through the report's cache.
type Evaluate = int -> int -> ErrorPoint * Estimate

/// The search's result with its N* moved to the admissible count actually analysed (the search returns the smallest
/// integer mapping to a passing admissible count, which was never run itself).
let onGrid (multiple: int) (r: NStar.NStarResult) =
    let g = snap multiple

    { r with
        NStar = r.NStar |> Option.map g
        Evaluated = r.Evaluated |> List.map (fun (n, e) -> g n, e) }

/// Every (d, N*(d, ε)) of the search, d-major then ε in the given order; ε of each result is the search's ε, not the
/// threshold, so cost fits regress on the claim's accuracy variable.
let run (search: Search) (evaluate: Evaluate) : (int * NStar.NStarResult) list =
    Guard.AtLeast(search.NMin, 1, "search.NMin") |> ignore

    let errorAt d n =
        snd (evaluate d (snap search.StepMultiple n))

    [ for d in search.Dimensions do
          for eps in search.Epsilons ->
              let r =
                  NStar.search (errorAt d) (search.Threshold d eps) search.NMin search.NMax
                  |> onGrid search.StepMultiple

              d, { r with Epsilon = eps } ]

/// N* converted to cost units (step counts → counted NFE or rounds), so a cost fit on the result fits the cost the
/// claim counts. Costs are rounded to integers because NStarResult holds an int; Poisson-midpoint's mean NFE is
/// fractional, and rounding moves log cost by < 1/N*.
let toCost (costOf: int -> int -> float) (points: (int * NStar.NStarResult) list) =
    points
    |> List.map (fun (d, r) ->
        d,
        { r with
            NStar =
                r.NStar
                |> Option.map (fun n -> max 1 (int (Math.Round(costOf d n, MidpointRounding.AwayFromZero)))) })

/// The error curve of dimension d from every step count the searches evaluated there (no extra runs), sorted by steps.
let curve (search: Search) (evaluate: Evaluate) (points: (int * NStar.NStarResult) list) (d: int) : ErrorCurve =
    let evaluated =
        points
        |> List.filter (fst >> (=) d)
        |> List.collect (fun (_, r) -> r.Evaluated)
        |> List.distinctBy fst
        |> List.sortBy fst

    let spec = search.Spec

    { Sampler = spec.Sampler.Name
      Parameters = spec.Sampler.Parameters |> Map.toList |> List.map (fun (k, v) -> k, showParam v)
      Target = $"{spec.Target.Name}(d={d})"
      Dimension = d
      Metric = spec.Metric
      Seeds = spec.Seeds
      Points = [ for n, _ in evaluated -> fst (evaluate d n) ]
      Method = "points evaluated by the N* searches (doubling then bisection on the step count)" }
