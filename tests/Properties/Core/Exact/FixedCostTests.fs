module RateLab.Properties.Core.Exact.FixedCostTests

// The O(d) fixed costs of the exact analysis were cut without changing a number: the one-pass SIMD distance sums, the
// vectorised argument scans and the reduction's shared start law must agree with the straightforward forms bit for bit.

open System
open Expecto
open RateLab.Core.Exact
open RateLab.Core.Numerics
open RateLab.Core.Samplers
open RateLab.Core.Targets
open RateLab.Core.Validation

let private bits (x: float) = BitConverter.DoubleToInt64Bits x

/// r − log1p(r) as it was computed before the SIMD series: 20 Horner steps with 1/k divided at run time.
let private rMinusLog1pReference (r: float) =
    if abs r > 0.125 then
        r - StableMath.Log1p r
    else
        let mutable sum = 0.0

        for k in 21..-1..2 do
            sum <- 1.0 / float k - r * sum

        r * r * sum

/// KL, W₂², log BC and Δ² as they were summed before the one-pass SIMD form: one coordinate at a time.
let private referenceSums (p: DiagonalLaw) (q: DiagonalLaw) =
    let a, va, b, vb, w =
        p.Mean.ToArray(), p.Variance.ToArray(), q.Mean.ToArray(), q.Variance.ToArray(), p.Multiplicity.ToArray()

    let mutable kl, w2, logBc, m2 = 0.0, 0.0, 0.0, 0.0

    for i in 0 .. w.Length - 1 do
        let r, delta = (va.[i] - vb.[i]) / vb.[i], a.[i] - b.[i]
        kl <- kl + w.[i] * (rMinusLog1pReference r + delta * delta / vb.[i])
        let roots = sqrt va.[i] + sqrt vb.[i]
        let dv = (va.[i] - vb.[i]) / roots
        w2 <- w2 + w.[i] * (delta * delta + dv * dv)
        let root = sqrt (1.0 + r)
        let u = r / (1.0 + root)

        logBc <-
            logBc
            + w.[i]
              * (-0.5 * StableMath.Log1p(u * u / (2.0 * root))
                 - delta * delta / (4.0 * (va.[i] + vb.[i])))

        m2 <- m2 + w.[i] * delta * delta / vb.[i]

    0.5 * kl, w2, logBc, m2

/// Ratios r = (A − B)/B over many magnitudes and both signs, on both sides of the series cutoff 0.125.
let private ratios (rng: Random) n =
    Array.init n (fun i ->
        match i % 5 with
        | 0 -> 0.0
        | 1 -> (if rng.Next 2 = 0 then -1.0 else 1.0) * 2.0 ** -(1.0 + 40.0 * rng.NextDouble())
        | 2 -> -0.9 + 2.0 * rng.NextDouble()
        | 3 ->
            (if rng.Next 2 = 0 then -0.125 else 0.125)
            * (1.0 + 1e-15 * float (rng.Next 3 - 1))
        | _ -> 0.25 * (rng.NextDouble() - 0.5))

/// Random laws with non-integer multiplicities; every third pair has equal variances, every seventh a point mass.
let private lawPairs (rng: Random) =
    [ for trial in 0..59 ->
          let n = 1 + rng.Next 600
          let vb = Array.init n (fun _ -> 0.05 + 3.0 * rng.NextDouble())
          let scale = [| 1e-12; 1e-6; 1e-3; 0.05; 0.2; 1.0 |].[trial % 6]

          let va =
              if trial % 3 = 0 then
                  Array.copy vb
              else
                  vb
                  |> Array.map (fun v -> v * max 1e-3 (1.0 + scale * (2.0 * rng.NextDouble() - 1.0)))

          if trial % 7 = 1 then
              va.[rng.Next n] <- 0.0

          let w = Array.init n (fun _ -> 0.5 + 3.0 * rng.NextDouble())

          let mean () =
              Array.init n (fun _ -> rng.NextDouble() - 0.5)

          DiagonalLaw(mean (), va, w), DiagonalLaw(mean (), vb, w) ]

