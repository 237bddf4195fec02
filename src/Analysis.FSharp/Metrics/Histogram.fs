/// Histogram TV and KL in one or two dimensions against exact reference bin probabilities (docs/background.md). Bins
/// are products of half-open axis intervals [eₖ, eₖ₊₁); everything outside forms one overflow bin whose reference
/// probability is 1 − Σ q_b, so both divergences are between proper distributions on the same finite partition.
/// Standard errors: delete-a-block jackknife. Floors: the null distribution of each estimator at this n.
module RateLab.Analysis.Metrics.Histogram

open System
open RateLab.Core.Validation
open RateLab.Analysis.Metrics.SampleEstimate

/// Axis edges (one array per axis, strictly increasing, ≥ 2 edges each); 1 or 2 axes.
type Binning = { Edges: float[][] }

/// Checks and builds a binning.
let binning (edges: float[][]) =
    if edges.Length < 1 || edges.Length > 2 then
        raise (
            ArgumentOutOfRangeException(
                "edges",
                $"edges.Length = {edges.Length} is out of range; allowed: 1 or 2 axes."
            )
        )

    edges
    |> Array.iteri (fun a e ->
        Guard.AtLeast(e.Length, 2, $"edges[{a}].Length") |> ignore
        Guard.AllFinite(ReadOnlySpan e, $"edges[{a}]")

        for k in 1 .. e.Length - 1 do
            if not (e.[k] > e.[k - 1]) then
                raise (
                    ArgumentOutOfRangeException(
                        $"edges[{a}][{k}]",
                        $"edges[{a}][{k}] = {e.[k]} is out of range; allowed: greater than edges[{a}][{k - 1}] = {e.[k - 1]}."
                    )
                ))

    { Edges = edges }

let private binsPerAxis (b: Binning) =
    b.Edges |> Array.map (fun e -> e.Length - 1)

/// Index of the bin holding x (row-major over the axes), or the overflow index (the number of regular bins).
let private binOf (b: Binning) (sizes: int[]) (overflow: int) (x: float[]) =
    let mutable flat = 0
    let mutable inside = true

    for a in 0 .. sizes.Length - 1 do
        let e = b.Edges.[a]

        if x.[a] < e.[0] || x.[a] >= e.[e.Length - 1] then
            inside <- false
        else
            let k = Array.BinarySearch(e, x.[a])
            flat <- flat * sizes.[a] + (if k >= 0 then k else ~~~k - 1)

    if inside then flat else overflow

/// Reference probabilities of the regular bins (from the box corners lo, hi) and of the overflow bin.
let private referenceProbabilities (b: Binning) (probability: float[] -> float[] -> float) =
    let sizes = binsPerAxis b
    let regular = Array.fold (*) 1 sizes

    let q =
        Array.init regular (fun flat ->
            let idx = Array.zeroCreate sizes.Length
            let mutable r = flat

            for a in sizes.Length - 1 .. -1 .. 0 do
                idx.[a] <- r % sizes.[a]
                r <- r / sizes.[a]

            let lo = Array.init sizes.Length (fun a -> b.Edges.[a].[idx.[a]])
            let hi = Array.init sizes.Length (fun a -> b.Edges.[a].[idx.[a] + 1])
            Guard.InClosed(probability lo hi, 0.0, 1.0, $"reference probability of bin {flat}"))

    let total = Array.sum q

    Guard.InClosed(total, 0.0, 1.0 + 1e-9, "sum of reference bin probabilities")
    |> ignore

    Array.append q [| max 0.0 (1.0 - total) |]

/// Per-block bin counts of the sample.
let private blockCounts (b: Binning) (bins: int) (sample: float[][]) =
    let counts = Array.init BlockJackknife.Blocks (fun _ -> Array.zeroCreate bins)
    let sizes = binsPerAxis b

    sample
    |> Array.iteri (fun i x ->
        let c: float[] = counts.[BlockJackknife.blockOf sample.Length i]
        let k = binOf b sizes (bins - 1) x
        c.[k] <- c.[k] + 1.0)

    counts

