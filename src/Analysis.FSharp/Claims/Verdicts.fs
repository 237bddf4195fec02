/// The one verdict engine: every rule that turns measured exponents into a verdict lives here, and docs/claims.md
/// shows the same rules as a table. A theorem bounds cost from above, so the direction of the evidence decides what it
/// can show: evidence that the true rate is at least as fast as measured (an upper bound on the error, or an exact
/// error) can show "consistent" or "faster"; evidence that it is at most as fast (a lower bound on the error, or an
/// exact error) can show "violates"; "tight" needs both.
module RateLab.Analysis.Claims.Verdicts

open System
open RateLab.Core.Validation
open RateLab.Analysis.Model.Records
open RateLab.Analysis.Claims.Claim

/// Which direction of an exponent is "faster". Cost exponents (N* ∝ d^a·ε^(−b): a, b) are faster when smaller;
/// error-decay orders (error ∝ N^(−p): p) are faster when larger.
type Sense =
    | SmallerIsFaster
    | LargerIsFaster

/// What a measured exponent can say about the true one, from the metric it was measured on.
type Side =
    /// From an upper bound on the error: the true rate is at least as fast as the measured one.
    | AtLeastAsFast
    /// From a lower bound on the error: the true rate is at most as fast as the measured one.
    | AtMostAsFast
    /// From the exact error: both.
    | BothSides

/// The side a metric's evidence gives.
let sideOf (direction: EvidenceDirection) =
    match direction with
    | ExactValue -> BothSides
    | UpperBoundOnError -> AtLeastAsFast
    | LowerBoundOnError -> AtMostAsFast

/// One exponent judged against one claimed exponent.
type Judgement =
    {
        /// Claim id and exponent, e.g. "B1 (1/ε)-exponent".
        Subject: string
        Verdict: Verdict
        /// The sentence that justifies the verdict: interval, claim, margin, direction.
        Reason: string
        /// What this evidence cannot show, in words.
        CannotShow: string
        /// Whether the verdict counts towards the section's verdict (false for rows shown for context: an exponent that
        /// holds by construction, a pure power law beside a claimed log factor, a measurement no paper claims).
        Counted: bool
    }

/// The default equivalence margin: 10 % of the claimed exponent, at least 0.05 (exponent units).
let defaultMargin (claimed: float) = max 0.05 (0.1 * abs claimed)

/// The margin a claim's exponent is judged with: the claim's own where it states one, else the default.
let marginOf (c: Claim) (claimed: float) =
    c.Margin |> Option.defaultValue (defaultMargin claimed)

let private cannotShow side =
    match side with
    | AtLeastAsFast -> "an upper bound on the error cannot show a violation or tightness: the true rate may be faster"
    | AtMostAsFast -> "a lower bound on the error cannot show consistency: the true rate may be slower"
    | BothSides -> "a benign instance cannot show that the bound is attained in the worst case"

/// Refuses an interval whose lower end exceeds its upper end, naming the argument.
let private requireOrdered (name: string) (e: Estimate) =
    if e.Lower > e.Upper then
        raise (
            ArgumentException(
                $"{name}.Lower = {e.Lower} exceeds {name}.Upper = {e.Upper}; allowed: Lower ≤ Upper.",
                name
            )
        )

