/// Everything about a run that can be refused is refused here, before any work: unknown names, parameters outside
/// their declared ranges, step counts the schedules cannot hold, step sizes beyond a known stability limit, and runs
/// whose estimated memory exceeds what the machine has. Each refusal is one usage error naming the input at fault.
module RateLab.Analysis.Studies.Preflight

open System
open System.IO
open RateLab.Core.Contracts
open RateLab.Core.Exact
open RateLab.Core.Samplers
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Experiments.Parameters
open RateLab.Analysis.Studies.Catalog

/// How the checked inputs are named in messages: spec paths for `run`, options for `exact`.
type Names =
    { SamplerName: string
      Sampler: Origin
      TargetName: string
      Target: Origin
      Dimension: int -> string
      Steps: int -> string
      Replicates: string }

/// One planned evaluation grid: every dimension with every step count, each with `Replicates` draw replicates.
type Plan =
    { Sampler: Component
      Target: Component
      Dimensions: int list
      Steps: int list
      Replicates: int }

/// The names of a spec's fields.
let specNames =
    { SamplerName = "spec.sampler.name"
      Sampler = fun p -> $"spec.sampler.parameters.{p}"
      TargetName = "spec.target.name"
      Target = fun p -> $"spec.target.parameters.{p}"
      Dimension = fun i -> $"spec.dimensions[{i}]"
      Steps = fun i -> $"spec.steps[{i}]"
      Replicates = "spec.chains" }

/// The names of `ratelab exact`'s options.
let exactNames =
    { SamplerName = "--sampler"
      Sampler = fun p -> $"--param {p}"
      TargetName = "--target"
      Target = fun p -> $"--target-param {p}"
      Dimension = fun _ -> "--d"
      Steps = fun _ -> "--steps"
      Replicates = "--replicates" }

let private refuseAt (path: string) (problem: string) : 'a = raise (SpecException(path, problem))

/// Memory the process may still use: the smaller of the GC's limit (physical memory or a container limit) and the
/// kernel's MemAvailable, where /proc/meminfo exists.
let availableBytes () : int64 =
    let gc = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes

    let meminfo =
        try
            File.ReadLines "/proc/meminfo"
            |> Seq.tryFind (fun l -> l.StartsWith("MemAvailable:", StringComparison.Ordinal))
            |> Option.bind (fun l ->
                match Int64.TryParse(l.Substring(13).Replace("kB", "").Trim()) with
                | true, kb -> Some(kb * 1024L)
                | _ -> None)
        with
        | :? IOException
        | :? UnauthorizedAccessException -> None

    match meminfo with
    | Some m -> min gc m
    | None -> gc

/// What the memory estimate needs to know about a kernel, read from the kernel built on one coordinate.
type KernelShape =
    {
        Blocks: int
        AuxLength: int
        /// A time-homogeneous kernel draws no uniforms, so the engine keeps one draw, not one per replicate.
        DrawsNothing: bool
    }

/// Coordinates per block of the exact engine (ExactOptions.BlockCoordinates' default).
let blockCoordinates = ExactOptions().BlockCoordinates

/// Bytes of one estimate, itemised so the figure can be checked against the engine's allocations. Per coordinate:
/// the problem (mean, variance) and start law (mean, sd), the reduction's worst case (five arrays, a coordinate map
/// and a dictionary entry of about 56 bytes when coordinates repeat), the law (Blocks means and Blocks(Blocks+1)/2
/// packed covariances) and its position view with the reference (three arrays). Per block: one distance record of
/// about 72 bytes per replicate plus the block's record. Per step: the schedule's doubles. Plus 64 MiB for the
/// runtime and the per-thread block working sets. A worst case (172 bytes per coordinate for one block; measured peak
/// resident memory at d = 10⁷ was 48–94), so a refused run would not have fitted in the worst case. Checked
/// arithmetic: an overflow means "too large".
let estimateBytes (shape: KernelShape) (entry: SamplerEntry) (d: int) (n: int) (replicates: int) : int64 =
    let b = int64 shape.Blocks

    let perCoordinate =
        Checked.(+) (8L * (2L + 2L + 5L + b + b * (b + 1L) / 2L + 3L)) 60L

    let kept = if shape.DrawsNothing then 1L else int64 replicates
    let blocks = (int64 d + int64 blockCoordinates - 1L) / int64 blockCoordinates
    let perBlock = Checked.(+) (Checked.(*) kept 72L) 128L

    let schedule =
        Checked.(*) (int64 entry.DoublesPerStep * 8L) (Checked.(+) (int64 n) 1L)

    let aux = Checked.(*) (Checked.(*) kept (int64 shape.AuxLength)) 8L

    Checked.(*) perCoordinate (int64 d)
    + Checked.(*) perBlock blocks
    + schedule
    + aux
    + (64L <<< 20)

