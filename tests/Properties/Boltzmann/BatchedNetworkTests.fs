/// The batched TimeStateMlp path against the per-sample network (its oracle), central differences, thread counts.
module RateLab.Properties.Boltzmann.BatchedNetworkTests

open System
open Expecto
open System.Runtime.Intrinsics
open MathNet.Numerics
open RateLab.Boltzmann
open RateLab.Properties.Generators
open RateLab.Properties.Boltzmann.Fixtures

/// A random network with widths that are not multiples of 8 (so padding is exercised) and random rows.
let private problem (seed: uint64) d width harmonics rows =
    let net = TimeStateMlp.FixedRandomDrift(d, seed, 0.7, width, harmonics)
    let rng = Random(int (seed % 1000003UL))
    let x = Array.init (rows * d) (fun _ -> 3.0 * rng.NextDouble() - 1.5)
    let t = Array.init rows (fun _ -> rng.NextDouble())
    let up = Array.init (rows * 2 * d) (fun _ -> 2.0 * rng.NextDouble() - 1.0)
    net, x, t, up

/// Runs the batch: outputs, θ-gradient and input gradients.
let private runBatch (net: TimeStateMlp) (x: float[]) (t: float[]) (up: float[]) threads =
    let rows = t.Length
    let batch = net.CreateBatch(max rows 1)
    batch.MaxThreads <- threads
    Array.blit x 0 batch.Inputs 0 x.Length
    Array.blit t 0 batch.Times 0 rows
    batch.Forward rows
    Array.blit up 0 batch.OutputGradients 0 up.Length
    Array.Clear net.Gradient
    batch.Backward(rows, true)
    Array.sub batch.Outputs 0 up.Length, Array.copy net.Gradient, Array.sub batch.InputGradients 0 x.Length

/// The same with the per-sample network, row by row.
let private runRows (net: TimeStateMlp) (x: float[]) (t: float[]) (up: float[]) =
    let d, k = net.StateDimension, net.OutputDimension
    let y = Array.zeroCreate (t.Length * k)
    let gx = Array.zeroCreate x.Length
    Array.Clear net.Gradient

    for i in 0 .. t.Length - 1 do
        net.Forward(ReadOnlySpan(x, i * d, d), t.[i], Span(y, i * k, k))
        net.Backward(ReadOnlySpan(x, i * d, d), t.[i], ReadOnlySpan(up, i * k, k), Span(gx, i * d, d))

    y, Array.copy net.Gradient, gx

/// Both paths sum the same products in the same order, up to FMA contraction and the sin/cos/erf implementations,
/// so each entry differs by a few rounding errors of its largest term: 1e-12 of the array's scale is > 100× that.
let private agree (a: float[]) (b: float[]) =
    let scale = 1.0 + (b |> Array.map abs |> Array.max)
    Array.forall2 (fun (u: float) v -> abs (u - v) <= 1e-12 * scale) a b

/// A flow seen only through its row-by-row members, so that the interface's default LogFlows and BackwardAll (one
/// state at a time) run: the oracle of the batched ones.
type private RowByRow(inner: IStateLogFlow) =
    interface IStateLogFlow with
        member _.Parameters = inner.Parameters
        member _.Gradient = inner.Gradient
        member _.LogFlow(x, n, grid) = inner.LogFlow(x, n, grid)
        member _.Backward(x, n, grid, upstream) = inner.Backward(x, n, grid, upstream)

/// log-flows and θ-gradient of `flow` on `batch` with upstream gradients `up` (layout b·(N + 1) + n).
let private flowPass (flow: IStateLogFlow) (batch: TrajectoryBatch) (up: float[]) =
    let lf = Array.zeroCreate up.Length
    flow.LogFlows(batch, Span lf)
    Array.Clear flow.Gradient
    flow.BackwardAll(batch, ReadOnlySpan up)
    lf, Array.copy flow.Gradient