/// Judges a measured exponent interval against the claimed exponent c with margin δ, reading the evidence by its side.
/// In the sense where larger is faster, with [lo, hi] the interval: AtLeast evidence gives "faster" when lo > c + δ and
/// "consistent" when lo ≥ c − δ; AtMost evidence gives "violates" when hi < c − δ and "not faster" when hi ≤ c + δ.
/// Then: violates (and no contradicting consistency) → violates; faster → faster; consistent and not faster → tight;
/// consistent alone → consistent (one-sided); otherwise inconclusive. A difference inside the margin is never
/// "faster" or "violates".
let judge
    (subject: string)
    (side: Side)
    (sense: Sense)
    (claimed: float)
    (margin: float)
    (measured: Estimate)
    : Judgement =
    Guard.Finite(claimed, nameof claimed) |> ignore
    Guard.Positive(margin, nameof margin) |> ignore

    requireOrdered (nameof measured) measured
    // Work in the "larger is faster" sense.
    let flip x =
        match sense with
        | LargerIsFaster -> x
        | SmallerIsFaster -> -x

    let lo, hi =
        (match sense with
         | LargerIsFaster -> measured.Lower, measured.Upper
         | SmallerIsFaster -> -measured.Upper, -measured.Lower)

    let c = flip claimed

    let ci =
        $"{measured.Level * 100.0:g3} %% interval [{measured.Lower:g4}, {measured.Upper:g4}]"

    let band = $"the claimed {claimed + 0.0:g4} ± margin {margin:g3}"

    let sideText =
        match side with
        | AtLeastAsFast -> "upper-bound evidence (the true rate is at least this fast)"
        | AtMostAsFast -> "lower-bound evidence (the true rate is at most this fast)"
        | BothSides -> "exact evidence (both directions)"

    let make v (why: string) =
        { Subject = subject
          Verdict = v
          Reason = $"{subject}: {ci}, {sideText}; {why}"
          CannotShow = cannotShow side
          Counted = true }

    if not (Double.IsFinite lo && Double.IsFinite hi) then
        make Inconclusive "the interval is not finite."
    else
        let atLeast = side <> AtMostAsFast
        let atMost = side <> AtLeastAsFast
        let faster = atLeast && lo > c + margin
        let consistent = atLeast && lo >= c - margin
        let violates = atMost && hi < c - margin
        let notFaster = atMost && hi <= c + margin

        if violates && consistent then
            make Inconclusive $"the two sides of the evidence contradict each other against {band}."
        elif violates then
            make ViolatesBound $"it lies entirely on the slower side of {band}."
        elif faster then
            make ConsistentFaster $"it lies entirely on the faster side of {band}."
        elif consistent && notFaster then
            make ConsistentTight $"it lies within {band} (equivalence test)."
        elif consistent && side = BothSides then
            make
                Consistent
                $"it is no slower than {band} but reaches beyond it on the faster side, so tightness is not shown."
        elif consistent then
            make Consistent $"it is no slower than {band}; tightness needs a lower bound."
        elif side = AtLeastAsFast then
            make
                Inconclusive
                $"it reaches the slower side of {band}, which an upper bound on the error cannot turn into a violation."
        elif side = AtMostAsFast then
            make
                Inconclusive
                $"it reaches the faster side of {band}, which a lower bound on the error cannot turn into consistency."
        else
            make Inconclusive $"it straddles an edge of {band}: too wide to decide."

