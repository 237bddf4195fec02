/// RateLab's drift network and TB gradient against an independent PyTorch twin (bench/peers/torch_network.py).
module RateLab.Properties.Boltzmann.TorchCrossCheckTests

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open Expecto
open RateLab.Boltzmann

let private python = "/usr/bin/python3"

/// Runs python with arguments; (exit code, stdout, stderr), or None if it cannot be started.
let private run (args: string list) =
    try
        let info =
            ProcessStartInfo(python, RedirectStandardOutput = true, RedirectStandardError = true)

        args |> List.iter info.ArgumentList.Add
        use p = nonNull (Process.Start info)
        let out = p.StandardOutput.ReadToEndAsync()
        let err = p.StandardError.ReadToEndAsync()

        if p.WaitForExit 300_000 then
            Some(p.ExitCode, out.Result, err.Result)
        else
            p.Kill true
            Some(-1, "", "timed out")
    with :? ComponentModel.Win32Exception ->
        None

/// Why the cross-check cannot run here, if it cannot.
let private unavailable () =
    if not (File.Exists python) then
        Some $"{python} is missing"
    else
        match run [ "-c"; "import torch" ] with
        | Some(0, _, _) -> None
        | _ -> Some $"{python} cannot import torch (Debian: apt-get install python3-torch)"

/// The repository's bench/peers/torch_network.py, found from the test binary's folder upwards.
let private script () =
    let rec up (dir: DirectoryInfo | null) =
        match dir with
        | null -> failwith "bench/peers/torch_network.py not found above the test binary"
        | dir ->
            let p = Path.Combine(dir.FullName, "bench", "peers", "torch_network.py")
            if File.Exists p then p else up dir.Parent

    up (DirectoryInfo AppContext.BaseDirectory)

// Each gradient entry is a sum over B·N = 6000 rows of products formed in the same order up to FMA contraction and
// library sin/cos/erf; the worst-case bound γ₆₀₀₀ ≈ 6.7e-13 relative to Σ|terms| gives the 1e-12 (normwise) bound.
// The case is fixed (seeded), so the test is deterministic: a failure is a real difference.
let private crossCheck d =
    match unavailable () with
    | Some reason -> skiptest reason
    | None ->
        let path = Path.Combine(Path.GetTempPath(), $"ratelab-nn-{Guid.NewGuid()}.json")

        try
            CrossCheckCase.Write(path, d)

            match run [ script (); "check"; path ] with
            | Some(0, out, _) ->
                use doc = JsonDocument.Parse out
                let r = doc.RootElement
                let loss = r.GetProperty("loss_relative_difference").GetDouble()
                let grad = r.GetProperty("gradient_max_relative_difference").GetDouble()
                Expect.isLessThanOrEqual loss 1e-13 $"loss relative difference (d = {d})"
                Expect.isLessThanOrEqual grad 1e-12 $"gradient max relative difference (d = {d})"
            | Some(code, _, err) -> failtest $"torch_network.py exited with {code}: {err}"
            | None -> failtest "python could not be started"
        finally
            File.Delete path

[<Tests>]
let tests =
    testList
        "Boltzmann.TorchCrossCheck"
        [ test "TB loss and θ-gradient equal PyTorch's to rounding (d = 2, B = 300, N = 20)" { crossCheck 2 }
          test "TB loss and θ-gradient equal PyTorch's to rounding (d = 32, B = 300, N = 20)" { crossCheck 32 } ]
