/// Synthetic decay curves with known exponents and their fits, shared by the fit tests and the `ratelab fit` tests.
module RateLab.Properties.SyntheticCurves

open RateLab.Core.Randomness
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Fits
open RateLab.Analysis.Fits.RateFit
open RateLab.Analysis.Fits.PowerLawFit

/// How costs are spread: every integer 1..n, or n log-spaced costs from 1 to 10^decades.
type Spacing =
    | Linear
    | LogSpaced of decades: float

/// A synthetic curve: error = law(N)·(1 + σ·z), z standard normal or uniform on (−1, 1).
type Case =
    { P: float
      Noise: float
      Uniform: bool
      Count: int
      Spacing: Spacing
      Seed: uint64 }

let costsOf (c: Case) =
    match c.Spacing with
    | Linear -> Array.init c.Count (fun i -> float (i + 1))
    | LogSpaced decades -> Array.init c.Count (fun i -> 10.0 ** (decades * float i / float (c.Count - 1)))

/// Relative noise factors 1 + σ·z of a case, keyed by its seed.
let noiseOf (c: Case) =
    if c.Uniform then
        Array.init c.Count (fun i -> 1.0 + c.Noise * (2.0 * CounterRng.Uniform(c.Seed, 0L, 0L, i) - 1.0))
    else
        let z = Array.zeroCreate c.Count
        CounterRng.Normals(c.Seed, 0L, 0L, 0, System.Span z)
        z |> Array.map (fun v -> 1.0 + c.Noise * v)

let private exact v =
    { Value = v
      Lower = v
      Upper = v
      StdError = nan
      Level = 0.95 }

let curveOf (costs: float[]) (errors: float[]) =
    { Sampler = "synthetic"
      Parameters = []
      Target = "none"
      Dimension = 1
      Metric = SampleMetric "synthetic"
      Seeds = []
      Method = "synthetic"
      Points =
        [ for c, e in Array.zip costs errors ->
              { Steps = int c
                StepSize = nan
                Nfe = c
                Depth = nan
                Error = exact e } ] }

let settings =
    { defaultSettings with
        BootstrapReplicates = 499 }

/// The decay fit of one curve with its floors.
let fitOf (s: FitSettings) (costs: float[]) (errors: float[]) (floors: float[]) =
    match fitDecay s Nfe [ [ curveOf costs errors ], floors ] with
    | Ok f -> f.Fit
    | Error e -> failwith e