/// Judges one exponent from a pair of bounds on the same error: `fromUpper`, measured on an upper bound on the error
/// (the true rate is at least as fast), and `fromLower`, measured on a lower bound (at most as fast). The true exponent
/// lies in the bracket [lo of fromUpper, hi of fromLower] (in the "larger is faster" sense), so the rules of `judge`
/// apply with "faster" and "consistent" read from the upper bound's interval and "violates" and "not faster" from the
/// lower bound's: tight when the whole bracket lies within the margin.
let judgeTwoSided
    (subject: string)
    (sense: Sense)
    (claimed: float)
    (margin: float)
    (fromUpper: Estimate)
    (fromLower: Estimate)
    : Judgement =
    Guard.Finite(claimed, nameof claimed) |> ignore
    Guard.Positive(margin, nameof margin) |> ignore

    requireOrdered (nameof fromUpper) fromUpper
    requireOrdered (nameof fromLower) fromLower

    let interval (e: Estimate) =
        match sense with
        | LargerIsFaster -> e.Lower, e.Upper
        | SmallerIsFaster -> -e.Upper, -e.Lower

    let c =
        match sense with
        | LargerIsFaster -> claimed
        | SmallerIsFaster -> -claimed

    let lo, _ = interval fromUpper
    let _, hi = interval fromLower

    let ci (e: Estimate) =
        $"{e.Level * 100.0:g3} %% interval [{e.Lower:g4}, {e.Upper:g4}]"

    let band = $"the claimed {claimed + 0.0:g4} ± margin {margin:g3}"

    let make v (why: string) cannot =
        { Subject = subject
          Verdict = v
          Reason =
            $"{subject}: upper-bound evidence {ci fromUpper} (the true rate is at least this fast), lower-bound evidence {ci fromLower} (the true rate is at most this fast); {why}"
          CannotShow = cannot
          Counted = true }

    let bracketTooWide =
        "a bracket wider than the margin cannot decide: the true rate may lie anywhere inside it"

    let benign =
        "a benign instance cannot show that the bound is attained in the worst case"

    if not (Double.IsFinite lo && Double.IsFinite hi) then
        make Inconclusive "an interval is not finite." bracketTooWide
    else
        let faster = lo > c + margin
        let consistent = lo >= c - margin
        let violates = hi < c - margin
        let notFaster = hi <= c + margin

        if violates && consistent then
            make Inconclusive $"the two bounds contradict each other against {band}." bracketTooWide
        elif violates then
            make ViolatesBound $"the lower bound's order lies entirely on the slower side of {band}." benign
        elif faster then
            make ConsistentFaster $"the upper bound's order lies entirely on the faster side of {band}." benign
        elif consistent && notFaster then
            make ConsistentTight $"both bounds' orders lie within {band} (equivalence test on the bracket)." benign
        elif consistent then
            make
                Consistent
                $"the upper bound's order is no slower than {band}, but the lower bound's reaches beyond it on the faster side, so tightness is not shown."
                bracketTooWide
        else
            make
                Inconclusive
                $"the upper bound's order reaches the slower side of {band} and the lower bound's does not lie below it, so the bracket straddles the claim: too wide to decide."
                bracketTooWide

/// Several judgements as one verdict, weakest first: any violation → violates; else any inconclusive → inconclusive;
/// else any one-sided → consistent; else any faster → faster; else tight. Judgements not counted are ignored; none
/// left → NoPublishedClaim.
let combine (judgements: Judgement list) : Verdict =
    let counted = judgements |> List.filter (fun j -> j.Counted)

    let has v =
        counted |> List.exists (fun j -> j.Verdict = v)

    if counted.IsEmpty then NoPublishedClaim
    elif has ViolatesBound then ViolatesBound
    elif has Inconclusive then Inconclusive
    elif has Consistent then Consistent
    elif has ConsistentFaster then ConsistentFaster
    else ConsistentTight

/// The evidence rows of a claim-free measurement: reported, not judged.
let noClaim (subject: string) (what: string) =
    { Subject = subject
      Verdict = NoPublishedClaim
      Reason = $"{subject}: {what}"
      CannotShow = "no published claim states a rate for this measurement, so it is reported, not judged"
      Counted = false }

/// A judgement shown for context but not counted, with the reason it is not.
let uncounted (why: string) (cannot: string) (j: Judgement) =
    { j with
        Counted = false
        Reason = $"{j.Reason} Not counted: {why}"
        CannotShow = cannot }

/// The predicted exponent for a fit regressor in the fit's convention, with its sense: cost fits "log d" → a,
/// "log(1/eps)" → −ε-exponent, "log kappa" and "log L" (a conditioning sweep) → the conditioning exponent; decay fits "log d" → a, "log(1/N)" → −N-exponent.
let predicted (form: ClaimForm) (term: Term) (regressor: string) : (float * Sense) option =
    match form, regressor with
    | _, "log d" -> term.D |> Option.map (fun a -> a, SmallerIsFaster)
    | CostBound, "log(1/eps)" -> term.Epsilon |> Option.map (fun e -> -e, SmallerIsFaster)
    | CostBound, ("log kappa" | "log L") -> term.Conditioning |> Option.map (fun c -> c, SmallerIsFaster)
    | ErrorDecay, "log(1/N)" -> term.Steps |> Option.map (fun s -> -s, LargerIsFaster)
    | _ -> None
