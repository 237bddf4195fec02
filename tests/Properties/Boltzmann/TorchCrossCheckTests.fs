/// RateLab's drift network and TB gradient against an independent PyTorch twin (bench/peers/torch_network.py), and
/// its TB, DB, SubTB and KL losses, gradients and log Z estimators against the authors' own gfn-diffusion code
/// (bench/peers/gfn_diffusion_check.py; runs when RATELAB_GFN_DIFFUSION names a clone of it), and the study's
/// benchmark targets against the authors' energies.
module RateLab.Properties.Boltzmann.TorchCrossCheckTests

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open Expecto
open RateLab.Boltzmann
open RateLab.Core.Targets.Benchmarks
open RateLab.Analysis.Studies.BoltzmannStudies

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

/// The repository's bench/peers/NAME, found from the test binary's folder upwards.
let private script name =
    let rec up (dir: DirectoryInfo | null) =
        match dir with
        | null -> failwith $"bench/peers/{name} not found above the test binary"
        | dir ->
            let p = Path.Combine(dir.FullName, "bench", "peers", name)
            if File.Exists p then p else up dir.Parent

    up (DirectoryInfo AppContext.BaseDirectory)

/// Runs bench/peers/NAME with `args` and hands its JSON line to `check`. Any other outcome fails the test with the
/// command, its exit code and its error output, except exit code `skipOn`, which skips it with that output.
let private peerJson (skipOn: int option) name (args: string list) (check: JsonElement -> 'a) : 'a =
    match run (script name :: args) with
    | Some(0, out, _) ->
        use doc = JsonDocument.Parse out
        check doc.RootElement
    | Some(code, _, err) when Some code = skipOn -> skiptest err
    | Some(code, _, err) -> failtest $"""{String.concat " " (name :: args)} exited with {code}: {err}"""
    | None -> failtest "python could not be started"

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

            peerJson None "torch_network.py" [ "check"; path ] (fun r ->
                let loss = r.GetProperty("loss_relative_difference").GetDouble()
                let grad = r.GetProperty("gradient_max_relative_difference").GetDouble()
                Expect.isLessThanOrEqual loss 1e-13 $"loss relative difference (d = {d})"
                Expect.isLessThanOrEqual grad 1e-12 $"gradient max relative difference (d = {d})")
        finally
            File.Delete path

/// The clone of gfn-diffusion named by RATELAB_GFN_DIFFUSION, or why the check cannot run.
let private authorsCheckout () =
    match Environment.GetEnvironmentVariable "RATELAB_GFN_DIFFUSION" with
    | null
    | "" -> Error "RATELAB_GFN_DIFFUSION is not set (a clone of github.com/GFNOrg/gfn-diffusion)"
    | dir when not (Directory.Exists(Path.Combine(dir, "energy_sampling"))) ->
        Error $"RATELAB_GFN_DIFFUSION = {dir} has no energy_sampling/ folder"
    | dir -> Ok dir

/// Runs `f` on the authors' clone; skips where python with torch or the clone is missing.
let private withAuthors (f: string -> unit) =
    match unavailable (), authorsCheckout () with
    | Some reason, _
    | None, Error reason -> skiptest reason
    | None, Ok checkout -> f checkout

/// Exit code of gfn_diffusion_check.py for a non-uniform grid on a checkout that steps uniform grids only (main).
let private uniformOnly = 3

/// Writes a case with `write`, runs gfn_diffusion_check.py (with `mode`, if any) on it and the authors' clone, and hands
/// its JSON line to `check`; skips where python with torch or the clone is missing, or the checkout cannot run the case.
let private authors (mode: string list) (write: string -> unit) (check: JsonElement -> unit) =
    withAuthors (fun checkout ->
        let path = Path.Combine(Path.GetTempPath(), $"ratelab-gfn-{Guid.NewGuid()}.json")

        try
            write path

            peerJson (Some uniformOnly) "gfn_diffusion_check.py" (mode @ [ path; checkout ]) check
        finally
            File.Delete path)

// The authors' sampling loop retraces RateLab's states (their normals are replayed), so every compared quantity is the
// same sum formed by two codes in float64: per-step log-densities are sums of d terms, log weights and the loss sums of
// 2N·d terms, the gradient the torch check's 6000-row sums (same 1e-12 bound), the ELBO and importance-weighted log Z
// means of B = 300 log weights of size O(10²): 1e-12 absolute is ~10⁴ ulps of those. Deterministic (seeded case).
let private authorsCheck objective kind d =
    authors [] (fun path -> CrossCheckCase.Write(path, d, kind = kind, objective = objective)) (fun r ->
        let get (name: string) = r.GetProperty(name).GetDouble()

        for name in
            [ "log_forward_max_relative_difference"
              "log_backward_max_relative_difference"
              "log_weights_max_relative_difference"
              "loss_relative_difference" ] do
            Expect.isLessThanOrEqual (get name) 1e-13 $"{name} (d = {d})"

        let second =
            match objective with
            | Objective.TrajectoryBalance -> [ "log_z_gradient_relative_difference" ]
            | Objective.KullbackLeibler -> []
            | _ -> [ "flow_head_gradient_max_relative_difference" ]

        for name in "gradient_max_relative_difference" :: second do
            Expect.isLessThanOrEqual (get name) 1e-12 $"{name} (d = {d})"

        for name in [ "elbo_difference"; "importance_weighted_difference" ] do
            Expect.isLessThanOrEqual (abs (get name)) 1e-12 $"{name} (d = {d})")

// Ten Adam steps from the same start on the same trajectories: each step moves a parameter by at most its learning rate
// times m̂/(√v̂ + ε), a smooth function of gradients that agree to ~1e-14 (above), so the end points agree to ~1e-13 of
// the largest parameter unless a gradient entry sat at rounding level (then Adam's normalisation could amplify it to a
// learning-rate-sized difference; the seeded case has none, and the test would show one). The parameters must also
// have moved (non-vacuous).
let private authorsTraining kind objective =
    authors [ "train" ] (fun path -> TrainingCrossCheck.Write(path, objective, kind)) (fun r ->
        Expect.isGreaterThan (r.GetProperty("policy_moved").GetDouble()) 1e-4 $"{objective}: the policy trained"

        for p in r.EnumerateObject() do
            if p.Name.EndsWith "difference" then
                Expect.isLessThanOrEqual (p.Value.GetDouble()) 1e-11 $"{objective}: {p.Name}")

// A log-reward is a sum of at most d = 32 terms (Manywell, Funnel) or a log-sum-exp over 25 components (25GMM), and so
// is its gradient; both codes form them in float64, in other orders and with other library log/exp, so they agree to a
// few ulps of the largest value: 1e-13 normwise. log Z: their Manywell Z₁ = 11784.50927 is printed to 5 decimals (error
// ≤ 5e-6, relative ≤ 4.3e-10), ours is adaptive quadrature to 1e-13; the 16 wells multiply the difference of log Z₁ by
// 16: at most 6.8e-9, hence 1e-8. Deterministic (seeded points).
let private authorsEnergy (b: Benchmark) energy =
    let target = b.Create()

    let logZ =
        match target with
        | :? IKnownLogNormaliser as k -> k.LogNormaliser
        | _ -> failtest $"{b.Name} has no known log Z"

    authors [ "energy" ] (fun path -> EnergyCrossCheck.Write(path, energy, target, logZ)) (fun r ->
        let get (name: string) = r.GetProperty(name).GetDouble()
        Expect.isLessThanOrEqual (get "log_reward_max_relative_difference") 1e-13 $"{b.Name}: log R"
        Expect.isLessThanOrEqual (get "score_max_relative_difference") 1e-13 $"{b.Name}: ∇ log R"
        Expect.isLessThanOrEqual (abs (get "log_z_difference")) 1e-8 $"{b.Name}: log Z")

// The authors' training by the peer script, 20 loop steps in one process against 10, a checkpoint, and 10 more in a
// second process: the weights, Adam's state and the generators are restored, so the final evaluation (same draws)
// must print the same ΔlogZ and ΔlogZ^RW to the bit. The first half must differ from both (non-vacuous). Deterministic.
let private authorsResume () =
    withAuthors (fun checkout ->
        let checkpoint =
            Path.Combine(Path.GetTempPath(), $"ratelab-gfn-{Guid.NewGuid()}.ckpt")

        let train iterations (extra: string list) =
            peerJson
                None
                "gfn_diffusion_train.py"
                ([ checkout; "hard_funnel"; string iterations; "7" ] @ extra)
                (fun r -> r.GetProperty("delta_log_z").GetDouble(), r.GetProperty("delta_log_z_rw").GetDouble())

        try
            let straight = train 19 []
            let half = train 9 [ "--checkpoint"; checkpoint ]
            let resumed = train 19 [ "--checkpoint"; checkpoint ]
            Expect.notEqual half straight "ten loop steps fewer give another model"
            Expect.equal resumed straight "resumed from the checkpoint, the run ends where the uninterrupted one does"
        finally
            File.Delete checkpoint)

[<Tests>]
let tests =
    testList
        "Boltzmann.TorchCrossCheck"
        [ test "TB loss and θ-gradient equal PyTorch's to rounding (d = 2, B = 300, N = 20)" { crossCheck 2 }
          test "TB loss and θ-gradient equal PyTorch's to rounding (d = 32, B = 300, N = 20)" { crossCheck 32 }
          for kind in [ GridKind.Uniform; GridKind.Random ] do
              for objective in
                  [ Objective.TrajectoryBalance
                    Objective.DetailedBalance
                    Objective.SubTrajectoryBalance
                    Objective.KullbackLeibler ] do
                  test
                      $"{objective} equals the authors' gfn-diffusion code: loss, gradients, log Z estimates ({kind} grid)" {
                      authorsCheck objective kind 10
                  }

              test $"ten training iterations of every objective end where the authors' optimiser ends ({kind} grid)" {
                  for objective in Enum.GetValues<Objective>() do
                      authorsTraining kind objective
              }
          for b, energy in [ gmm25, "25gmm"; funnel, "hard_funnel"; manywell, "many_well" ] do
              test $"{b.Name}: log R, its gradient and log Z equal the authors' {energy} energy" {
                  authorsEnergy b energy
              }
          test "the authors' training resumed from the peer script's checkpoint ends with the uninterrupted run's bits" {
              authorsResume ()
          } ]
