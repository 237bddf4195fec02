/// Summaries of a sample of independent values.
module RateLab.Analysis.Stats.Sample

/// The mean and its standard error s/√n, s the sample standard deviation; the error is NaN for fewer than two values
/// (one value shows no spread to estimate it from).
let meanSe (xs: #seq<float>) =
    let a = Array.ofSeq xs

    if a.Length = 0 then
        invalidArg "xs" "xs is empty; allowed: at least one value"

    let n = float a.Length
    let m = Array.average a

    let se =
        if a.Length < 2 then
            nan
        else
            sqrt ((a |> Array.sumBy (fun x -> (x - m) ** 2.0)) / (n - 1.0) / n)

    m, se