let private stripParameterSuffix (ex: ArgumentException) =
    match ex.ParamName with
    | null -> ex.Message
    | p ->
        let suffix = $" (Parameter '{p}')"

        if ex.Message.EndsWith suffix then
            ex.Message.Substring(0, ex.Message.Length - suffix.Length)
        else
            ex.Message

/// Builds the sampler on one coordinate at step count n (cheap once n is known to fit), so a schedule that refuses n
/// (Li–Jiao's K | 2n, PLMC-DDPM's n | 1000) is refused before any work, naming the parameter or the step count.
let private shapeAt (names: Names) (entry: SamplerEntry) (plan: Plan) (i: int) (n: int) =
    // The kernel's shape does not depend on the target's law, so a standard normal stands in for every target.
    let problem =
        { Mean = [| 0.0 |]
          Variance = [| 1.0 |] }

    let start = startLaw entry plan.Sampler problem

    let reduction =
        GaussianReduction.Diagonal(ReadOnlySpan problem.Mean, ReadOnlySpan problem.Variance, start)

    try
        let kernel = (entry.Build plan.Sampler reduction n).Kernel

        { Blocks = kernel.Blocks
          AuxLength = kernel.AuxLength
          DrawsNothing = kernel :? ITimeHomogeneous }
    with :? ArgumentException as ex ->
        let problem = stripParameterSuffix ex

        match ex.ParamName with
        | null -> refuseAt (names.Steps i) $"at {n} steps: {problem}"
        | p when entry.Parameters |> List.exists (fun s -> s.Name = p) ->
            refuseAt (names.Sampler p) $"at {n} steps: {problem}"
        | _ -> refuseAt (names.Steps i) $"at {n} steps: {problem}"

let private checkMemory available (names: Names) entry shape (plan: Plan) =
    let nMax = List.max plan.Steps
    let iMax = List.findIndex ((=) nMax) plan.Steps

    plan.Dimensions
    |> List.iteri (fun i d ->
        let packed = int64 shape.Blocks * int64 (shape.Blocks + 1) / 2L

        if packed * int64 d > int64 Array.MaxLength then
            refuseAt
                (names.Dimension i)
                ($"d = {d} exceeds the largest array the exact engine holds ({packed}·d ≤ {Array.MaxLength}); "
                 + $"allowed: d ≤ {int64 Array.MaxLength / packed}")

        let bytes dims replicates =
            try
                estimateBytes shape entry dims nMax replicates
            with :? OverflowException ->
                Int64.MaxValue

        let need = bytes d plan.Replicates

        if need > available then
            let detail =
                $"needs an estimated {need} bytes; allowed: at most {available} bytes (available memory)"

            if bytes 1 2 > available then
                refuseAt (names.Steps iMax) $"{nMax} steps with d = {d} {detail}"
            elif bytes d 2 > available then
                refuseAt (names.Dimension i) $"d = {d} {detail}"
            else
                refuseAt names.Replicates $"{plan.Replicates} replicates at d = {d} {detail}")

