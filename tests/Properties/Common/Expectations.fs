/// Expectations on refused arguments, shared by the tests of several folders.
module RateLab.Properties.Expectations

open System
open Expecto

/// Expects f to throw an ArgumentException whose message contains every one of the given fragments.
let rejects (fragments: string list) (f: unit -> 'a) =
    let message =
        try
            f () |> ignore
            None
        with :? ArgumentException as e ->
            Some e.Message

    match message with
    | None -> failtestf "expected an ArgumentException mentioning %A" fragments
    | Some m ->
        for s in fragments do
            Expect.stringContains m s $"message should name {s}"
