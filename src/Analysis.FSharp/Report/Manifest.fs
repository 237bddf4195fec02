/// manifest.json: what produced a report (version, commit, seeds, profile), where (OS, cores, CPU, .NET) and how long
/// it took, so a reader can tell whether two reports are comparable.
module RateLab.Analysis.Report.Manifest

open System
open System.Diagnostics
open System.IO
open System.Reflection
open System.Runtime.InteropServices
open System.Text.Json.Nodes

/// The machine a report ran on.
type Machine =
    { Os: string
      Cores: int
      CpuModel: string
      DotNet: string }

/// The provenance of a report.
type Manifest =
    { Version: string
      Commit: string
      Seeds: uint64 list
      Profile: string
      Machine: Machine
      WallTimeSeconds: float
      CreatedUtc: DateTime }

/// The program's version (assembly informational version).
let version () =
    let asm = Assembly.GetExecutingAssembly()

    match asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>() with
    | null -> string (asm.GetName().Version)
    | a -> a.InformationalVersion

/// `git rev-parse HEAD` in the current directory, or "unknown" when git or the repository is unavailable.
let gitCommit () =
    try
        let psi =
            ProcessStartInfo("git", "rev-parse HEAD", RedirectStandardOutput = true, RedirectStandardError = true)

        use p = nonNull (Process.Start psi)
        let out = p.StandardOutput.ReadToEnd().Trim()
        p.WaitForExit()
        if p.ExitCode = 0 && out.Length > 0 then out else "unknown"
    with _ ->
        "unknown"

/// The "model name" line of /proc/cpuinfo, or "unknown" off Linux.
let cpuModel () =
    try
        File.ReadLines "/proc/cpuinfo"
        |> Seq.tryFind (fun l -> l.StartsWith("model name", StringComparison.Ordinal))
        |> Option.map (fun l -> l.Substring(l.IndexOf(':') + 1).Trim())
        |> Option.defaultValue "unknown"
    with _ ->
        "unknown"

/// The current machine.
let machine () =
    { Os = RuntimeInformation.OSDescription
      Cores = Environment.ProcessorCount
      CpuModel = cpuModel ()
      DotNet = RuntimeInformation.FrameworkDescription }

/// A manifest of the current program and machine.
let collect (profile: string) (seeds: uint64 list) (wall: TimeSpan) =
    { Version = version ()
      Commit = gitCommit ()
      Seeds = seeds
      Profile = profile
      Machine = machine ()
      WallTimeSeconds = wall.TotalSeconds
      CreatedUtc = DateTime.UtcNow }

/// The manifest as JSON.
let toJson (m: Manifest) : JsonNode =
    let s (v: string) : JsonNode = nonNull (JsonValue.Create v)
    let o = JsonObject()
    o["version"] <- s m.Version
    o["commit"] <- s m.Commit

    o["seeds"] <-
        JsonArray(
            m.Seeds
            |> List.map (fun x -> JsonValue.Create x :> JsonNode |> Some |> Option.toObj)
            |> List.toArray
        )

    o["profile"] <- s m.Profile
    let machine = JsonObject()
    machine["os"] <- s m.Machine.Os
    machine["cores"] <- JsonValue.Create m.Machine.Cores
    machine["cpu_model"] <- s m.Machine.CpuModel
    machine["dotnet"] <- s m.Machine.DotNet
    o["machine"] <- machine
    o["wall_time_seconds"] <- JsonValue.Create m.WallTimeSeconds
    o["created_utc"] <- s (m.CreatedUtc.ToString("o"))
    o
