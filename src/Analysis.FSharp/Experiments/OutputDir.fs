/// The output directory of `run` and `report`, checked before any work so a bad --out fails in a second rather than
/// after the first experiment.
module RateLab.Analysis.Experiments.OutputDir

open System
open System.IO

let private refuse (option: string) (problem: string) : 'a =
    raise (ArgumentException($"{option}: {problem}"))

/// Requires a non-empty path that is or can become a directory in which files can be created and deleted (probed by
/// creating and deleting a file). Creates the directory. Returns its full path.
let check (option: string) (path: string) : string =
    if String.IsNullOrWhiteSpace path then
        refuse option $"expected a directory path, got \"{path}\""

    let full =
        try
            Path.GetFullPath path
        with
        | :? ArgumentException
        | :? NotSupportedException
        | :? PathTooLongException as ex -> refuse option $"\"{path}\" is not a valid path ({ex.Message})"

    if File.Exists full then
        refuse option $"\"{path}\" is a file; expected a directory"

    try
        Directory.CreateDirectory full |> ignore
        let probe = Path.Combine(full, $".ratelab-probe-{Guid.NewGuid():N}")
        File.WriteAllBytes(probe, [| 0uy |])
        File.Delete probe
    with
    | :? IOException
    | :? UnauthorizedAccessException as ex -> refuse option $"\"{path}\" is not a writable directory ({ex.Message})"

    full
