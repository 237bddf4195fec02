module RateLab.Properties.Core.Samplers.Diffusion.SamplerTests

open System
open Expecto
open RateLab.Core.Contracts
open RateLab.Core.Diffusion
open RateLab.Core.Randomness
open RateLab.Core.Samplers
open RateLab.Core.Samplers.Diffusion
open RateLab.Core.Samplers.Langevin
open RateLab.Core.Targets
open RateLab.Properties
open RateLab.Properties.Generators
open RateLab.Properties.Probes

/// Normals are 1 on `role` only (none when role = −1); uniform j is 0 (a Bernoulli success) when bit j of `pattern`
/// is set and 0.999 otherwise. Used to read off the affine map of one step.
let private probe (role: int) (pattern: int) =
    { new INoiseSource with
        member _.Normals(_, _, r, dest) =
            dest.Fill(if r = role then 1.0 else 0.0)

        member _.Uniform(_, _, j) =
            if (pattern >>> j) &&& 1 = 1 then 0.0 else 0.999

        member _.BrownianIncrements(_, _, _, _, inc) = inc.Fill 0.0 }

/// Exact first and second moments (E[Y], E[Y²]) after all steps of a 1-D kernel on Gaussian data, whose steps are then
/// affine given the uniforms: Y' = A·Y + B + Σ_j S_j z_j, read off by probing. With the Bernoulli pattern H drawn
/// independently per step: E[Y'] = E_H[A]·E[Y] + E_H[B], E[Y'²] = E_H[A²]·E[Y²] + 2E_H[AB]·E[Y] + E_H[B² + Σ S_j²].
/// `patterns` lists (probability, pattern) per step.
let private exactMoments
    (kernel: ISamplerKernel)
    (field: IScoreField)
    (steps: int)
    (patterns: (float * int) list)
    m1
    m2
    =
    let mutable m1, m2 = m1, m2

    for k in 0 .. steps - 1 do
        let mutable ea, eb, ea2, eab, ec = 0.0, 0.0, 0.0, 0.0, 0.0

        for p, h in patterns do
            let b = (stepOnce kernel field (probe -1 h) (int64 k) [| 0.0 |]).[0]
            let a = (stepOnce kernel field (probe -1 h) (int64 k) [| 1.0 |]).[0] - b

            let s2 =
                [ for j in 0 .. kernel.NormalRoles - 1 ->
                      ((stepOnce kernel field (probe j h) (int64 k) [| 0.0 |]).[0] - b) ** 2.0 ]
                |> List.sum

            ea <- ea + p * a
            eb <- eb + p * b
            ea2 <- ea2 + p * a * a
            eab <- eab + p * a * b
            ec <- ec + p * (b * b + s2)

        let next1 = ea * m1 + eb
        m2 <- ea2 * m2 + 2.0 * eab * m1 + ec
        m1 <- next1

    m1, m2

let private mu, lambda = 0.7, 0.5
let private data = GaussianNoisedScore([| mu |], [| lambda |])

/// The exact start law N(√ᾱ₀ μ, C_{τ₀}) at the grid's top, so only discretisation separates the output from q_δ.
let private exactStart (grid: NoiseGrid) =
    StartLaw([| grid.Top.SignalScale * mu |], [| sqrt (grid.Top.AlphaBar * lambda + grid.Top.Tau) |])

let private logSnrGrid n =
    NoiseGrid.LogSnrUniform(1.0 - 1e-4, 1e-3, n)

/// All Bernoulli patterns of bits 1..K−1 with their probabilities (bit 0 is never read).
let private plmcPatterns k =
    let p = 1.0 / float k

    [ for h in 0 .. (1 <<< (k - 1)) - 1 ->
          let ones = Seq.sumBy (fun j -> (h >>> j) &&& 1) (seq { 0 .. k - 2 })
          p ** float ones * (1.0 - p) ** float (k - 1 - ones), h <<< 1 ]

let private chains = 4000

