/// The comparison of a Python sampler with a catalog sampler on the same target, grid and step count: their exact
/// laws (means and variances of every distinct coordinate) and exact KL and W2 must agree to MatchTolerance relative.
module RateLab.Analysis.External.ReferenceMatch

open System
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Studies
open RateLab.Analysis.Report
open RateLab.Analysis.External.ExternalAnalysis

/// Relative difference within which the Python sampler's law must equal the reference's: both are float64 evaluations
/// of the same affine map through a few thousand operations, so rounding stays near 1e-13.
[<Literal>]
let MatchTolerance = 1e-10

/// One comparison at a step count: the largest relative difference over the law's means and variances and the KL and
/// W2 figures, with both exact KLs for the verdict line.
type Comparison =
    { Steps: int
      Difference: float
      Python: float
      Catalog: float }

let private relative (x: float) (y: float) =
    if x = y then 0.0 else abs (x - y) / max (abs x) (abs y)

/// The catalog sampler `reference` on the same target, grid and step count, compared with the Python outcome.
let compare (reference: Component) (problem: Problem) (o: Outcome) : Comparison =
    let spec =
        { Name = "reference"
          Sampler = reference
          Target = problem.Target
          Dimensions = [ problem.Dimension ]
          Metric = ExactKl
          Steps = [ problem.Steps ]
          Chains = 2
          Seeds = [ problem.Seed ]
          Profile = Quick
          Claims = [] }

    let p = Runner.exactPoint spec problem.Dimension problem.Steps

    if p.Result.Randomized || o.Result.Randomized then
        raise (
            ArgumentException(
                $"--reference = {reference.Name}: compares exact laws; allowed: deterministic samplers (no uniform draws)"
            )
        )

    let mine, theirs = o.Result.Law, p.Result.Law

    let entries =
        Array.append (Array.map2 relative mine.Mean theirs.Mean) (Array.map2 relative mine.Covariance theirs.Covariance)

    let ours, catalog = o.Result.MomentMatched, p.Result.MomentMatched

    { Steps = problem.Steps
      Difference = Array.max (Array.append entries [| relative ours.Kl catalog.Kl; relative ours.W2 catalog.W2 |])
      Python = ours.Kl
      Catalog = catalog.Kl }

/// The reference as the verdict names it: name(parameter=value,…), or the name alone without parameters.
let referenceName (reference: Component) =
    let shown =
        reference.Parameters
        |> Map.toList
        |> List.map (fun (k, v) -> $"{k}={showParam v}")
        |> String.concat ","

    if shown = "" then
        reference.Name
    else
        $"{reference.Name}({shown})"

/// Whether every comparison is within tolerance, and the verdict line saying so or where the laws differ most.
let verdict (name: string) (comparisons: Comparison list) =
    let worst = comparisons |> List.maxBy (fun c -> c.Difference)

    if worst.Difference <= MatchTolerance then
        true,
        $"matches {name}: largest relative difference {Format.num worst.Difference} over every step count "
        + $"(law and KL/W2; tolerance {MatchTolerance:g})"
    else
        false,
        $"DIFFERS from {name}: at n = {worst.Steps} the exact KL is {Format.num worst.Python} (Python) against "
        + $"{Format.num worst.Catalog} ({name}); largest relative difference {Format.num worst.Difference} "
        + $"(tolerance {MatchTolerance:g})"
