/// What the bridge tests share: whether /usr/bin/python3 with NumPy (and PyTorch) is here, the reference samplers'
/// file, and `ratelab external` run through the real services with captured output.
module RateLab.Properties.Analysis.External.Fixtures

open System.Diagnostics
open System.IO
open Expecto
open RateLab.Analysis.Cli
open RateLab.Properties.RepoFiles
open RateLab.Properties.FakeServices

/// The interpreter CI installs python3-numpy and python3-torch for (deploy/setup-debian.sh).
let python = External.DebianPython

let private imports (modules: string) =
    try
        let info =
            ProcessStartInfo(python, RedirectStandardOutput = true, RedirectStandardError = true)

        info.ArgumentList.Add "-c"
        info.ArgumentList.Add $"import {modules}"
        use p = nonNull (Process.Start info)
        p.WaitForExit 120_000 && p.ExitCode = 0
    with :? System.ComponentModel.Win32Exception ->
        false

let private numpy = lazy (File.Exists python && imports "numpy")
let private torch = lazy (numpy.Value && imports "torch")

/// Skips the test (with the reason) unless python3 with NumPy is here.
let needNumpy () =
    if not numpy.Value then
        skiptest $"{python} with NumPy is not available (Debian: apt-get install python3-numpy)"

/// Skips the test (with the reason) unless python3 with PyTorch is here.
let needTorch () =
    needNumpy ()

    if not torch.Value then
        skiptest $"{python} cannot import torch (Debian: apt-get install python3-torch)"

/// SCRIPT:FUNCTION of a reference sampler written for these tests.
let reference (fn: string) =
    repoFile "bridge/python/reference/samplers.py" + ":" + fn

/// `ratelab external` with the real services: (exit code, stdout, stderr).
let external (args: string list) =
    let ui, out, err = captured ()

    let code =
        Commands.execute Wiring.services ui (List.toArray ("external" :: args @ [ "--python"; python ]))

    code, out.ToString(), err.ToString().TrimEnd()
