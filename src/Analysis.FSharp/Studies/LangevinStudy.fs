/// The Langevin study of the first report: every Langevin sampler on an isotropic and an ill-conditioned diagonal
/// Gaussian, error (exact, or its bounds for randomized samplers) against step size and against counted gradient
/// evaluations. Chains start at the target, so the error after a fixed physical time is pure discretisation bias.
module RateLab.Analysis.Studies.LangevinStudy

open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Langevin
open RateLab.Analysis.Model.Records

/// A Langevin sampler as the study runs it.
type LangevinCase =
    { Sampler: string
      /// Symbol of the step parameter in the paper (h, η or α).
      StepSymbol: string
      Parameters: (string * string) list
      /// Builds the kernel on dimension d with step s from a start law.
      Build: int -> float -> StartLaw -> ISamplerKernel
      /// Coarsest step, in units of 1/L.
      CoarseStepTimesL: float
      /// Predicted order p of KL in the step (KL ∝ step^p), with its source.
      PredictedKlOrder: float
      PredictionSource: string }

/// A Gaussian target N(0, diag λ).
type LangevinTarget = { Name: string; Variance: float[] }

/// The study's output for one sampler on one target.
type CaseResult = { Case: LangevinCase; Target: LangevinTarget; Curves: ErrorCurve list }

let private kOf = 8

/// The samplers of the first report. Predicted orders are reconstructed (theory-claims.md §6, algorithms.md §9):
/// stationary variance biases ULA ≈ h/2, ULMC ≈ η/4, PLMC tracks LMC(α/K) plus an O(α²) gap (first order in α), nested
/// RLMC ≈ h³/6 and Shen–Lee O(h³); KL is quadratic in the variance error, so its order is twice the variance order.
let cases : LangevinCase list =
    [ { Sampler = "ULA"; StepSymbol = "h"; Parameters = []
        Build = fun d h start -> Ula(d, h, start)
        CoarseStepTimesL = 0.5; PredictedKlOrder = 2.0
        PredictionSource = "variance bias h/2 (theory-claims §6, exact)" }
      { Sampler = "RLMC"; StepSymbol = "h"; Parameters = []
        Build = fun d h start -> Rlmc(d, h, start)
        CoarseStepTimesL = 0.5; PredictedKlOrder = 6.0
        PredictionSource = "variance bias h³/6 of the output law (theory-claims §6, reconstructed)" }
      { Sampler = "ULMC"; StepSymbol = "η"; Parameters = [ "gamma", "2"; "u", "1" ]
        Build = fun d eta start -> Ulmc(d, eta, 2.0, 1.0, start)
        CoarseStepTimesL = 0.5; PredictedKlOrder = 2.0
        PredictionSource = "variance bias ≈ η/4 (theory-claims §6, reconstructed)" }
      { Sampler = "Shen–Lee RMP-ULD"; StepSymbol = "h"; Parameters = [ "u", "1" ]
        Build = fun d h start -> ShenLee(d, h, 1.0, start)
        CoarseStepTimesL = 0.5; PredictedKlOrder = 6.0
        PredictionSource = "variance bias O(h³) (theory-claims §6, reconstructed)" }
      { Sampler = "PLMC-OLMC"; StepSymbol = "α"; Parameters = [ "K", string kOf ]
        Build = fun d alpha start -> PoissonMidpoint.Overdamped(d, alpha, kOf, start)
        CoarseStepTimesL = 0.5; PredictedKlOrder = 2.0
        PredictionSource = "tracks LMC(α/K): bias ≈ α/(2K) + O(α²) (theory-claims §6, reconstructed)" }
      { Sampler = "PLMC-ULMC"; StepSymbol = "α"; Parameters = [ "K", string kOf; "gamma", "2" ]
        Build = fun d alpha start -> PoissonMidpoint.Underdamped(d, alpha, kOf, 2.0, start)
        CoarseStepTimesL = 0.5; PredictedKlOrder = 2.0
        PredictionSource = "tracks ULMC(α/K): first order (reconstructed)" } ]

/// The two targets of the first report: N(0, I_d) and N(0, diag λ) with λ log-spaced from 1 to 1/κ.
let targets (d: int) (kappa: float) =
    [ { Name = $"isotropic Gaussian (d={d})"; Variance = Array.create d 1.0 }
      { Name = $"ill-conditioned Gaussian (d={d}, κ={kappa})"
        Variance = Array.init d (fun i -> if d = 1 then 1.0 else kappa ** (-(float i) / float (d - 1))) } ]

/// Settings that differ between the quick and full profiles.
type Settings = { Levels: int; Horizon: float; Replicates: int; CostChains: int; Seed: uint64 }

/// Runs one case on one target: a doubling grid of steps s_k = (c/L)·2^-k over a fixed physical horizon.
let run (settings: Settings) (case: LangevinCase) (target: LangevinTarget) : CaseResult =
    let d = target.Variance.Length
    let L = 1.0 / Array.min target.Variance
    let start = StartLaw(Array.zeroCreate d, Array.map sqrt target.Variance)
    let reduction = GaussianReduction.Diagonal(System.ReadOnlySpan(Array.zeroCreate d), System.ReadOnlySpan target.Variance, start)
    let options = ExactOptions(Replicates = settings.Replicates, Seed = settings.Seed)
    let evaluations =
        [ for k in 0 .. settings.Levels - 1 ->
            let step = case.CoarseStepTimesL / L * 2.0 ** float -k
            let steps = int64 (round (settings.Horizon / step))
            let kernel = case.Build reduction.Dimension step reduction.Start
            let problem = ExactProblem.Langevin(reduction, kernel, steps)
            let result = ExactAnalysis.Analyse(problem, options)
            let nfe, rounds = ExactCurves.countedCost problem settings.CostChains settings.Seed
            step, steps, nfe, rounds, result ]
    let _, _, _, _, first = List.head evaluations
    let kinds = ExactCurves.metrics first |> List.map fst
    let curves =
        [ for kind in kinds ->
            { Sampler = case.Sampler
              Parameters = (case.StepSymbol, "grid") :: case.Parameters
              Target = target.Name
              Dimension = d
              Metric = kind
              Seeds = [ settings.Seed ]
              Points =
                [ for step, steps, nfe, rounds, result in evaluations ->
                    let estimate = ExactCurves.metrics result |> List.find (fst >> (=) kind) |> snd
                    { Steps = int steps; StepSize = step; Nfe = nfe; Depth = rounds; Error = estimate } ]
              Method = ExactCurves.describe first.Randomized settings.Replicates first.MomentsExact } ]
    { Case = case; Target = target; Curves = curves }
