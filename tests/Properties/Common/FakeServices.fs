/// Records, fake services and temp directories shared by the command-line and report tests. The fake experiment
/// follows error = c·NFE^(−1) exactly, so every number a test sees is predictable.
module RateLab.Properties.FakeServices

open System
open System.IO
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Plots
open RateLab.Analysis.Report.Model
open RateLab.Analysis.Studies
open RateLab.Analysis.Cli.Services
open RateLab.Analysis.Cli.Ui

/// A fresh directory under the system temp directory, deleted on dispose.
type TempDir() =
    let path =
        Path.Combine(Path.GetTempPath(), "ratelab-tests-" + Guid.NewGuid().ToString("N"))

    do Directory.CreateDirectory path |> ignore
    member _.Path = path

    interface IDisposable with
        member _.Dispose() =
            if Directory.Exists path then
                Directory.Delete(path, true)

/// Structural equality in which NaN equals NaN (Double.Equals), at any depth. F#'s `=` says NaN ≠ NaN, and a
/// record's Equals only uses NaN = NaN for its own fields, not inside nested lists.
let rec deepEqual (a: obj | null) (b: obj | null) : bool =
    match a, b with
    | Null, Null -> true
    | Null, _
    | _, Null -> false
    | NonNull a, NonNull b -> sameValue a b

and private sameValue (a: obj) (b: obj) =
    let t = a.GetType()

    match a, b with
    | (:? float as x), (:? float as y) -> x.Equals y
    | (:? string as x), (:? string as y) -> x = y
    | _ when t <> b.GetType() -> false
    | (:? Collections.IEnumerable as xs), (:? Collections.IEnumerable as ys) ->
        let xs, ys = Seq.cast<obj> xs |> Seq.toArray, Seq.cast<obj> ys |> Seq.toArray
        xs.Length = ys.Length && Array.forall2 deepEqual xs ys
    | _ when Reflection.FSharpType.IsRecord t ->
        Array.forall2 deepEqual (Reflection.FSharpValue.GetRecordFields a) (Reflection.FSharpValue.GetRecordFields b)
    | _ when Reflection.FSharpType.IsTuple t ->
        Array.forall2 deepEqual (Reflection.FSharpValue.GetTupleFields a) (Reflection.FSharpValue.GetTupleFields b)
    | _ when Reflection.FSharpType.IsUnion t ->
        let ca, fa = Reflection.FSharpValue.GetUnionFields(a, t)
        let cb, fb = Reflection.FSharpValue.GetUnionFields(b, t)
        ca.Tag = cb.Tag && Array.forall2 deepEqual fa fb
    | _ -> a.Equals b

/// The message of the exception of type 'E that f raises; fails the test when f raises nothing.
let messageOf<'E when 'E :> exn> (f: unit -> unit) =
    try
        f ()
        Expecto.Tests.failtestf "expected %s, got no exception" typeof<'E>.Name
    with :? 'E as e ->
        e.Message

/// A console that records output and never draws live progress.
let captured () =
    let out, err = new StringWriter(), new StringWriter()
    { Out = out; Err = err; Live = false }, out, err

/// A valid spec (the same as examples/ula-isotropic.json).
let validSpecJson =
    """{
  "name": "ula-isotropic",
  "sampler": { "name": "ula", "parameters": { "h": 0.1 } },
  "target": { "name": "isotropic-gaussian", "parameters": { "variance": 1.0 } },
  "dimensions": [1, 10, 100],
  "metric": "exact_kl",
  "steps": [8, 16, 32, 64],
  "chains": 1,
  "seeds": [1],
  "profile": "quick",
  "claims": ["A1"]
}"""

let private est v =
    { Value = v
      Lower = v * 0.9
      Upper = v * 1.1
      StdError = v * 0.05
      Level = 0.95 }

/// The fake curve of a one-dimension spec: NFE = steps, error = d/NFE.
let fakeCurve (spec: ExperimentSpec) =
    let d = List.exactlyOne spec.Dimensions

    { Sampler = spec.Sampler.Name
      Parameters = spec.Sampler.Parameters |> Map.toList |> List.map (fun (k, v) -> k, showParam v)
      Target = spec.Target.Name
      Dimension = d
      Metric = spec.Metric
      Seeds = spec.Seeds
      Points =
        [ for n in spec.Steps ->
              { Steps = n
                StepSize = nan
                Nfe = float n
                Depth = float n
                Error = est (float d / float n) } ]
      Method = "fake: error = d/NFE" }

