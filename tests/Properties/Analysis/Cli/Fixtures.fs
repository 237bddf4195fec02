/// What the command-line tests share: the contract every refused input must meet.
module RateLab.Properties.Analysis.Cli.Fixtures

open System.Text.RegularExpressions
open Expecto

let private exceptionName =
    Regex(@"\b\w*Exception\b|   at ", RegexOptions.CultureInvariant)

/// The contract of a refused input: exit 2, one line, "ratelab: " first, the name present, no trace, no work done.
let refused (label: string) (name: string) (code: int) (err: string) (calls: int) =
    Expect.equal code 2 $"exit code for {label}: {err}"
    Expect.isFalse (err.Contains '\n') $"one line for {label}: {err}"
    Expect.stringStarts err $"ratelab: {name}" $"names {name} first for {label}"
    Expect.isFalse (exceptionName.IsMatch err) $"no stack trace or exception type for {label}: {err}"
    Expect.equal calls 0 $"nothing ran for {label}"