/// The divergence of the sample's bin frequencies from q, and its leave-one-block-out standard error.
let private measure (divergence: float[] -> float[] -> float) (b: Binning) probability (sample: float[][]) =
    let d = checkSample "sample" (2 * BlockJackknife.Blocks) sample
    Guard.Length(d, b.Edges.Length, "sample[0] (dimension must equal the number of binning axes)")
    let q = referenceProbabilities b probability
    let blocks = blockCounts b q.Length sample
    let total = Array.init q.Length (fun k -> blocks |> Array.sumBy (fun c -> c.[k]))

    let ofCounts (c: float[]) =
        let n = Array.sum c
        divergence (c |> Array.map (fun v -> v / n)) q

    let leaveOut = blocks |> Array.map (fun cb -> ofCounts (Array.map2 (-) total cb))
    q, ofCounts total, BlockJackknife.stdError leaveOut

let private jackknifeMethod =
    $"delete-a-block jackknife over sample positions, {BlockJackknife.Blocks} blocks"

/// Histogram TV = ½·Σ_b |p̂_b − q_b| of the sample against the reference bin probabilities (probability lo hi gives
/// the reference mass of the box [lo, hi)). Floor: the null mean ½Σ√(2q(1−q)/(πn)) (normal approximation to
/// E|p̂−q|) plus FloorZ null standard deviations √(¼(1−2/π)Σq(1−q)/n), treating bins as independent (approximate).
let totalVariation (b: Binning) (probability: float[] -> float[] -> float) (sample: float[][]) : SampleEstimate =
    let tv (p: float[]) (q: float[]) =
        0.5 * Array.fold2 (fun s pk qk -> s + abs (pk - qk)) 0.0 p q

    let q, value, se = measure tv b probability sample
    let n = float sample.Length
    let binomialVariance = (q |> Array.sumBy (fun qk -> qk * (1.0 - qk))) / n

    let nullMean =
        0.5
        * (q |> Array.sumBy (fun qk -> sqrt (2.0 * qk * (1.0 - qk) / (Math.PI * n))))

    { Value = value
      StdError = se
      Floor = nullMean + FloorZ * sqrt (0.25 * (1.0 - 2.0 / Math.PI) * binomialVariance)
      StdErrorMethod = jackknifeMethod
      FloorMethod = $"null mean ½Σ√(2q(1−q)/(πn)) plus {FloorZ} null standard deviations (bins treated as independent)" }

/// Plug-in histogram KL(p̂ ‖ q) = Σ_b p̂_b·log(p̂_b/q_b). Empty sample bins contribute their limit 0; a sample bin the
/// reference gives mass 0 makes the value +∞ (the divergence is infinite, not an estimation failure). Floor: on the
/// null 2n·KL̂ is asymptotically χ²(K−1) over the K bins with q_b > 0, so mean (K−1)/(2n) plus FloorZ standard
/// deviations √(2(K−1))/(2n).
let kullbackLeibler (b: Binning) (probability: float[] -> float[] -> float) (sample: float[][]) : SampleEstimate =
    let kl (p: float[]) (q: float[]) =
        Array.fold2
            (fun s pk qk ->
                if pk = 0.0 then s
                elif qk = 0.0 then infinity
                else s + pk * log (pk / qk))
            0.0
            p
            q

    let q, value, se = measure kl b probability sample
    let n = float sample.Length
    let dof = float (q |> Array.filter (fun qk -> qk > 0.0) |> Array.length) - 1.0

    { Value = value
      StdError = se
      Floor = dof / (2.0 * n) + FloorZ * sqrt (2.0 * dof) / (2.0 * n)
      StdErrorMethod = jackknifeMethod
      FloorMethod = $"null mean (K−1)/(2n) of the plug-in KL (χ² limit) plus {FloorZ} null standard deviations" }
