/// A fitted rate with everything needed to reproduce it: which sampler, parameters, target, metric, grid, seeds,
/// window, exponents with intervals and residuals.
module RateLab.Analysis.Fits.RateFit

open RateLab.Analysis.Model.Records
open RateLab.Analysis.Fits

/// Which law was fitted; fixes the sign convention of the slopes.
type FitKind =
    /// log N* = c + a·log d + b·log(1/ε): slopes are the cost exponents a (of d) and b (of 1/ε), so N* ∝ d^a·ε^(−b).
    | CostFit
    /// log error = c + a·log d + p·log(1/N): slopes are a (error growth with d) and the decay order p, so
    /// error ∝ d^a·N^(−p).
    | DecayFit

/// Which cost a decay fit puts on its N axis.
type CostAxis =
    | Steps
    | Nfe
    | Depth

/// A fit and its provenance.
type RateFit =
    {
        Kind: FitKind
        Sampler: string
        Parameters: (string * string) list
        Target: string
        Metric: MetricKind
        Dimensions: int list
        /// Step counts of the grid (decay fits) or the step counts N* found (cost fits).
        Grid: int list
        /// Accuracy levels ε (cost fits; empty for decay fits).
        Epsilons: float list
        Seeds: uint64 list
        /// The cost axis of a decay fit (Steps for cost fits, whose N* is a step count).
        Axis: CostAxis
        Fit: FitResult
        /// Local slopes d log error / d log cost per dimension (decay fits; empty for cost fits).
        LocalSlopes: (int * LocalSlopes.LocalSlope list) list
    }

/// Sampler, parameters, target and metric of a cost fit, which has no single error curve to take them from.
type FitSubject =
    { Sampler: string
      Parameters: (string * string) list
      Target: string
      Metric: MetricKind
      Seeds: uint64 list }