let private checkStability (names: Names) (entry: SamplerEntry) (plan: Plan) =
    match entry.Stability plan.Sampler with
    | Stability.NoKnownLimit -> ()
    | rule ->
        for d in plan.Dimensions do
            match (target plan.Target.Name).Extremes plan.Target d with
            | None -> ()
            | Some(lamMin, lamMax) ->
                for n in plan.Steps do
                    match entry.Step plan.Sampler n with
                    | Some(name, step) when not (Stability.stable rule step lamMin lamMax) ->
                        let limit = Stability.limit rule lamMin lamMax
                        let show x = showParam (Number x)

                        let where =
                            $"{entry.Name} is unstable on this target (variances in [{show lamMin}, {show lamMax}])"

                        if name = "horizon" then
                            let allowed =
                                match limit with
                                | Some x -> $"horizon < {show (x * float n)} at {n} steps (a step below {show x})"
                                | None -> "a shorter horizon"

                            refuseAt
                                (names.Sampler name)
                                ($"horizon = {show (step * float n)} gives the step {show step} at {n} steps, "
                                 + $"where {where}; allowed: {allowed}")
                        else
                            let allowed =
                                limit
                                |> Option.map (fun x -> $"{name} < {show x}")
                                |> Option.defaultValue "a smaller step"

                            refuseAt
                                (names.Sampler name)
                                $"{name} = {show step} is beyond the stability limit: {where}; allowed: {allowed}"
                    | _ -> ()

/// Checks a plan against the catalog and the machine; raises a SpecException (a usage error) at the first problem.
let check (available: int64) (names: Names) (plan: Plan) =
    let entry =
        match samplers |> List.tryFind (fun e -> e.Name = plan.Sampler.Name) with
        | Some e -> e
        | None ->
            let known = String.Join(", ", samplers |> List.map (fun e -> e.Name))
            refuseAt names.SamplerName $"unknown sampler \"{plan.Sampler.Name}\"; known: {known}"

    let targetEntry =
        match targets |> List.tryFind (fun e -> e.Name = plan.Target.Name) with
        | Some e -> e
        | None ->
            let known = String.Join(", ", targets |> List.map (fun e -> e.Name))
            refuseAt names.TargetName $"unknown target \"{plan.Target.Name}\"; known: {known}"

    checkSampler names.Sampler entry plan.Sampler
    checkTarget names.Target targetEntry plan.Target

    plan.Dimensions
    |> List.iteri (fun i d ->
        if d < 1 then
            refuseAt (names.Dimension i) $"expected an integer ≥ 1, got {d}")

    plan.Dimensions
    |> List.iteri (fun i d ->
        match targetEntry.Dimensions plan.Target d with
        | Some allowed ->
            refuseAt (names.Dimension i) $"d = {d} is out of range for {targetEntry.Name}; allowed: {allowed}"
        | None -> ())

    if plan.Replicates < 2 then
        refuseAt names.Replicates $"expected an integer ≥ 2, got {plan.Replicates}"

    plan.Steps
    |> List.iteri (fun i n ->
        if n < 1 || n > entry.MaxSteps then
            refuseAt (names.Steps i) $"expected an integer in [1, {entry.MaxSteps}] for {entry.Name}, got {n}")
    // The schedule of the largest n must fit before anything of that size is built.
    let nMax = List.max plan.Steps

    let scheduleBytes =
        try
            estimateBytes
                { Blocks = 1
                  AuxLength = 0
                  DrawsNothing = true }
                entry
                1
                nMax
                2
        with :? OverflowException ->
            Int64.MaxValue

    if scheduleBytes > available then
        refuseAt
            (names.Steps(List.findIndex ((=) nMax) plan.Steps))
            ($"{nMax} steps need an estimated {scheduleBytes} bytes; "
             + $"allowed: at most {available} bytes (available memory)")

    let shapes = plan.Steps |> List.mapi (shapeAt names entry plan)
    let shape = shapes |> List.maxBy (fun s -> s.Blocks)
    checkMemory available names entry shape plan
    checkStability names entry plan

/// The plan of a spec: its grid, with the replicates the runner uses (chains, at least 2).
let ofSpec (spec: ExperimentSpec) =
    { Sampler = spec.Sampler
      Target = spec.Target
      Dimensions = spec.Dimensions
      Steps = spec.Steps
      Replicates = max 2 spec.Chains }

/// Checks a spec before `run` does any work.
let checkSpec (available: int64) (spec: ExperimentSpec) = check available specNames (ofSpec spec)

/// Checks an `exact` query before any work (for the exact command's handler).
let checkExact (available: int64) (sampler: Component) (target: Component) (d: int) (steps: int) (replicates: int) =
    check
        available
        exactNames
        { Sampler = sampler
          Target = target
          Dimensions = [ d ]
          Steps = [ steps ]
          Replicates = replicates }
