module RateLab.Properties.Core.Samplers.Diffusion.ValidationTests

open System
open Expecto
open RateLab.Core.Diffusion
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Samplers.Diffusion.References

/// Expects ArgumentException (or ArgumentOutOfRangeException) whose ParamName and message name the parameter.
let private names (param: string) (f: unit -> 'a) =
    try
        f () |> ignore
        failtestf "no error for %s" param
    with :? ArgumentException as e ->
        Expect.equal e.ParamName param "parameter named"
        Expect.stringContains e.Message param "message names the parameter"

let private grid = [| NoiseLevel.FromOuTime 2.0; NoiseLevel.FromOuTime 0.1 |]

[<Tests>]
let tests =
    testList
        "Core.Samplers.Diffusion.Validation"
        [ test "Li-Jiao schedule: T >= 2" { names "T" (fun () -> LiJiaoSchedule(1, 1, 1.0, 2.0)) }
          test "Li-Jiao schedule: K divides 2T" { names "K" (fun () -> LiJiaoSchedule(10, 3, 1.0, 2.0)) }
          test "Li-Jiao schedule: N = 2T/K even" { names "K" (fun () -> LiJiaoSchedule(10, 4, 1.0, 2.0)) }
          test "Li-Jiao schedule: c0 > 0" { names "c0" (fun () -> LiJiaoSchedule(10, 2, 0.0, 2.0)) }
          test "Li-Jiao schedule: c1 > c0" { names "c1" (fun () -> LiJiaoSchedule(10, 2, 2.0, 2.0)) }
          test "Li-Jiao schedule: c1 log T / T < 1" { names "c1" (fun () -> LiJiaoSchedule(10, 2, 1.0, 4.5)) }
          test "Li-Jiao schedule: levels stay representable" {
              names "c1" (fun () -> LiJiaoSchedule(298, 1, 0.78, 47.15))
          }
          test "Li-Jiao parallel: M >= 1" {
              names "M" (fun () -> LiJiaoParallel(2, LiJiaoSchedule(10, 2, 1.0, 2.0), 0))
          }
          test "Li-Jiao: dimension >= 1" { names "d" (fun () -> LiJiao(0, LiJiaoSchedule(10, 2, 1.0, 2.0))) }
          test "Gupta predictor: grid strictly decreasing" {
              names "grid" (fun () -> GuptaCaiChenPredictor(1, [| grid.[1]; grid.[0] |]))
          }
          test "Gupta predictor: at least two levels" {
              names "grid.Length" (fun () -> GuptaCaiChenPredictor(1, [| grid.[0] |]))
          }
          test "Gupta practical: stride divides the fine grid" {
              names "stride" (fun () ->
                  GuptaPracticalPredictor(1, Array.init 7 (fun i -> NoiseLevel.FromOuTime(2.0 - 0.3 * float i)), 4))
          }
          test "Gupta constants: delta < T_end" {
              names "Delta" (fun () -> GuptaCaiChen(1, GuptaCaiChenConstants(TEnd = 1.0, Delta = 1.0)))
          }
          test "Gupta constants: h_pred > 0" {
              names "HPred" (fun () -> GuptaCaiChen(1, GuptaCaiChenConstants(TEnd = 1.0, Delta = 0.1, HPred = -1.0)))
          }
          test "Gupta constants: gamma > 0" {
              names "Gamma" (fun () -> GuptaCaiChen(1, GuptaCaiChenConstants(TEnd = 1.0, Delta = 0.1, Gamma = 0.0)))
          }
          test "flow level: tau in (0, 1)" { names "tau" (fun () -> NoiseLevel.FromTau 1.0) }
          test "flow level: members sum to 1" { names "alphaBar" (fun () -> NoiseLevel.FromTauAndAlphaBar(0.3, 0.6)) }
          test "PF-ODE coupling: no injected noise" {
              names "kernel" (fun () ->
                  PfOdeCoupling(LiJiao(1, LiJiaoSchedule(10, 2, 1.0, 2.0)), 2, grid.[0], grid.[1]))
          }
          test "PF-ODE coupling of a grid kernel: no injected noise" {
              names "kernel" (fun () -> PfOdeCoupling(Ddim(1, NoiseGrid.OuTimeUniform(0.9, 0.1, 2), 0.5)))
          }
          test "PF-ODE coupling: bottom below top" {
              names "bottom" (fun () -> PfOdeCoupling(GuptaCaiChenPredictor(1, grid), 1, grid.[1], grid.[0]))
          }
          test "RK4 reference: steps >= 1" {
              names "steps" (fun () -> Rk4ReferenceFlow(GaussianNoisedScore([| 0.0 |], [| 1.0 |]), 0))
          }
          test "Gaussian reference: eigenvalues positive" {
              names "eigenvalues[1]" (fun () -> GaussianReferenceFlow([| 0.0; 0.0 |], [| 1.0; -1.0 |]))
          } ]
