module RateLab.Analysis.Program

open RateLab.Analysis.Cli

[<EntryPoint>]
let main argv =
    Commands.execute Services.unwired (Ui.console ()) argv