/// A fit record with fixed numbers.
let sampleFit =
    { Regressors = [ "log N" ]
      Intercept = est 1.0
      Slopes =
        [ { Value = -1.0
            Lower = -1.1
            Upper = -0.9
            StdError = 0.05
            Level = 0.95 } ]
      Window = [ 0; 1; 2; 3 ]
      WindowRule = "all points"
      Residuals = [ 0.0; 0.01; -0.01; 0.0 ]
      Excluded = []
      IntervalMethod = "fixed numbers for tests" }

/// A section built from curves the way a real builder would: figures from records only.
let sectionOf (title: string) (claim: string) (curves: ErrorCurve list) =
    let slug = claim.ToLowerInvariant()

    let nStar =
        curves |> List.map (fun c -> float c.Dimension, est (10.0 * float c.Dimension))

    { Title = title
      ClaimIds = [ claim ]
      Verdict = ConsistentTight
      Reason = "The slope interval [-1.1, -0.9] contains the claimed exponent -1."
      Evidence = []
      Method = "Fake curves: error = d/NFE exactly.\n\nSecond paragraph with `code`."
      Fits =
        [ { Caption = "error against NFE"
            Fit = sampleFit
            TheorySlopes = [ "log N", -1.0 ] } ]
      Figures =
        [ Figures.errorVsNfe $"{slug}-error" $"{title}: error against NFE" curves
          Figures.localSlopes $"{slug}-slopes" $"{title}: local slopes" curves (Some -1.0)
          Figures.nStarVs
              $"{slug}-nstar"
              $"{title}: N* against d"
              { Label = "dimension d"; Log = true }
              nStar
              { sampleFit with
                  Slopes =
                      [ { sampleFit.Slopes[0] with
                            Value = 1.0
                            Lower = 0.9
                            Upper = 1.1 } ]
                  Window = [ 0; 1; 2 ] }
              0
              (Some(1.0, "A1: d^1")) ]
      Curves = curves }

/// A two-part report over fake curves.
let sampleReport () =
    let spec = parse validSpecJson

    let curves =
        spec.Dimensions
        |> List.map (fun d -> fakeCurve { spec with Dimensions = [ d ] })

    { Title = "RateLab test report"
      Parts =
        [ { Slug = "langevin"
            Title = "Langevin samplers"
            Intro = "Intro paragraph."
            Sections = [ sectionOf "ULA in d" "A1" curves ] }
          { Slug = "diffusion"
            Title = "Diffusion samplers"
            Intro = "Second part."
            Sections = [ sectionOf "Heun" "B1" curves ] } ] }

/// Fake services; `calls` counts RunExperiment invocations, `failOn` makes the run of that dimension throw
/// (an interruption).
let fakeServices (calls: int ref) (failOn: int option) =
    { unwired with
        RunExperiment =
            fun spec sink ->
                let d = List.exactlyOne spec.Dimensions

                if failOn = Some d then
                    failwith $"interrupted at d={d}"

                calls.Value <- calls.Value + 1
                sink 0.5
                fakeCurve spec
        FitCsv = fun _ -> sampleFit
        ExactEval =
            fun q ->
                { Sampler = q.Sampler.Name
                  Target = q.Target.Name
                  Dimension = q.Dimension
                  Steps = q.Steps
                  Nfe = float q.Steps
                  NfeChains = 1
                  Figures =
                    [ for metric, v in [ ExactKl, 0.01; ExactW2, 0.1 ] ->
                          { Metric = metric
                            Estimate = ExactCurves.exactEstimate v
                            Bound = ExactCurves.Exact
                            Evaluation = ExactCurves.ClosedForm } ]
                  Velocity = None }
        ListSamplers = fun () -> [ "ula", "unadjusted Langevin" ]
        ListTargets = fun () -> [ "isotropic-gaussian", "N(0, I/m)" ]
        ListClaims = fun () -> [ "A1", "ULA W2 rate" ]
        BuildReport =
            fun ctx ->
                let build () =
                    sectionOf "ULA in d" "A1" (ctx.Run(parse validSpecJson))

                { Title = "fake"
                  Parts =
                    [ { Slug = "langevin"
                        Title = "Langevin"
                        Intro = "intro"
                        Units = [ RateLab.Analysis.Sections.Units.announced ctx.SectionDone "ula" build ] } ] } }
