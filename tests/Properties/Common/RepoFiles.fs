/// Files of the repository and scratch folders for tests that run the real command line.
module RateLab.Properties.RepoFiles

open System
open System.IO

/// A repository file, found upwards from the test binary (tests run from bin/, not from the repository root).
let repoFile (relative: string) =
    let rec up (dir: DirectoryInfo) =
        let candidate = Path.Combine(dir.FullName, relative)

        if File.Exists candidate then
            candidate
        else
            match dir.Parent with
            | null -> failwith $"{relative} not found above {AppContext.BaseDirectory}"
            | parent -> up parent

    up (DirectoryInfo AppContext.BaseDirectory)

/// A new empty folder under the temp directory, named after what uses it.
let tempDir (purpose: string) =
    let dir = Path.Combine(Path.GetTempPath(), $"ratelab-{purpose}-{Guid.NewGuid():N}")
    Directory.CreateDirectory dir |> ignore
    dir
