module RateLab.Analysis.Program

[<EntryPoint>]
let main argv =
    eprintfn "ratelab: no sub-commands yet"
    2
