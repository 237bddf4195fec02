/// The one call: a spec in, an Expecto test list (or plain outcomes) out, one entry per property that applies.
module RateLab.Testing.Kit

open Expecto
open RateLab.Testing.Checks

/// Monte Carlo cases the exact-law comparison draws (each compares every coordinate at 5 SE).
let monteCarloCases = 4

/// The properties that apply to a spec, by name, each as a deferred check. Those that need the exact engine are left
/// out for kernels that declare themselves not affine on Gaussian targets (Metropolis-adjusted ones).
let properties (spec: KernelSpec) : (string * (unit -> Outcome)) list =
    // A Build that throws is reported by every check that calls it, not here.
    let affine =
        try
            (spec.Build spec.Target.Reduction (List.head spec.StepCounts)).Kernel.IsAffineOnGaussians
        with _ ->
            true

    [ if affine then
          yield
              "exact law agrees with Monte Carlo within 5 SE",
              (fun () -> exactAgreesWithMonteCarlo spec (mcCases spec monteCarloCases))
      yield "bit-reproducible under thread count and batch split", (fun () -> reproducible spec)
      match spec.Cost with
      | Some cost -> yield "counted NFE equals the declared cost", (fun () -> countedCost spec cost)
      | None -> ()
      match spec.Invariant with
      | Some law when affine -> yield "the declared invariant law is stationary", (fun () -> stationary spec law)
      | _ -> ()
      match spec.Order with
      | Some declared when affine ->
          yield $"error decays at the declared order {declared.Order}", (fun () -> order spec declared)
      | _ -> ()
      yield "no allocation per step", (fun () -> allocationFree spec)
      if not spec.Invalid.IsEmpty then
          yield "invalid parameters are refused", (fun () -> refusesInvalid spec) ]

// A check that throws (a kernel breaking the engine's contract, say) fails with the exception's one-line message.
let private run (check: unit -> Outcome) : Outcome =
    try
        check ()
    with e ->
        Error $"{e.GetType().Name}: {e.Message}"

/// The spec's properties as an Expecto test list named after the kernel; a failure's message is the check's.
let tests (spec: KernelSpec) : Test =
    testList
        spec.Name
        [ for name, check in properties spec ->
              testCase name (fun () ->
                  match run check with
                  | Ok _ -> ()
                  | Error message -> failtest $"{spec.Name}: {message}") ]

/// Every property run at once, in order: (property, outcome). For programs that report without Expecto.
let check (spec: KernelSpec) : (string * Outcome) list =
    properties spec |> List.map (fun (name, property) -> name, run property)
