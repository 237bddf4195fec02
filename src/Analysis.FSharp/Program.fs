module RateLab.Analysis.Program

open RateLab.Analysis.Cli

[<EntryPoint>]
let main argv =
    Commands.execute Wiring.services (Ui.console ()) argv
