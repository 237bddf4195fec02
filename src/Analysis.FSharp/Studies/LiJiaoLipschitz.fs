/// B1's L-dependence: isotropic data N(0, λ I_d) with L = 1/λ, the largest Lipschitz constant of the exact noised
/// score −x/(ᾱλ + τ) (reached at the end of the schedule for λ ≪ 1), and K ∝ L log T rounds as the theorem requires:
/// K = the power of two ≥ max(4, c·L·ln T), c = 4/ln 64 (so K = 4 at L = 1, T = 64), on doubling T with K ≤ T (so
/// N = 2T/K ≥ 2 is even). The mixture TV bound of Studies/LiJiaoRadial on groups of draws; N*(L) for fixed d and ε.
module RateLab.Analysis.Studies.LiJiaoLipschitz

open System
open System.Text.Json.Nodes
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Studies.LiJiaoRadial
open RateLab.Analysis.Stats

/// The study's grid.
type Settings =
    {
        Dimension: int
        /// Data variances λ; L = 1/λ.
        Lambdas: float list
        Epsilons: float list
        /// Doubling T values (powers of two).
        Cells: int list
        Groups: int
        GroupSize: int
        Seed: uint64
    }

/// K ∝ L log T as a power of two (so it divides 2T), at least 4.
let rounds (lipschitz: float) (cells: int) =
    let target = max 4.0 (4.0 / log 64.0 * lipschitz * log (float cells))
    pown 2 (int (ceil (Math.Log2 target - 1e-9)))


/// The mixture TV bound at (λ, T): mean and 95 % interval over the groups; None where K > T (too few points per round).
let measure (s: Settings) (lambda: float) (cells: int) : Estimate option =
    let k = rounds (1.0 / lambda) cells

    if k > cells then
        None
    else
        let count = s.Groups * s.GroupSize

        let laws =
            draws { defaultScheme with Rounds = k } cells [| lambda |] s.Seed count
            |> Array.map (fun r -> r.[0])

        let groups =
            laws
            |> Array.chunkBySize s.GroupSize
            |> Array.map (fun g -> fst (mixtureDistances s.Dimension g))

        let m, se = Sample.meanSe groups

        Some
            { Value = m
              Lower = max 0.0 (m - Normal.z975 * se)
              Upper = m + Normal.z975 * se
              StdError = se
              Level = 0.95 }

/// Every (λ, T) through the report's cache.
let run (cached: string -> (unit -> JsonNode) -> JsonNode) (s: Settings) =
    [ for lambda in s.Lambdas do
          for t in s.Cells ->
              let key =
                  $"li-jiao-lipschitz/v1 lambda={lambda:R} d={s.Dimension} T={t} G={s.Groups} M={s.GroupSize} "
                  + $"seed={s.Seed}"

              let node =
                  cached key (fun () ->
                      match measure s lambda t with
                      | Some e ->
                          let o = JsonObject()

                          for name, v in [ "value", e.Value; "lower", e.Lower; "upper", e.Upper; "se", e.StdError ] do
                              o[name] <- JsonValue.Create v

                          o :> JsonNode
                      | None -> JsonObject() :> JsonNode)

              let o = node.AsObject()

              let estimate =
                  if o.Count = 0 then
                      None
                  else
                      let f (name: string) = (nonNull o[name]).GetValue<float>()

                      Some
                          { Value = f "value"
                            Lower = f "lower"
                            Upper = f "upper"
                            StdError = f "se"
                            Level = 0.95 }

              lambda, t, estimate ]

/// N*(L, ε) in T: the smallest T from which every larger T of the grid has its upper 95 % limit ≤ ε.
let nStar (rows: (float * int * Estimate option) list) (lambda: float) (eps: float) =
    let curve =
        rows
        |> List.filter (fun (l, _, e) -> l = lambda && e.IsSome)
        |> List.map (fun (_, t, e) -> t, e.Value)

    let failing = curve |> List.filter (fun (_, e) -> e.Upper > eps) |> List.map fst
    let last = if failing.IsEmpty then 0 else List.max failing
    curve |> List.tryFind (fun (t, _) -> t > last) |> Option.map fst
