/// B1 in its asymptotic range: Li–Jiao's TV to the early-stopped law on isotropic Gaussian data N(0, λ I_d), on a
/// fine grid of T up to 2^16 and d up to 10^6, with three figures per (T, d) from the same draws (the same seed and
/// replicate streams at every T: common random numbers): the per-draw upper bound E_ω TV(N_ω, q_ω), the mixture upper
/// bound E TV(p̂_M, q̂_M) over groups of M draws (convexity: its mean bounds TV(p, q̄) from above, and it shrinks
/// towards it as M grows), and the lower bound |P(A) − Q̄(A)| for the radial event A that separates the two mixtures
/// best (chosen on half of the draws, estimated without bias on the other half). See Studies/LiJiaoRadial.
module RateLab.Analysis.Studies.LiJiaoAsymptotic

open System
open System.Text.Json.Nodes
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Studies.LiJiaoRadial
open RateLab.Analysis.Stats

/// The study's grid and sample sizes.
type Settings =
    {
        /// Data variance λ of every coordinate.
        Lambda: float
        Dimensions: int list
        Epsilons: float list
        /// T values, increasing; each a multiple of 4 (K = 4 needs 4 | T).
        Cells: int list
        /// Groups of draws for the mixture bound (its standard error comes from their spread); half choose the
        /// separating event of the lower bound, half estimate it.
        Groups: int
        /// Draws per group M.
        GroupSize: int
        Seed: uint64
    }

/// Which figure a curve holds, and from which side it bounds TV(p, q̄).
type Bound =
    /// E_ω TV(N_ω, q_ω): upper bound, but on the law given the draw, not on the mixture.
    | PerDraw
    /// E TV(p̂_M, q̂_M): upper bound on the mixture's TV (in expectation).
    | Mixture
    /// |P(A) − Q̄(A)|: lower bound on the mixture's TV.
    | Separating

/// The figure's name in files and tables.
let boundName b =
    match b with
    | PerDraw -> "per-draw TV upper bound"
    | Mixture -> "mixture TV upper bound"
    | Separating -> "separating-event TV lower bound"

/// Every bound, upper bounds first.
let bounds = [ PerDraw; Mixture; Separating ]

/// The grid 4·⌈⌈2^(j/4)⌉/4⌉ between tMin and tMax: resolution 2^(1/4) in T, multiples of 4.
let cellGrid (tMin: int) (tMax: int) =
    Seq.initInfinite (fun j -> 4 * int (ceil (ceil (2.0 ** (float j / 4.0)) / 4.0)))
    |> Seq.skipWhile (fun t -> t < tMin)
    |> Seq.takeWhile (fun t -> t <= tMax)
    |> Seq.distinct
    |> List.ofSeq

/// The mean of per-group values with its 95 % normal interval, clipped at 0 (the values are divergences).
let private meanEstimate (xs: float[]) =
    let m, se = Sample.meanSe xs

    { Value = m
      Lower = max 0.0 (m - Normal.z975 * se)
      Upper = m + Normal.z975 * se
      StdError = se
      Level = 0.95 }

/// The three bounds at one T for every d: (d, bound, estimate).
let measure (s: Settings) (cells: int) : (int * Bound * Estimate) list =
    let count = s.Groups * s.GroupSize

    let laws =
        draws defaultScheme cells [| s.Lambda |] s.Seed count
        |> Array.map (fun r -> r.[0])

    let half = count / 2
    // Each d is independent of the others (pure quadratures of the same draws), so the d's run in parallel.
    let one d =
        let perDraw = laws |> Array.map (fun l -> fst (mixtureDistances d [| l |]))

        let groups =
            laws
            |> Array.chunkBySize s.GroupSize
            |> Array.map (fun g -> fst (mixtureDistances d g))

        let threshold = separatingThreshold d laws.[.. half - 1]
        let diffs = laws.[half..] |> Array.map (cdfDifference d threshold)
        let sep = meanEstimate diffs
        let value = abs sep.Value

        let absSep =
            { sep with
                Value = value
                Lower = max 0.0 (value - Normal.z975 * sep.StdError)
                Upper = value + Normal.z975 * sep.StdError }

        [ d, PerDraw, meanEstimate perDraw
          d, Mixture, meanEstimate groups
          d, Separating, absSep ]

    s.Dimensions |> Array.ofList |> Array.Parallel.map one |> List.concat

