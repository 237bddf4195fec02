module RateLab.Properties.Analysis.Stats.OlsTests

open System
open Expecto
open RateLab.Core.Randomness
open RateLab.Analysis.Stats
open RateLab.Properties.Generators

/// Well-spread regressor rows: column j of row t from a uniform keyed by (seed, t, j).
let private rows (s: uint64) n k =
    Array.init n (fun t -> Array.init k (fun j -> 4.0 * CounterRng.Uniform(s, int64 t, 0L, j)))

[<Tests>]
let tests =
    testList
        "Analysis.Stats.Ols"
        [ testPropertyWithConfig config "noise-free data give the coefficients back"
          <| fun (Seed s) (k: byte) ->
              let k = 1 + int k % 3
              let x = rows s 12 k

              let beta =
                  Array.init (k + 1) (fun j -> 4.0 * CounterRng.Uniform(s, 99L, 1L, j) - 2.0)

              let y =
                  x
                  |> Array.map (fun r -> beta.[0] + Array.fold2 (fun a xj bj -> a + xj * bj) 0.0 r beta.[1..])

              let fit = Ols.fit x y
              Array.forall2 (fun a b -> abs (a - b) <= 1e-10 * (1.0 + abs b)) fit.Coefficients beta

          testPropertyWithConfig config "simple-regression standard error equals σ̂/√Σ(x−x̄)²"
          <| fun (Seed s) ->
              let x = rows s 10 1

              let y =
                  Array.init 10 (fun t -> 1.0 + 2.0 * x.[t].[0] + CounterRng.Uniform(s, int64 t, 7L, 0) - 0.5)

              let fit = Ols.fit x y
              let xs = x |> Array.map (fun r -> r.[0])
              let m = Array.average xs
              let expected = sqrt (fit.Sigma2 / (xs |> Array.sumBy (fun v -> (v - m) ** 2.0)))
              abs (fit.StdErrors.[1] - expected) <= 1e-10 * expected

          test "collinear regressors are reported, naming the regressors" {
              let x = Array.init 6 (fun t -> [| float t; 2.0 * float t |])
              let ex = Expect.throwsC (fun () -> Ols.fit x (Array.init 6 float) |> ignore) id
              Expect.stringContains ex.Message "regressors" "message names the argument"
          }

          // The normal equations lost the slope of 200 000 rows (a pivot below 1e-12 of the largest diagonal); the
          // centred QR solve recovers it to round-off from costs 1..200 000 and from three neighbouring large costs.
          test "200 000 rows and regressors spanning a tiny range are fitted, not called collinear" {
              let x = Array.init 200000 (fun t -> [| log (float (t + 1)) |])
              let fit = Ols.fit x (x |> Array.map (fun r -> 2.0 - 1.5 * r.[0]))
              Expect.floatClose Accuracy.high fit.Coefficients.[1] -1.5 "slope, 200 000 rows"
              let near = [| for n in 199998..200000 -> [| log (float n) |] |]
              let fitNear = Ols.fit near (near |> Array.map (fun r -> 2.0 - 1.5 * r.[0]))

              Expect.floatClose
                  { absolute = 1e-6; relative = 1e-6 }
                  fitNear.Coefficients.[1]
                  -1.5
                  "slope, costs 199 998..200 000"
          }

          test "a constant regressor is collinear with the intercept" {
              let ex =
                  Expect.throwsC
                      (fun () -> Ols.fit (Array.init 6 (fun _ -> [| 3.0 |])) (Array.init 6 float) |> ignore)
                      id

              Expect.stringContains ex.Message "collinear" "message"
          }

          test "too few points for a residual are rejected" {
              Expect.throwsT<ArgumentOutOfRangeException>
                  (fun () -> Ols.fit [| [| 1.0 |]; [| 2.0 |] |] [| 1.0; 2.0 |] |> ignore)
                  "n = p"
          } ]
