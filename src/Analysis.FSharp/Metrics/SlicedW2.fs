/// Sliced squared Wasserstein-2 distance SW₂² = mean over fixed unit directions θ of W₂²(θᵀX, θᵀY) (docs/background.md).
/// For equal sample sizes the 1-D W₂² between empirical laws is the mean squared difference of the sorted projections.
/// The value is squared (it is the averaged quantity; take √ for a W₂-scale number). The estimate between samples is
/// biased upward by sampling, so its floor is measured, not assumed: SW₂² between two independent reference samples of
/// the same size.
module RateLab.Analysis.Metrics.SlicedW2

open System
open RateLab.Core.Randomness
open RateLab.Core.Validation
open RateLab.Analysis.Metrics.SampleEstimate

/// count unit directions in ℝᵈ, normalised standard normals keyed by (seed, direction); fixed across runs by the seed.
let directions (seed: uint64) (d: int) (count: int) : float[][] =
    Guard.AtLeast(d, 1, nameof d) |> ignore
    Guard.AtLeast(count, 1, nameof count) |> ignore

    Array.init count (fun l ->
        let v = Array.zeroCreate d
        CounterRng.Normals(seed, int64 l, 0L, 0, Span v)
        let norm = sqrt (Array.sumBy (fun a -> a * a) v)
        v |> Array.map (fun a -> a / norm))

/// SW₂² of x against y and its leave-one-block-out values (blocks deleted at the same positions of both samples, so
/// the sizes stay equal).
let private withLeaveOuts (dirs: float[][]) (x: float[][]) (y: float[][]) =
    let n = x.Length
    let blocks = BlockJackknife.Blocks
    let blockOf = Array.init n (BlockJackknife.blockOf n)
    let leaveOut = Array.zeroCreate blocks
    let mutable total = 0.0

    for theta in dirs do
        let project (z: float[][]) =
            z |> Array.map (fun r -> Array.fold2 (fun s a t -> s + a * t) 0.0 r theta)

        let px, py = project x, project y

        let order (p: float[]) =
            let keys, items = Array.copy p, Array.init n id
            Array.Sort(keys, items)
            items

        let ox, oy = order px, order py

        total <-
            total
            + (Array.fold2 (fun s i j -> let t = px.[i] - py.[j] in s + t * t) 0.0 ox oy)
              / float n

        for b in 0 .. blocks - 1 do
            // Walk both sorted orders skipping block b; the k-th survivors of each are paired.
            let mutable iy = 0
            let mutable sum = 0.0
            let mutable count = 0

            for i in ox do
                if blockOf.[i] <> b then
                    while blockOf.[oy.[iy]] = b do
                        iy <- iy + 1

                    let t = px.[i] - py.[oy.[iy]]
                    sum <- sum + t * t
                    count <- count + 1
                    iy <- iy + 1

            leaveOut.[b] <- leaveOut.[b] + sum / float count

    let l = float dirs.Length
    total / l, leaveOut |> Array.map (fun v -> v / l)

/// SW₂² between sample and reference (equal sizes), with block-jackknife standard error; the floor is SW₂² between
/// secondReference and reference (an independent reference sample of the same size) plus FloorZ of its standard errors.
let slicedW2Squared
    (dirs: float[][])
    (sample: float[][])
    (reference: float[][])
    (secondReference: float[][])
    : SampleEstimate =
    Guard.AtLeast(dirs.Length, 1, "dirs.Length") |> ignore
    let minRows = 2 * BlockJackknife.Blocks
    let d = checkSample "sample" minRows sample
    checkSameDimension d (checkSample "reference" minRows reference)
    checkSameDimension d (checkSample "secondReference" minRows secondReference)
    dirs |> Array.iteri (fun l t -> Guard.Length(t.Length, d, $"dirs[{l}]"))
    Guard.Length(reference.Length, sample.Length, "reference")
    Guard.Length(secondReference.Length, sample.Length, "secondReference")
    let value, leaveOut = withLeaveOuts dirs sample reference
    let nullValue, nullLeaveOut = withLeaveOuts dirs secondReference reference

    { Value = value
      StdError = BlockJackknife.stdError leaveOut
      Floor = nullValue + FloorZ * BlockJackknife.stdError nullLeaveOut
      StdErrorMethod = $"delete-a-block jackknife, {BlockJackknife.Blocks} blocks"
      FloorMethod =
        $"SW2² between two independent reference samples of the same size plus {FloorZ} block-jackknife standard errors" }