/// MC of E[Y] and E[(Y − m_δ)²] over `chains` chains against the mean m_δ and variance C_δ of q_δ, after checking with
/// the exact moment propagation that each discretisation bias is below one SE: each z5 test then fails falsely with
/// probability ≤ P(|Z| > 4) ≈ 6.3e-5.
let private approachesEarlyStopped name (kernel: ReverseGridKernel) patterns seed =
    test name {
        let q = data.EarlyStoppedGaussian kernel.Grid.End.Tau
        let mean, var = q.MeanVector.[0], q.Eigenvalues.[0]
        let top = kernel.Grid.Top
        let start1 = top.SignalScale * mu

        let e1, e2 =
            exactMoments kernel data kernel.Steps patterns start1 (start1 * start1 + top.AlphaBar * lambda + top.Tau)

        let ys, _ = run kernel data seed chains kernel.Steps
        let m, seM = Stats.meanAndSe ys
        let v, seV = Stats.meanAndSe (ys |> Array.map (fun y -> (y - mean) ** 2.0))
        Expect.isLessThan (abs (e1 - mean)) seM $"premise: exact mean bias {e1 - mean} below the SE {seM}"

        Expect.isLessThan
            (abs (e2 - 2.0 * mean * e1 + mean * mean - var))
            seV
            $"premise: exact variance bias below the SE {seV}"

        Expect.isTrue (Stats.within Stats.z5 seM m mean) $"E[Y] = {m} ± {seM}, q_δ mean {mean}"
        Expect.isTrue (Stats.within Stats.z5 seV v var) $"E[(Y − m_δ)²] = {v} ± {seV}, q_δ variance {var}"
    }

let private ddimProbe (kernel: ISamplerKernel) step x role =
    (stepOnce kernel data (probe role 0) step [| x |]).[0]

