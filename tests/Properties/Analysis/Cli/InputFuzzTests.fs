/// Generated bad inputs, through `Commands.execute` and through spec files: every one must be refused before any
/// work with exit 2 and exactly one stderr line "ratelab: …" that names the input at fault and shows no stack trace
/// or exception type. Inputs are drawn from the catalog's own declarations, so a new parameter is fuzzed for free.
module RateLab.Properties.Analysis.Cli.InputFuzzTests

open System
open System.Globalization
open System.IO
open Expecto
open FsCheck
open FsCheck.FSharp
open RateLab.Analysis.Experiments.Parameters
open RateLab.Analysis.Studies
open RateLab.Analysis.Cli
open RateLab.Properties.Generators
open RateLab.Properties.FakeServices
open RateLab.Properties.Analysis.Cli.Fixtures

/// Where a bad value sits: a sampler or target parameter, or one of the counts.
type Slot =
    | SamplerParam of string
    | TargetParam of string
    | Dimension
    | Steps

/// A run description with one defect planted, and the slot the message must name.
type BadRun =
    { Sampler: string
      SamplerParams: (string * string) list
      Target: string
      TargetParams: (string * string) list
      D: string
      Steps: string
      Fault: Slot }

    override r.ToString() = $"%A{r}"

let private show (x: float) =
    x.ToString("R", CultureInfo.InvariantCulture)

/// Values outside a numeric parameter's declared range (on each bounded side, at and beyond the bound).
let private outside (p: ParamSchema) =
    [ match p.Lower with
      | Some(Closed lo) -> yield! [ lo - max 1e-9 (abs lo * 1e-9); lo - 1.0; lo - 1e6 ]
      | Some(Open lo) -> yield! [ lo; lo - 1.0 ]
      | None -> ()
      match p.Upper with
      | Some(Closed hi) -> yield! [ hi + max 1e-9 (abs hi * 1e-9); hi + 1.0 ]
      | Some(Open hi) -> yield! [ hi; hi + 0.5 ]
      | None -> ()
      if p.Kind = Integer then
          yield 2.5 ]
    |> List.map show

/// Values of the wrong type or not finite for a parameter.
let private wrongType (p: ParamSchema) =
    match p.Kind with
    | Real
    | Integer -> [ "abc"; "true"; "NaN"; "Infinity"; "-Infinity"; "1e400" ]
    | Boolean -> [ "3"; "maybe"; "yes" ]
    | Choice _ -> [ "xyz"; "1"; "false" ]
    | FreeText _
    | FilePath _ -> [ "1"; "true" ]

/// A valid base run of a sampler: Langevin samplers get a small stable step, everything 20 steps in d = 3 (20 suits
/// every schedule: Li–Jiao needs c1·log n/n < 1 and 2n/K even, PLMC-DDPM needs n | 1000).
let private baseRun (entry: Catalog.SamplerEntry) =
    { Sampler = entry.Name
      SamplerParams =
        (if entry.Diffusion then
             []
         else
             [ entry.Parameters.Head.Name, "0.01" ])
      Target =
        (if entry.Diffusion then
             "gaussian-data"
         else
             "isotropic-gaussian")
      TargetParams = []
      D = "3"
      Steps = "20"
      Fault = Dimension }

let private withSamplerValue (run: BadRun) (name: string) value =
    // A horizon replaces the fixed step, so the planted value is the only problem.
    let others =
        run.SamplerParams
        |> List.filter (fun (k, _) -> k <> name && not (name = "horizon"))

    { run with
        SamplerParams = others @ [ name, value ]
        Fault = SamplerParam name }

let private samplerParamFaults =
    gen {
        let! entry = Gen.elements Catalog.samplers
        let run = baseRun entry
        let! p = Gen.elements entry.Parameters
        let! value = Gen.elements (outside p @ wrongType p)
        return withSamplerValue run p.Name value
    }

let private targetParamFaults =
    gen {
        let! entry = Gen.elements Catalog.samplers
        // Targets without parameters (many-well) have no parameter to plant a bad value in.
        let! target =
            Gen.elements (Catalog.targets |> List.filter (fun t -> not t.Parameters.IsEmpty))

        let! p = Gen.elements target.Parameters
        let! value = Gen.elements (outside p @ wrongType p)

        return
            { baseRun entry with
                Target = target.Name
                TargetParams = [ p.Name, value ]
                Fault = TargetParam p.Name }
    }

let private unknownNames =
    gen {
        let! entry = Gen.elements Catalog.samplers
        let! name = Gen.elements [ "zz"; "H"; "step"; "tau"; "x_1" ]
        let! onTarget = Gen.elements [ true; false ]
        let run = baseRun entry

        return
            if onTarget then
                { run with
                    TargetParams = [ name, "1" ]
                    Fault = TargetParam name }
            else
                { run with
                    SamplerParams = run.SamplerParams @ [ name, "1" ]
                    Fault = SamplerParam name }
    }

