/// A non-product d-test (docs/background.md): Li–Jiao's RMS strong error against the coupled RK4 reference on a
/// Gaussian mixture with d components at random means, and N*(d) for RMS ≤ ε. The mixture's means span d directions,
/// so the error is not a sum of identical 1-D terms and the d-exponent is not fixed by construction.
module RateLab.Analysis.Studies.StrongErrorStudy

open System
open RateLab.Core.Samplers.Diffusion.References
open RateLab.Core.Validation
open RateLab.Core.Diffusion
open RateLab.Core.Randomness
open RateLab.Core.Samplers.Diffusion
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Fits
open RateLab.Analysis.Stats

/// Settings of the study.
type Settings =
    {
        Dimensions: int list
        Epsilons: float list
        /// Chains (coupled pairs) per measurement.
        Chains: int
        /// RK4 steps per transport of the reference flow.
        ReferenceSteps: int
        Seed: uint64
        NMin: int
        NMax: int
        /// Runs a computation through the report's cache (key, compute → JSON), so a resumed report skips it.
        Cached: string -> (unit -> System.Text.Json.Nodes.JsonNode) -> System.Text.Json.Nodes.JsonNode
    }

/// Li–Jiao's K (rounds): the catalog default, so T must be a multiple of 4 (N = 2T/K even).
let rounds = LiJiaoSchedule.DefaultRounds

/// Spread of the means: μ_j = s·g_j/√d with g_j ~ N(0, I), so ‖μ_j‖ ≈ s and the separation ‖Δμ‖²/σ⁴ ≈ 2s² stays O(1)
/// in every d (a well-conditioned score, L = O(1)); component standard deviation σ = 1.
let meanSpread = 1.5

/// The mixture (1/d) Σ_j N(μ_j, I) with d components, means drawn from Philox(seed), one chain per component.
let mixture (seed: uint64) (d: int) =
    Guard.AtLeast(d, 1, nameof d) |> ignore
    let noise = PhiloxNoise(seed)
    let means = Array.zeroCreate (d * d)

    for j in 0 .. d - 1 do
        let row = Span<double>(means, j * d, d)
        noise.Normals(int64 j, -1L, 0, row)

        for i in 0 .. d - 1 do
            row.[i] <- meanSpread * row.[i] / sqrt (float d)

    GaussianMixtureNoisedScore.Isotropic(Array.create d 1.0, means, Array.create d 1.0)

/// A strong error as an estimate with a normal 95 % interval (delta-method standard error of the RMS).
let estimate (e: StrongError) =
    let half = Normal.z975 * e.RmsStandardError

    { Value = e.Rms
      Lower = e.Rms - half
      Upper = e.Rms + half
      StdError = e.RmsStandardError
      Level = 0.95 }

/// The RMS strong error of Li–Jiao with T cells (the catalog's c₀, c₁) on the d-dimensional mixture, through the cache.
let measure (s: Settings) (d: int) (t: int) (referenceSteps: int) : Estimate =
    let compute () =
        let data = mixture s.Seed d

        let kernel =
            LiJiao(d, LiJiaoSchedule(t, rounds, LiJiaoSchedule.DefaultC0, LiJiaoSchedule.DefaultC1))

        let e =
            estimate (CoupledReference.Measure(kernel, data, Rk4ReferenceFlow(data, referenceSteps), s.Seed, s.Chains))

        let o = System.Text.Json.Nodes.JsonObject()
        o["value"] <- System.Text.Json.Nodes.JsonValue.Create e.Value
        o["std_error"] <- System.Text.Json.Nodes.JsonValue.Create e.StdError
        o :> System.Text.Json.Nodes.JsonNode

    let n =
        s.Cached $"strong-error/1/li-jiao/seed={s.Seed}/chains={s.Chains}/d={d}/T={t}/rk4={referenceSteps}" compute

    let number (name: string) = (nonNull n[name]).GetValue<float>()
    let value, se = number "value", number "std_error"
    let half = Normal.z975 * se

    { Value = value
      Lower = value - half
      Upper = value + half
      StdError = se
      Level = 0.95 }

/// The admissible T ≥ t on the geometric grid K·⌈⌈2^(j/4)⌉/K⌉ (so T < 2^(1/4)·t + K). Each coupled measurement costs a full RK4 reference, so
/// searches share grid points across ε; the grid's resolution 2^(1/4) (0.17 in log T) is stated with the fit, and is
/// below the Monte Carlo spread of N* at these chain counts.
let snapGeometric (t: int) =
    Guard.AtLeast(t, 1, nameof t) |> ignore

    Seq.initInfinite (fun j -> NStarStudy.snap rounds (int (ceil (2.0 ** (float j / 4.0) - 1e-9))))
    |> Seq.find (fun v -> v >= t)

/// N*(d, ε) for RMS ≤ ε (upper confidence bound), T on the geometric grid.
let run (s: Settings) : (int * NStar.NStarResult) list =
    Guard.AtLeast(s.Chains, 2, "settings.Chains") |> ignore

    let onGrid (r: NStar.NStarResult) =
        { r with
            NStar = r.NStar |> Option.map snapGeometric
            Evaluated = r.Evaluated |> List.map (fun (t, e) -> snapGeometric t, e) }

    [ for d in s.Dimensions do
          for eps in s.Epsilons ->
              let errorAt t =
                  measure s d (snapGeometric t) s.ReferenceSteps

              d, NStar.search errorAt eps s.NMin s.NMax |> onGrid ]

/// The error curve of dimension d from the searched points; NFE = 2T (Li–Jiao's count, docs/background.md).
let curve (s: Settings) (points: (int * NStar.NStarResult) list) (d: int) : ErrorCurve =
    let evaluated =
        points
        |> List.filter (fst >> (=) d)
        |> List.collect (fun (_, r) -> r.Evaluated)
        |> List.distinctBy fst
        |> List.sortBy fst

    { Sampler = "li-jiao"
      Parameters =
        [ "K", string rounds
          "c0", string LiJiaoSchedule.DefaultC0
          "c1", string LiJiaoSchedule.DefaultC1 ]
      Target = $"gaussian-mixture(H={d},d={d})"
      Dimension = d
      Metric = StrongError
      Seeds = [ s.Seed ]
      Points =
        [ for t, e in evaluated ->
              { Steps = t
                StepSize = nan
                Nfe = 2.0 * float t
                Depth = nan
                Error = e } ]
      Method =
        $"RMS ‖Y − Y*‖ over {s.Chains} coupled chains against RK4 ({s.ReferenceSteps} steps per transport) between the same injections" }