[<Tests>]
let tests =
    testList
        "Boltzmann.BatchedNetwork"
        [ testPropertyWithConfig
              { config with maxTest = 20 }
              "batched outputs and gradients equal the per-sample network's to rounding"
          <| fun (Seed s) ->
              let rows = 1 + int (s % 70UL)
              let net, x, t, up = problem s 3 12 5 rows
              let yb, gb, xb = runBatch net x t up 2
              let yr, gr, xr = runRows net x t up
              agree yb yr && agree gb gr && agree xb xr && Array.exists ((<>) 0.0) gb

          testPropertyWithConfig { config with maxTest = 6 } "batched θ- and x-gradients match central differences"
          <| fun (Seed s) ->
              let rows = 9
              let net, x, t, up = problem s 2 8 4 rows
              let _, g, gx = runBatch net x t up 2
              // L = Σᵢ ḡᵢ · yᵢ; the bound of GradientTests applies (|L| ≲ 10²).
              let loss () =
                  let y, _, _ = runBatch net x t up 1
                  Array.fold2 (fun acc a b -> acc + a * b) 0.0 y up

              let close (fd: float) (v: float) = abs (fd - v) <= 1e-6 * (1.0 + abs v)
              let p = net.Parameters
              let rng = Random(int (s % 8191UL))

              let thetaOk =
                  [ 0; p.Length - 1; yield! List.init 30 (fun _ -> rng.Next p.Length) ]
                  |> List.forall (fun i ->
                      let keep = p.[i]
                      let e = 1e-6 * max 1.0 (abs keep)
                      p.[i] <- keep + e
                      let lp = loss ()
                      p.[i] <- keep - e
                      let lm = loss ()
                      p.[i] <- keep
                      close ((lp - lm) / (2.0 * e)) g.[i])

              let xOk =
                  [ 0 .. x.Length - 1 ]
                  |> List.forall (fun i ->
                      let keep = x.[i]
                      x.[i] <- keep + 1e-6
                      let lp = loss ()
                      x.[i] <- keep - 1e-6
                      let lm = loss ()
                      x.[i] <- keep
                      close ((lp - lm) / 2e-6) gx.[i])

              thetaOk && xOk

          test "results are bit-identical for 1, 2 and 3 threads (300 rows, the benchmark width)" {
              let net, x, t, up = problem 11UL 10 64 64 300
              let one = runBatch net x t up 1
              Expect.equal (runBatch net x t up 2) one "2 threads"
              Expect.equal (runBatch net x t up 3) one "3 threads"
          }

          test "concurrent ForwardBlock calls on uneven blocks give Forward's bits; bad blocks are refused" {
              let net, x, t, _ = problem 12UL 10 64 64 300
              let rows = t.Length
              let k = net.OutputDimension
              let batch = net.CreateBatch rows
              Array.blit x 0 batch.Inputs 0 x.Length
              Array.blit t 0 batch.Times 0 rows
              batch.Forward rows
              let whole = Array.sub batch.Outputs 0 (rows * k)
              Array.Clear batch.Outputs
              // Block edges off the 4-row tile and the 64-row chunk: 0, 3, 70, 201, 300.
              let edges = [| 0; 3; 70; 201; rows |]
              batch.Prepare()

              Threading.Tasks.Parallel.For(
                  0,
                  edges.Length - 1,
                  fun i -> batch.ForwardBlock(edges.[i], edges.[i + 1] - edges.[i])
              )
              |> ignore

              Expect.equal (Array.sub batch.Outputs 0 (rows * k)) whole "blocks"
              Expect.throws (fun () -> batch.ForwardBlock(250, 51)) "past the capacity"
              Expect.throws (fun () -> batch.ForwardBlock(-1, 2)) "negative first row"
          }

          test "vector exp within 4e-16 relative of Math.Exp on [−700, 5]; sin, cos within 4e-16 absolute on [−10, 120]" {
              for i in 0..7049 do
                  let x = -700.0 + 0.1 * float i + 1e-3 * float (i % 7)
                  let e = (VectorMath.Exp(Vector512.Create x)).[0]
                  Expect.isLessThanOrEqual (abs (e - exp x)) (4e-16 * exp x) $"exp({x})"

              for i in 0..13000 do
                  let u = -10.0 + 0.01 * float i + 1e-4 * float (i % 13)
                  let struct (s, c) = VectorMath.SinCos(Vector512.Create u)
                  Expect.isLessThanOrEqual (abs (s.[0] - sin u)) 4e-16 $"sin({u})"
                  Expect.isLessThanOrEqual (abs (c.[0] - cos u)) 4e-16 $"cos({u})"
          }

          test "vector GELU: Φ within 2e-16 of MathNet's (absolute) and its lower tail within 1e-14 relative of ½erfc" {
              let z = Array.init 4001 (fun i -> -20.0 + 0.01 * float i)
              let h = Array.zeroCreate z.Length
              let slope = Array.zeroCreate z.Length
              VectorGelu.Apply(Span z, Span h, Span slope)

              for i in 0 .. z.Length - 1 do
                  let zi = z.[i]
                  let cdf = 0.5 * SpecialFunctions.Erfc(-zi / sqrt 2.0)
                  let phi = exp (-0.5 * zi * zi) / sqrt (2.0 * Math.PI)
                  let mine = if zi = 0.0 then 0.5 else h.[i] / zi
                  Expect.isLessThanOrEqual (abs (mine - cdf)) (2e-16 + 1e-14 * cdf) $"Φ({zi})"
                  Expect.isLessThanOrEqual (abs (slope.[i] - (cdf + zi * phi))) (4e-16 * (1.0 + abs zi)) $"GELU′({zi})"
          }
          testPropertyWithConfig
              { config with maxTest = 4 }
              "the forward-looking flow's batched log-flows and gradient equal its row-by-row ones to rounding, across blocks"
          <| fun (Seed s) ->
              // 40 trajectories × 30 steps = 1200 states: two blocks of the flow's 1024-row workspace.
              let target =
                  RateLab.Core.Targets.DiagonalGaussian([| 0.5; -1.0 |], [| 0.7; 1.5 |]) :> RateLab.Core.Targets.ITarget

              let grid = TimeGrid(GridKind.Random, 30, 10.0)
              let policy = EulerMaruyamaPolicy(smallDrift 2 s, 1.2, false)
              let batch = forwardBatch policy target grid s 40
              let flow = ForwardLookingFlow(TimeStateMlp.Flow(2, s + 5UL, 8, 4), target, 1.2)
              let rng = Random(int (s % 1000003UL))
              let up = Array.init (40 * 31) (fun _ -> 2.0 * rng.NextDouble() - 1.0)
              let lb, gb = flowPass flow batch up
              let lr, gr = flowPass (RowByRow flow) batch up
              agree lb lr && agree gb gr && Array.exists ((<>) 0.0) gb
          test "the flow's batched members refuse a buffer shorter than B·(N + 1), naming it and the range" {
              let target =
                  RateLab.Core.Targets.DiagonalGaussian([| 0.5; -1.0 |], [| 0.7; 1.5 |]) :> RateLab.Core.Targets.ITarget

              let grid = TimeGrid(GridKind.Random, 3, 10.0)
              let policy = EulerMaruyamaPolicy(smallDrift 2 1UL, 1.2, false)
              let batch = forwardBatch policy target grid 1UL 2

              let flow =
                  ForwardLookingFlow(TimeStateMlp.Flow(2, 6UL, 8, 4), target, 1.2) :> IStateLogFlow

              for f in [ flow; RowByRow flow :> IStateLogFlow ] do
                  Expect.stringContains
                      (try
                          f.LogFlows(batch, Span(Array.zeroCreate<float> 7))
                          ""
                       with :? ArgumentException as x ->
                           x.Message)
                      "logFlow.Length = 7 is out of range; allowed: at least B·(N + 1) = 8."
                      "names the buffer, its length and the range"

                  Expect.throwsT<ArgumentException>
                      (fun () -> f.BackwardAll(batch, ReadOnlySpan(Array.zeroCreate<float> 7)))
                      "upstream too short"
          } ]
