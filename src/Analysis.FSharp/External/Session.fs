/// One Python process speaking the step protocol: started with the bridge package on PYTHONPATH, checked by its
/// handshake, asked one request at a time, and ended with `bye`. Failures become one-line exceptions: a usage error
/// (ArgumentException, exit 2) for what the user named wrongly, a failure (exit 1) for a sampler that broke.
module RateLab.Analysis.External.Session

open System
open System.Diagnostics
open System.IO
open System.Text
open RateLab.Analysis.External.Protocol

/// Where the package lives in the repository, relative to its root.
let private packagePath = Path.Combine("bridge", "python")

let private hasPackage (dir: string) =
    File.Exists(Path.Combine(dir, "ratelab_bridge", "__init__.py"))

/// The folder holding ratelab_bridge: the given one, else $RATELAB_BRIDGE, else bridge/python above the program or
/// the working directory.
let bridgeDirectory (given: string option) =
    let rec up (dir: DirectoryInfo | null) =
        match dir with
        | null -> None
        | dir ->
            let candidate = Path.Combine(dir.FullName, packagePath)

            if hasPackage candidate then
                Some candidate
            else
                up dir.Parent

    match
        given
        |> Option.orElse (Option.ofObj (Environment.GetEnvironmentVariable "RATELAB_BRIDGE"))
    with
    | Some dir when hasPackage dir -> Path.GetFullPath dir
    | Some dir ->
        let message =
            $"--bridge = {dir}: no ratelab_bridge package there; allowed: the repository {packagePath}"

        raise (ArgumentException message)
    | None ->
        let found = up (DirectoryInfo AppContext.BaseDirectory)

        match found |> Option.orElse (up (DirectoryInfo Environment.CurrentDirectory)) with
        | Some dir -> dir
        | None ->
            let message =
                $"--bridge: {packagePath}/ratelab_bridge not found above the program or here; give --bridge DIR"

            raise (ArgumentException message)

/// The last line Python wrote to stderr (a traceback's exception), for a process that stopped answering.
let private tail (text: StringBuilder) =
    let lines =
        text.ToString().Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries)

    if lines.Length = 0 then
        "no message on stderr"
    else
        lines[lines.Length - 1].Trim()

/// A running bridge process.
type Bridge(python: string, bridgeDir: string) =
    let errors = StringBuilder()

    let proc =
        let info =
            ProcessStartInfo(
                python,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false
            )

        info.ArgumentList.Add "-m"
        info.ArgumentList.Add "ratelab_bridge"
        info.Environment["PYTHONPATH"] <- bridgeDir
        info.Environment["PYTHONDONTWRITEBYTECODE"] <- "1"

        try
            nonNull (Process.Start info)
        with :? ComponentModel.Win32Exception as e ->
            let why = e.Message
            raise (ArgumentException $"--python = {python}: cannot be started ({why}); allowed: a Python 3 with NumPy")

    do
        proc.ErrorDataReceived.Add(fun e ->
            match e.Data with
            | null -> ()
            | line -> lock errors (fun () -> errors.AppendLine line |> ignore))

        proc.BeginErrorReadLine()

    let readLine () =
        match proc.StandardOutput.ReadLine() with
        | null ->
            proc.WaitForExit 5000 |> ignore
            let why = lock errors (fun () -> tail errors)
            failwith $"the Python bridge ({python}) stopped answering: {why}"
        | line -> line

    do
        match checkHello (readLine ()) with
        | Some problem -> failwith problem
        | None -> ()

    /// Sends one request line and returns the reply object; a reported failure is raised.
    member _.Ask(line: string) =
        proc.StandardInput.WriteLine line
        proc.StandardInput.Flush()

        match reply (readLine ()) with
        | Ok o -> o
        | Error(Usage message) -> raise (ArgumentException message)
        | Error(SamplerFault message) -> failwith $"the sampler failed: {message}"
        | Error(ProtocolFault message) -> failwith $"bridge protocol error: {message}"

    interface IDisposable with
        member _.Dispose() =
            try
                if not proc.HasExited then
                    proc.StandardInput.WriteLine(bye ())
                    proc.StandardInput.Close()

                    if not (proc.WaitForExit 5000) then
                        proc.Kill true
            with :? IOException ->
                ()

            proc.Dispose()
