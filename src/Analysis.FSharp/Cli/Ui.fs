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
      Live = not Console.IsOutputRedirected && not (String.Equals(ci, "true", StringComparison.OrdinalIgnoreCase)) }

/// Prints one line of output (above the live display when it runs).
let line (ui: Ui) (text: string) =
    if ui.Live then AnsiConsole.WriteLine text else ui.Out.WriteLine text

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
                if fraction >= 1.0 then ui.Out.WriteLine $"done  {name}")