let private duplicates =
    gen {
        let! entry =
            Gen.elements (Catalog.samplers |> List.filter (fun e -> not e.Diffusion))

        let run = baseRun entry
        let name = fst run.SamplerParams.Head

        return
            { run with
                SamplerParams = run.SamplerParams @ [ name, "0.02" ]
                Fault = SamplerParam name }
    }

let private hugeCounts =
    gen {
        let! entry = Gen.elements Catalog.samplers
        let run = baseRun entry
        let! which = Gen.elements [ true; false ]
        // d beyond the largest array any kernel's law fits in; n beyond what the sampler's schedule supports.
        return
            if which || entry.MaxSteps = Int32.MaxValue then
                { run with
                    D = string (Array.MaxLength + 1)
                    Fault = Dimension }
            else
                { run with
                    Steps = string (int64 entry.MaxSteps + 1L)
                    Fault = Steps }
    }

let private genBad =
    Gen.frequency
        [ 4, samplerParamFaults
          3, targetParamFaults
          1, unknownNames
          1, duplicates
          1, hugeCounts ]

/// Arbitraries of this file.
type FuzzArbs =
    static member BadRun() = Arb.fromGen genBad

let private cfg =
    { config with
        arbitrary = typeof<FuzzArbs> :: config.arbitrary
        maxTest = 300 }

let private exactArgv (r: BadRun) =
    [| yield!
           [ "exact"
             "--sampler"
             r.Sampler
             "--target"
             r.Target
             "--d"
             r.D
             "--steps"
             r.Steps ]
       for k, v in r.SamplerParams do
           yield! [ "--param"; $"{k}={v}" ]
       for k, v in r.TargetParams do
           yield! [ "--target-param"; $"{k}={v}" ] |]

/// A value as JSON: numbers (1e400 included, which the parser reads as ∞), true/false, else a string.
let private jsonValue (v: string) =
    match v, Double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture) with
    | ("true" | "false"), _ -> v
    | _, (true, x) when Double.IsFinite x || v = "1e400" -> v
    | _ -> $"\"{v}\""

let private jsonObject (pairs: (string * string) list) =
    "{"
    + String.Join(", ", pairs |> List.map (fun (k, v) -> $"\"{k}\": {jsonValue v}"))
    + "}"

let private specText (r: BadRun) =
    $"""{{ "name": "fuzz", "sampler": {{ "name": "{r.Sampler}", "parameters": {jsonObject r.SamplerParams} }},
  "target": {{ "name": "{r.Target}", "parameters": {jsonObject r.TargetParams} }},
  "dimensions": [{r.D}], "metric": "kl_upper", "steps": [{r.Steps}], "chains": 2, "seeds": [1] }}"""

let private exactName (slot: Slot) =
    match slot with
    | SamplerParam p -> $"--param {p}"
    | TargetParam p -> $"--target-param {p}"
    | Dimension -> "--d"
    | Steps -> "--steps"

let private specName (slot: Slot) =
    match slot with
    | SamplerParam p -> $"spec.sampler.parameters.{p}"
    | TargetParam p -> $"spec.target.parameters.{p}"
    | Dimension -> "spec.dimensions[0]"
    | Steps -> "spec.steps[0]"

let private counting () =
    let calls = ref 0
    let services = fakeServices calls None

    calls,
    { services with
        ExactEval =
            fun q ->
                calls.Value <- calls.Value + 1
                services.ExactEval q }

[<Tests>]
let tests =
    testList
        "Analysis.Cli.InputFuzz"
        [ testPropertyWithConfig cfg "a bad exact command is refused naming the input"
          <| fun (r: BadRun) ->
              let calls, services = counting ()
              let ui, _, err = captured ()
              let code = Commands.execute services ui (exactArgv r)
              refused (String.Join(" ", exactArgv r)) (exactName r.Fault) code (err.ToString().TrimEnd()) calls.Value
          testPropertyWithConfig cfg "a bad spec is refused naming the field"
          <| fun (r: BadRun) ->
              use dir = new TempDir()
              let file = Path.Combine(dir.Path, "spec.json")
              // A repeated parameter cannot be written through a JSON object model, so the text is written directly.
              File.WriteAllText(file, specText r)
              let calls, services = counting ()
              let ui, _, err = captured ()

              let code =
                  Commands.execute services ui [| "run"; file; "--out"; Path.Combine(dir.Path, "out") |]

              refused (specText r) (specName r.Fault) code (err.ToString().TrimEnd()) calls.Value
              Expect.isFalse (Directory.Exists(Path.Combine(dir.Path, "out"))) "no output directory created" ]