[<Tests>]
let tests =
    testList
        "Core.Samplers.Diffusion.Samplers"
        [ test "a DDPM step refuses an undefined variance choice, naming it and the allowed values" {
              Expect.throwsC
                  (fun () ->
                      DdpmStep.Between(NoiseLevel.FromTau 0.1, NoiseLevel.FromTau 0.2, enum<DdpmVariance> 7)
                      |> ignore)
                  (fun ex ->
                      Expect.stringContains
                          ex.Message
                          "variance = 7 is out of range; allowed: Beta, Posterior"
                          "message")
          }
          testPropertyWithConfig config "DDIM η = 1 is the posterior-variance DDPM step (mean and variance)"
          <| fun (Seed s) ->
              let hi = 2 + int (uniform s 0 * 998.0)
              let lo = int (uniform s 1 * float (hi - 1)) + 1
              let grid = DdpmSchedule.HoLinear().Respace [| hi; lo; 0 |]
              let ddim = Ddim(1, grid, 1.0, StartLaw.Point [| 0.0 |])
              let ddpm = DdpmAncestral(1, grid, DdpmVariance.Posterior, StartLaw.Point [| 0.0 |])
              let x = 3.0 * (uniform s 2 - 0.5)
              // Mean: the step with zero noise; noise coefficient: the change when role 0's normals are 1.
              let sd (k: ISamplerKernel) =
                  ddimProbe k 0L x 0 - ddimProbe k 0L x -1

              relClose 1e-12 (ddimProbe ddim 0L x -1) (ddimProbe ddpm 0L x -1)
              && relClose 1e-10 (sd ddim) (sd ddpm)
              && relClose 1e-10 (sd ddim ** 2.0) (NoiseTransitions.Posterior(grid.[1], grid.[0]).Variance)
          testPropertyWithConfig config "DDIM η = 0 is exact for a single atom"
          <| fun (Seed s) ->
              let atom = normals s 0 2
              let target = GaussianMixtureNoisedScore.Atomic(atom, null, 2)
              let delta = if uniform s 1 < 0.3 then 0.0 else 1e-4 * uniform s 2

              let grid =
                  NoiseGrid.OuTimeUniform(0.5 + 0.4999 * uniform s 3, delta, 1 + int (uniform s 4 * 30.0))

              let kernel = Ddim(2, grid, 0.0)
              let ys, _ = run kernel target s 3 grid.Steps
              // Start Y₀ ~ N(0, I) is re-drawn here from the same address as Init (role 0, step −1).
              let y0 = Array.zeroCreate 6

              for c in 0..2 do
                  PhiloxNoise(s).Normals(int64 c, -1L, 0, Span(y0, 2 * c, 2))

              let top, endLevel = grid.Top, grid.End

              Array.init 6 (fun i ->
                  let x = atom.[i % 2]
                  let eps = (y0.[i] - top.SignalScale * x) / top.NoiseScale

                  abs (ys.[i] - (endLevel.SignalScale * x + endLevel.NoiseScale * eps))
                  <= 1e-12 * (1.0 + abs ys.[i]))
              |> Array.forall id
          testPropertyWithConfig config "deterministic samplers commute with rotations (isotropic start)"
          <| fun (Seed s) ->
              let q =
                  MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.DenseOfRowMajor(2, 2, normals s 2 4).QR().Q

              let rot (v: float[]) =
                  (q * MathNet.Numerics.LinearAlgebra.Vector<float>.Build.DenseOfArray v).ToArray()

              let m, lam = normals s 0 2, normals s 1 2 |> Array.map exp
              let diag = GaussianNoisedScore(m, lam)

              let cov =
                  q
                  * MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.DenseOfDiagonalArray lam
                  * q.Transpose()

              let rotated = EigenGaussianNoisedScore(rot m, cov.ToRowMajorArray())
              let x0 = normals s 3 2
              let grid = logSnrGrid 8

              [ (fun (x: float[]) -> Heun(2, grid, StartLaw.Point x) :> ISamplerKernel)
                (fun x -> ProbabilityFlowExponentialEuler(2, grid, StartLaw.Point x))
                (fun x -> Ddim(2, grid, 0.0, StartLaw.Point x)) ]
              |> List.forall (fun make ->
                  let y = fst (run (make x0) diag s 1 grid.Steps)
                  let yr = fst (run (make (rot x0)) rotated s 1 grid.Steps)
                  Array.forall2 (fun a b -> abs (a - b) <= 1e-10 * (1.0 + abs b)) yr (rot y))
          test "DDPM adds no noise on its last step (to τ = 0), and noise on the others" {
              let grid = DdpmSchedule.HoLinear().Uniform 20

              for v in [ DdpmVariance.Beta; DdpmVariance.Posterior ] do
                  let k = DdpmAncestral(1, grid, v)
                  Expect.equal (ddimProbe k 19L 0.3 0) (ddimProbe k 19L 0.3 -1) $"{v}: last step"
                  Expect.notEqual (ddimProbe k 18L 0.3 0) (ddimProbe k 18L 0.3 -1) $"{v}: step before"
          }
          test "PLMC-DDPM with K = 1 is DDPM on the full grid with the same noise" {
              // No midpoints exist for K = 1; the two kernels differ only in ε̂- versus s-form rounding.
              let schedule = DdpmSchedule.Cosine(200)
              let plmc = PoissonMidpointDdpm(2, schedule, 1, DdpmVariance.Beta)
              let ddpm = DdpmAncestral(2, schedule.Full(), DdpmVariance.Beta)
              let g = GaussianNoisedScore([| 1.0; -1.0 |], [| 0.3; 2.0 |])
              let a, b = fst (run plmc g 5UL 16 plmc.Steps), fst (run ddpm g 5UL 16 ddpm.Steps)

              Expect.isTrue
                  (Array.forall2 (fun x y -> abs (x - y) <= 1e-12 * (1.0 + abs y)) a b)
                  "same states to round-off"
          }
          test "NFE counts equal the formulas" {
              let g = GaussianNoisedScore([| 0.0 |], [| 1.0 |])
              let count (k: ISamplerKernel) steps = let _, o = run k g 1UL 8 steps in o
              let heun = Heun(1, logSnrGrid 12)
              let o = count heun 12
              Expect.equal (o.Evaluations 3L) 24L "Heun: 2 per step ending at δ > 0"
              Expect.equal (o.Rounds 3L) 24L "Heun: sequential rounds"
              Expect.equal heun.EvaluationsPerRun 24 "formula"
              let edm = Heun(1, NoiseGrid.Edm 10)
              Expect.equal ((count edm 10).Evaluations 0L) 19L "Heun to σ = 0: 2N − 1"

              for k in
                  [ DdpmAncestral(1, DdpmSchedule.HoLinear().Uniform 40, DdpmVariance.Beta) :> ReverseGridKernel
                    Ddim(1, logSnrGrid 40, 0.3)
                    ReverseSdeEulerMaruyama(1, logSnrGrid 40)
                    ReverseSdeExponential(1, logSnrGrid 40)
                    ProbabilityFlowEuler(1, logSnrGrid 40)
                    ProbabilityFlowExponentialEuler(1, logSnrGrid 40) ] do
                  Expect.equal ((count k 40).Evaluations 7L) 40L $"{k.Name}: 1 per step"
          }
          test "PLMC-DDPM mean NFE is (2 − 1/K)·T/K within 5 SE" {
              // Per chain NFE = T/K + Bin(T/K·(K−1), 1/K); false-failure probability 5.7e-7.
              let k = 10

              let kernel =
                  PoissonMidpointDdpm(1, DdpmSchedule.HoLinear(), k, DdpmVariance.Posterior)

              let n = 500
              let _, o = run kernel data 9UL n kernel.Steps

              let m, se =
                  Stats.meanAndSe [| for c in 0 .. n - 1 -> float (o.Evaluations(int64 c)) |]

              let expected = (2.0 - 1.0 / float k) * 1000.0 / float k
              Expect.floatClose Accuracy.veryHigh kernel.ExpectedEvaluations expected "formula"
              Expect.isTrue (Stats.within Stats.z5 se m expected) $"mean NFE {m} ± {se}, expected {expected}"
              Expect.isLessThanOrEqual (o.Rounds 0L) (2L * int64 kernel.Steps) "at most 2 rounds per outer step"
          }
          test "bad inputs raise errors naming the parameter" {
              let s = DdpmSchedule.HoLinear()

              Expect.isTrue
                  (throwsNaming "K" (fun () -> PoissonMidpointDdpm(1, s, 0, DdpmVariance.Beta) |> ignore))
                  "K = 0"
              // DDPM's fine steps change level, so the midpoint method replays them; it cannot correct in place.
              let ddpmSteps = DdpmFineDynamics(1, s, 4, DdpmVariance.Beta)

              let iterate () =
                  PoissonMidpoint(ddpmSteps, 4, MidpointSource.Iterate) |> ignore

              Expect.isTrue (throwsNaming "dynamics" iterate) "replayed dynamics with midpoints from the iterate"
              Expect.isTrue (throwsNaming "eta" (fun () -> Ddim(1, logSnrGrid 4, 1.5) |> ignore)) "η > 1"

              Expect.isTrue
                  (throwsNaming "variance" (fun () -> DdpmAncestral(1, s.Uniform 4, enum<DdpmVariance> 7) |> ignore))
                  "variance"

              Expect.isTrue (throwsNaming "d" (fun () -> Heun(0, logSnrGrid 4) |> ignore)) "d = 0"
              let k = ProbabilityFlowEuler(1, logSnrGrid 4)

              Expect.isTrue
                  (throwsNaming "step" (fun () -> stepOnce k data (probe -1 0) 4L [| 0.0 |] |> ignore))
                  "step past the grid"
          }
          testList
              "MC on 1-D Gaussian data approaches the early-stopped variance (slow)"
              [ let full = DdpmSchedule.HoLinear()

                approachesEarlyStopped
                    "DDPM σ² = β̃, full grid"
                    (DdpmAncestral(1, full.Full(), DdpmVariance.Posterior, exactStart (full.Full())))
                    [ 1.0, 0 ]
                    21UL

                approachesEarlyStopped
                    "DDPM σ² = β, full grid"
                    (DdpmAncestral(1, full.Full(), DdpmVariance.Beta, exactStart (full.Full())))
                    [ 1.0, 0 ]
                    22UL
                // Respacing an 8000-level schedule (same continuum β(t)) to 1000 steps exercises β_{n→m}; respacing the 1000-level
                // one to 250 steps has a bias of −0.021 in E[Y²] (4 SE): coarsely respaced DDPM under-disperses.
                let fine = DdpmSchedule.HoLinear(8000, 1e-4 / 8.0, 0.02 / 8.0).Uniform 1000

                approachesEarlyStopped
                    "DDPM σ² = β̃, respaced 8000 → 1000"
                    (DdpmAncestral(1, fine, DdpmVariance.Posterior, exactStart fine))
                    [ 1.0, 0 ]
                    23UL

                let g = logSnrGrid 1000

                approachesEarlyStopped
                    "reverse SDE Euler–Maruyama"
                    (ReverseSdeEulerMaruyama(1, g, exactStart g))
                    [ 1.0, 0 ]
                    24UL

                approachesEarlyStopped
                    "reverse SDE exponential integrator"
                    (ReverseSdeExponential(1, g, exactStart g))
                    [ 1.0, 0 ]
                    25UL

                approachesEarlyStopped "PF-ODE Euler" (ProbabilityFlowEuler(1, g, exactStart g)) [ 1.0, 0 ] 26UL

                approachesEarlyStopped
                    "PF-ODE exponential Euler"
                    (ProbabilityFlowExponentialEuler(1, g, exactStart g))
                    [ 1.0, 0 ]
                    27UL

                approachesEarlyStopped "DDIM η = 0" (Ddim(1, g, 0.0, exactStart g)) [ 1.0, 0 ] 28UL
                approachesEarlyStopped "DDIM η = 0.5" (Ddim(1, g, 0.5, exactStart g)) [ 1.0, 0 ] 29UL
                let e = logSnrGrid 100
                approachesEarlyStopped "Heun" (Heun(1, e, exactStart e)) [ 1.0, 0 ] 30UL

                let plmc =
                    PoissonMidpointDdpm(1, full, 4, DdpmVariance.Posterior, exactStart (full.Full()))

                approachesEarlyStopped "PLMC-DDPM K = 4" plmc (plmcPatterns 4) 31UL ] ]
