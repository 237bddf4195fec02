/// Verdicts of a measured exponent interval against a claimed exponent. Theorems are upper bounds (theory-claims
/// §4.1): faster than the bound is consistent with it without confirming it; slower, in the asymptotic regime with the
/// assumptions met, points to an implementation error or a violated assumption.
module RateLab.Analysis.Claims.Verdicts

open System
open RateLab.Core.Validation
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Claims.Claim
open RateLab.Analysis.Fits.RateFit

/// Which direction of an exponent is "faster". Made explicit because the two kinds of fitted exponent point opposite
/// ways.
type Sense =
    /// Cost exponents (N* ∝ d^a·ε^(−b): a, b) and error-growth exponents (error ∝ d^a): smaller grows more slowly.
    | SmallerIsFaster
    /// Error-decay orders (error ∝ N^(−p): p): larger decays faster.
    | LargerIsFaster

/// A verdict with the sentence that justifies it.
type Judgement =
    { Verdict: Verdict
      Reason: string
      /// Reminder of what the verdict can and cannot mean.
      Note: string }

/// An interval wider than this (in exponent units) cannot separate rates such as ε^(−2/3) from ε^(−1).
let defaultMaxWidth = 0.25

let private note =
    "theorems are upper bounds: a faster measured rate is consistent with the bound but does not confirm it, and a benign instance cannot show tightness"

/// Classifies the interval [measured.Lower, measured.Upper] against the predicted exponent, in this order: not finite
/// or wider than maxWidth → Inconclusive; contains the prediction → ConsistentTight; entirely on the fast side →
/// ConsistentFaster; otherwise (entirely on the slow side) → ViolatesBound.
let judge (maxWidth: float) (sense: Sense) (predicted: float) (measured: Estimate) : Judgement =
    Guard.Positive(maxWidth, nameof maxWidth) |> ignore
    Guard.Finite(predicted, nameof predicted) |> ignore
    let lo, hi = measured.Lower, measured.Upper
    if lo > hi then
        raise (ArgumentException($"measured.Lower = {lo} exceeds measured.Upper = {hi}; allowed: Lower ≤ Upper.", nameof measured))
    let ci = $"The {measured.Level * 100.0:g3} %% interval [{lo:g4}, {hi:g4}]"
    let judgement v reason = { Verdict = v; Reason = reason; Note = note }
    let fasterSide = match sense with SmallerIsFaster -> hi < predicted | LargerIsFaster -> lo > predicted
    let direction = match sense with SmallerIsFaster -> "below" | LargerIsFaster -> "above"
    if not (Double.IsFinite lo && Double.IsFinite hi) then
        judgement Inconclusive $"{ci} is not finite, so it cannot be compared with the predicted {predicted:g4}."
    elif hi - lo > maxWidth then
        judgement Inconclusive $"{ci} is wider than {maxWidth:g3}, too wide to compare with the predicted {predicted:g4}."
    elif lo <= predicted && predicted <= hi then
        judgement ConsistentTight $"{ci} contains the predicted {predicted:g4}."
    elif fasterSide then
        judgement ConsistentFaster $"{ci} lies entirely {direction} the predicted {predicted:g4}, on the faster side."
    else
        judgement ViolatesBound $"{ci} lies entirely on the slower side of the predicted {predicted:g4}."

/// The claim's prediction for one fitted regressor, converted to the fit's convention, with its sense:
/// cost fits "log d" → a, "log(1/eps)" → −ε-exponent; decay fits "log d" → a, "log(1/N)" → −N-exponent.
let predicted (kind: FitKind) (term: Term) (regressor: string) : (float * Sense) option =
    match kind, regressor with
    | _, "log d" -> term.D |> Option.map (fun a -> a, SmallerIsFaster)
    | CostFit, "log(1/eps)" -> term.Epsilon |> Option.map (fun e -> -e, SmallerIsFaster)
    | DecayFit, "log(1/N)" -> term.Steps |> Option.map (fun s -> -s, LargerIsFaster)
    | _ -> None

/// Judges every exponent of a fit that the chosen term of the claim predicts, as (regressor, judgement) pairs.
let checkFit (maxWidth: float) (claim: Claim) (termIndex: int) (fit: RateFit) : (string * Judgement) list =
    Guard.InClosed(float termIndex, 0.0, float (claim.Terms.Length - 1), nameof termIndex) |> ignore
    let expectedKind = match claim.Form with CostBound -> Some CostFit | ErrorDecay -> Some DecayFit | Qualitative -> None
    if expectedKind <> Some fit.Kind then
        raise (ArgumentException($"claim {claim.Id} is a {claim.Form} claim; a {fit.Kind} cannot test it.", nameof fit))
    List.zip fit.Fit.Regressors fit.Fit.Slopes
    |> List.choose (fun (name, slope) ->
        predicted fit.Kind claim.Terms.[termIndex] name
        |> Option.map (fun (p, sense) -> name, judge maxWidth sense p slope))
