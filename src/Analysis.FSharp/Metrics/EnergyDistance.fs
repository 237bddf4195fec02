/// Energy distance 2E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖ (docs/background.md): the two-sample U-statistic with kernel −‖x−y‖,
/// zero exactly when the laws agree (finite first moments) and free of any bandwidth.
module RateLab.Analysis.Metrics.EnergyDistance

open RateLab.Analysis.Metrics.SampleEstimate

let private distance (a: float[]) (b: float[]) =
    let mutable s = 0.0

    for i in 0 .. a.Length - 1 do
        let t = a.[i] - b.[i]
        s <- s + t * t

    sqrt s

/// Unbiased energy distance between samples x and y, with jackknife standard error and floor.
let energyDistance (x: float[][]) (y: float[][]) : SampleEstimate =
    TwoSampleU.estimate (fun a b -> -(distance a b)) x y
    |> TwoSampleU.toSampleEstimate
