/// Console output of long commands: a live Spectre.Console progress display on a terminal, plain lines otherwise
/// (redirected output or CI=true), because live redraws garble logs.
module RateLab.Analysis.Cli.Ui

open System
open System.IO
open Spectre.Console
open RateLab.Analysis.Cli.Services

/// Where a command writes; Live selects the progress display.
type Ui =
    { Out: TextWriter
      Err: TextWriter
      Live: bool }

/// The process console: live only when stdout is a terminal and CI is not set to true.
let console () =
    let ci = Environment.GetEnvironmentVariable "CI"

    { Out = Console.Out
      Err = Console.Error
      Live =
        not Console.IsOutputRedirected
        && not (String.Equals(ci, "true", StringComparison.OrdinalIgnoreCase)) }

/// Prints one line of output (above the live display when it runs).
let line (ui: Ui) (text: string) =
    if ui.Live then
        AnsiConsole.WriteLine text
    else
        ui.Out.WriteLine text

/// Runs work that starts named tasks: each call of `start name` returns the task's progress sink. Live mode shows a
/// bar per task; plain mode prints one line when a task starts and one when it completes.
let withProgress (ui: Ui) (work: (string -> ProgressSink) -> 'T) : 'T =
    if ui.Live then
        AnsiConsole
            .Progress()
            .AutoClear(false)
            .Start(
                Func<ProgressContext, 'T>(fun ctx ->
                    work (fun name ->
                        let task = ctx.AddTask(Markup.Escape name, true, 1.0)
                        fun fraction -> task.Value <- Math.Clamp(fraction, 0.0, 1.0)))
            )
    else
        work (fun name ->
            ui.Out.WriteLine $"start {name}"

            fun fraction ->
                if fraction >= 1.0 then
                    ui.Out.WriteLine $"done  {name}")

/// Seconds as a short duration: 42 s, 3 min 05 s, 2 h 10 min.
let duration (seconds: float) =
    let s = int (Math.Round(max 0.0 seconds))

    if s < 60 then $"{s} s"
    elif s < 3600 then $"{s / 60} min {s % 60:D2} s"
    else $"{s / 3600} h {s % 3600 / 60:D2} min"

/// Progress over a known list of units of work (report sections) with cost weights: units done / total, elapsed,
/// and the time left extrapolated from the weight done so far.
type UnitCounter(total: int, totalWeight: float) =
    let clock = Diagnostics.Stopwatch.StartNew()
    let mutable finished = 0
    let mutable doneWeight = 0.0
    let gate = obj ()

    /// Called by each unit as it finishes, from whichever thread ran it.
    member _.Finish(weight: float) =
        lock gate (fun () ->
            finished <- finished + 1
            doneWeight <- doneWeight + weight)

    member _.Elapsed = clock.Elapsed.TotalSeconds

    /// "units 3/12, 40 s elapsed, about 2 min 00 s left" (no estimate before the first unit finishes).
    member this.Summary =
        let finished, doneWeight = lock gate (fun () -> finished, doneWeight)

        let left =
            if doneWeight <= 0.0 then
                "time left unknown"
            else
                "about "
                + duration (this.Elapsed * (totalWeight - doneWeight) / doneWeight)
                + " left"

        $"units {finished}/{total}, {duration this.Elapsed} elapsed, {left}"

/// Runs units of work with one overall display: `run key build` runs one unit and returns its result with its wall
/// seconds; `start name` starts an experiment inside the running unit. Live mode shows one overall bar (units done /
/// total, elapsed, time left) above a bar for the running experiment; plain mode prints a line per experiment and
/// per finished unit, prefixed by `label` (e.g. "shard 1/4: ").
let withUnits
    (ui: Ui)
    (label: string)
    (weights: (string * float) list)
    (work: (string -> ProgressSink) -> (string -> (unit -> 'S) -> 'S * float) -> 'T)
    : 'T =
    let weight = Map.ofList weights
    let counter = UnitCounter(weights.Length, List.sumBy snd weights)

    let timed (finished: string -> float -> unit) key (build: unit -> 'S) =
        let clock = Diagnostics.Stopwatch.StartNew()
        let result = build ()
        counter.Finish(Map.tryFind key weight |> Option.defaultValue 0.0)
        finished key clock.Elapsed.TotalSeconds
        result, clock.Elapsed.TotalSeconds

    if ui.Live then
        AnsiConsole
            .Progress()
            .AutoClear(true)
            .Start(
                Func<ProgressContext, 'T>(fun ctx ->
                    let overall =
                        ctx.AddTask(Markup.Escape(label + counter.Summary), true, float weights.Length)

                    let running = ctx.AddTask("waiting", true, 1.0)

                    let start name =
                        running.Description <- Markup.Escape name
                        running.Value <- 0.0
                        fun fraction -> running.Value <- Math.Clamp(fraction, 0.0, 1.0)

                    let finished _ _ =
                        overall.Increment 1.0
                        overall.Description <- Markup.Escape(label + counter.Summary)

                    work start (timed finished))
            )
    else
        let start name =
            ui.Out.WriteLine $"start {name}"

            fun fraction ->
                if fraction >= 1.0 then
                    ui.Out.WriteLine $"done  {name}"

        let finished key seconds =
            ui.Out.WriteLine $"{label}{key} finished in {duration seconds}; {counter.Summary}"

        work start (timed finished)