[<Tests>]
let tests =
    testList
        "Core.Exact.FixedCosts"
        [ test "RMinusLog1p is the 20-term series with run-time 1/k, bit for bit" {
              let rs = ratios (Random 11) 20_000

              for r in rs do
                  Expect.equal (bits (GaussianDistances.RMinusLog1p r)) (bits (rMinusLog1pReference r)) $"r = {r:R}"
          }

          test "the one-pass SIMD sums equal the one-coordinate-at-a-time closed forms bit for bit" {
              for p, q in lawPairs (Random 12) do
                  let kl, w2, logBc, m2 = referenceSums p q
                  Expect.equal (bits (GaussianDistances.Kl(p, q))) (bits kl) $"KL, d = {p.Count}"
                  Expect.equal (bits (GaussianDistances.W2Squared(p, q))) (bits w2) $"W2², d = {p.Count}"
                  Expect.equal (bits (GaussianDistances.LogBhattacharyya(p, q))) (bits logBc) $"log BC, d = {p.Count}"
                  Expect.equal (bits (GaussianDistances.MahalanobisSquared(p, q))) (bits m2) $"Δ², d = {p.Count}"
          }

          test "DistanceSums.Of equals the separate closed forms bit for bit" {
              for p, q in lawPairs (Random 13) do
                  let sums = DistanceSums.Of(p, q)
                  let equal = p.Variance.SequenceEqual(q.Variance)
                  Expect.equal (bits sums.Kl) (bits (GaussianDistances.Kl(p, q))) "KL"
                  Expect.equal (bits sums.W2Squared) (bits (GaussianDistances.W2Squared(p, q))) "W2²"
                  Expect.equal (bits sums.LogBhattacharyya) (bits (GaussianDistances.LogBhattacharyya(p, q))) "log BC"
                  Expect.equal sums.EqualVariances equal "equal variances"

                  if equal then
                      Expect.equal (bits sums.Mahalanobis2) (bits (GaussianDistances.MahalanobisSquared(p, q))) "Δ²"
                  else
                      Expect.isTrue (Double.IsNaN sums.Mahalanobis2) "Δ² only for equal variances"

                  Expect.equal sums.PointMass (Array.contains 0.0 (p.Variance.ToArray())) "point mass"
                  Expect.equal (bits sums.Coordinates) (bits (Array.sum (p.Multiplicity.ToArray()))) "Σ w in order"
                  Expect.equal (bits p.Dimension) (bits sums.Coordinates) "the cached dimension"
          }

          test "vectorised scans name the first bad entry, its value and the allowed range" {
              // Without hardware vectors Guard runs its scalar loop alone, and this test would pass without ever
              // running the vector scan it is about: skipped with that reason instead.
              if not System.Numerics.Vector.IsHardwareAccelerated then
                  skiptest "System.Numerics.Vector is not hardware-accelerated here, so Guard's vector scan cannot run"

              let check (scan: float[] -> unit) (bad: float) (range: string) =
                  for length in 1..21 do
                      for at in 0 .. length - 1 do
                          let values = Array.init length (fun i -> 1.0 + float i)
                          values.[at] <- bad

                          if at + 1 < length then
                              values.[length - 1] <- bad

                          try
                              scan values
                              failtest $"{bad} at {at} of {length} passed"
                          with :? ArgumentOutOfRangeException as e ->
                              let shown = bad.ToString("R", Globalization.CultureInfo.InvariantCulture)
                              Expect.stringContains e.Message $"x[{at}] = {shown}" "entry and value"
                              Expect.stringContains e.Message range "allowed range"
                              Expect.equal e.ParamName $"x[{at}]" "parameter"

              for bad in [ nan; infinity; -infinity ] do
                  check (fun v -> Guard.AllFinite(ReadOnlySpan v, "x")) bad "a finite number"
                  check (fun v -> Guard.AllNonNegative(ReadOnlySpan v, "x")) bad "[0, ∞)"
                  check (fun v -> Guard.AllPositive(ReadOnlySpan v, "x")) bad "(0, ∞)"

              check (fun v -> Guard.AllNonNegative(ReadOnlySpan v, "x")) -1e-300 "[0, ∞)"
              check (fun v -> Guard.AllPositive(ReadOnlySpan v, "x")) 0.0 "(0, ∞)"
              check (fun v -> Guard.AllPositive(ReadOnlySpan v, "x")) -0.0 "(0, ∞)"

              let fine =
                  [| Double.MaxValue
                     -Double.MaxValue
                     0.0
                     -0.0
                     Double.Epsilon
                     1.0
                     2.0
                     3.0
                     4.0 |]

              Guard.AllFinite(ReadOnlySpan fine, "x")
              Guard.AllNonNegative(ReadOnlySpan(Array.map abs fine), "x")
              Guard.AllPositive(ReadOnlySpan [| Double.Epsilon; Double.MaxValue; 1.0; 2.0; 3.0 |], "x")
          }

          test "a reduction shares its start law and forms copies and unit multiplicities on demand" {
              let d = 10
              let variance = Array.init d (fun i -> 1.0 + float i)
              let mean = Array.init d (fun i -> 0.1 * float i)

              let start =
                  StartLaw(Array.init d (fun i -> -float i), Array.init d (fun i -> 0.5 + float i))

              let r = GaussianReduction.Diagonal(ReadOnlySpan mean, ReadOnlySpan variance, start)
              Expect.isTrue (obj.ReferenceEquals(r.Start, start)) "the start law itself"
              Expect.equal r.StartMean (start.Mean.ToArray()) "start means"
              Expect.equal r.StartSd (start.Sd.ToArray()) "start sds"
              Expect.equal r.Multiplicity (Array.create d 1.0) "unit multiplicities"
              r.StartMean.[0] <- 99.0
              Expect.equal start.Mean.[0] 0.0 "StartMean is a copy: the start law stays immutable"
              let block = r.Slice(3, 4)

              Expect.equal
                  (block.Start.Mean.ToArray(), block.Start.Sd.ToArray())
                  (start.Mean.Slice(3, 4).ToArray(), start.Sd.Slice(3, 4).ToArray())
                  "a block's start law"

              Expect.equal block.Multiplicity (Array.create 4 1.0) "a block's multiplicities"
              let target = block.Target

              Expect.equal
                  (target.Mean.ToArray(), target.Variance.ToArray(), target.Multiplicity.ToArray())
                  (mean.[3..6], variance.[3..6], Array.create 4 1.0)
                  "target law"

              let x, expected, actual = Array.create 4 0.3, Array.zeroCreate 4, Array.zeroCreate 4
              DiagonalGaussian(mean.[3..6], variance.[3..6]).Score(ReadOnlySpan x, Span expected)
              block.TargetScore().Score(ReadOnlySpan x, Span actual)
              Expect.equal actual expected "target score"
              block.CentredTargetScore().Score(ReadOnlySpan x, Span actual)
              DiagonalGaussian(Array.zeroCreate 4, variance.[3..6]).Score(ReadOnlySpan x, Span expected)
              Expect.equal actual expected "centred score"
          }

          test "public constructors still copy and validate their inputs" {
              let mean, variance = [| 0.0; 1.0 |], [| 1.0; 2.0 |]
              let law = DiagonalLaw(mean, variance)
              let start = StartLaw(mean, variance)
              mean.[0] <- 5.0
              variance.[0] <- 7.0
              Expect.equal (law.Mean.[0], law.Variance.[0], start.Mean.[0], start.Sd.[0]) (0.0, 1.0, 0.0, 1.0) "copies"
              let e = Expect.throwsT<ArgumentOutOfRangeException>
              e (fun () -> DiagonalLaw([| 0.0; nan |], [| 1.0; 1.0 |]) |> ignore) "NaN mean"
              e (fun () -> DiagonalLaw([| 0.0; 0.0 |], [| 1.0; 1.0 |], [| 1.0; 0.0 |]) |> ignore) "zero multiplicity"
              e (fun () -> StartLaw([| 0.0 |], [| -1.0 |]) |> ignore) "negative sd"
              e (fun () -> DiagonalGaussian([| 0.0 |], [| 0.0 |]) |> ignore) "zero variance"

              Expect.throwsT<ArgumentNullException>
                  (fun () -> StartLaw.Point(Unchecked.defaultof<float[]>) |> ignore)
                  "null point"
          } ]