let private encode (rows: (int * Bound * Estimate) list) : JsonNode =
    let a = JsonArray()

    for d, b, e in rows do
        let o = JsonObject()
        o["d"] <- JsonValue.Create d
        o["bound"] <- JsonValue.Create(boundName b)

        for name, v in [ "value", e.Value; "lower", e.Lower; "upper", e.Upper; "se", e.StdError ] do
            o[name] <- JsonValue.Create v

        a.Add o

    a

let private decode (node: JsonNode) =
    let field (o: JsonNode) (name: string) = nonNull o.[name]

    [ for o in node.AsArray() ->
          let o = nonNull o

          let b =
              bounds
              |> List.find (fun b -> boundName b = (field o "bound").GetValue<string>())

          let f name = (field o name).GetValue<float>()

          let e =
              { Value = f "value"
                Lower = f "lower"
                Upper = f "upper"
                StdError = f "se"
                Level = 0.95 }

          (field o "d").GetValue<int>(), b, e ]

/// Every T of the grid, each through the report's cache (one entry per T, so an interrupted study resumes).
let run (cached: string -> (unit -> JsonNode) -> JsonNode) (s: Settings) : (int * (int * Bound * Estimate) list) list =
    let dims = String.Join(",", s.Dimensions)

    [ for t in s.Cells ->
          let key =
              $"li-jiao-asymptotic/v1 lambda={s.Lambda:R} d={dims} T={t} G={s.Groups} M={s.GroupSize} seed={s.Seed}"

          t, decode (cached key (fun () -> encode (measure s t))) ]

/// N*(d, ε) of one bound: for an upper bound the smallest grid T from which every larger T has its upper 95 % limit
/// ≤ ε (conservative: a bound that dips below ε and rises again does not count); for the lower bound the first T
/// whose lower 95 % limit is ≤ ε (conservative the other way). None when not reached on the grid.
let nStar (rows: (int * (int * Bound * Estimate) list) list) (bound: Bound) (d: int) (eps: float) =
    let at (r: (int * Bound * Estimate) list) =
        r |> List.pick (fun (d', b, e) -> if d' = d && b = bound then Some e else None)

    let curve = rows |> List.map (fun (t, r) -> t, at r)

    match bound with
    | Separating -> curve |> List.tryFind (fun (_, e) -> e.Lower <= eps) |> Option.map fst
    | _ ->
        let failing = curve |> List.filter (fun (_, e) -> e.Upper > eps) |> List.map fst
        let last = if failing.IsEmpty then 0 else List.max failing
        curve |> List.tryFind (fun (t, _) -> t > last) |> Option.map fst

/// The curve of one bound in dimension d, as an error curve against NFE = 2T.
let curve (s: Settings) (rows: (int * (int * Bound * Estimate) list) list) (bound: Bound) (d: int) : ErrorCurve =
    let metric =
        match bound with
        | Separating -> TvLower
        | _ -> TvUpper

    { Sampler = $"li-jiao ({boundName bound})"
      Parameters = [ "K", "4"; "c0", "2"; "c1", "4" ]
      Target = $"isotropic-gaussian-data(lambda={s.Lambda:R}, d={d})"
      Dimension = d
      Metric = metric
      Seeds = [ s.Seed ]
      Points =
        [ for t, r in rows ->
              let e =
                  r |> List.pick (fun (d', b, e) -> if d' = d && b = bound then Some e else None)

              { Steps = t
                StepSize = nan
                Nfe = 2.0 * float t
                Depth = nan
                Error = e } ]
      Method = $"{boundName bound}: {s.Groups * s.GroupSize} draws per T (groups of {s.GroupSize}), seed {s.Seed}" }
