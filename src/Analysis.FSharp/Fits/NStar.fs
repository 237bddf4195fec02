/// N*(d, ε): the smallest step count whose error is at most ε (docs/background.md), found by doubling then bisection.
///
/// Semantics. The search compares the UPPER confidence bound of the error with ε, so a noisy metric can only make N*
/// larger (conservative). Bisection assumes the upper-bound curve n ↦ U(n) is non-increasing; under that assumption the
/// result is the smallest n with U(n) ≤ ε, which equals the smallest n of the monotone envelope "U(m) ≤ ε for every
/// m ≥ n". For a curve that is not monotone the result is still a crossing — U(N*) ≤ ε and U(N* − 1) > ε (or
/// N* = nMin) — but an earlier crossing outside the bracketing doubling may exist; the evaluated points are returned so
/// the caller can check monotonicity. Step count is the search variable because every sampler's NFE is increasing in
/// it, so the smallest step count is also the smallest cost.
module RateLab.Analysis.Fits.NStar

open RateLab.Core.Validation
open RateLab.Analysis.Model.Records

/// The outcome of one search.
type NStarResult =
    {
        /// The smallest step count with upper error bound ≤ ε; None when not reached by nMax.
        NStar: int option
        Epsilon: float
        /// Every (step count, error) evaluated, in evaluation order.
        Evaluated: (int * Estimate) list
    }

/// Searches n in [nMin, nMax] for the smallest n with (errorAt n).Upper ≤ ε.
let search (errorAt: int -> Estimate) (epsilon: float) (nMin: int) (nMax: int) : NStarResult =
    Guard.Positive(epsilon, nameof epsilon) |> ignore
    Guard.AtLeast(nMin, 1, nameof nMin) |> ignore
    Guard.AtLeast(nMax, nMin, nameof nMax) |> ignore
    let evaluated = ResizeArray()

    let passes n =
        let e = errorAt n
        evaluated.Add((n, e))
        e.Upper <= epsilon

    let result n =
        { NStar = n
          Epsilon = epsilon
          Evaluated = List.ofSeq evaluated }

    if passes nMin then
        result (Some nMin)
    else
        // Doubling: the last failing n and the first passing n bracket N*.
        let rec double fail =
            if fail >= nMax then
                None
            else
                let next = if fail > nMax / 2 then nMax else 2 * fail
                if passes next then Some(fail, next) else double next

        match double nMin with
        | None -> result None
        | Some(fail, pass) ->
            let rec bisect fail pass =
                if pass - fail <= 1 then
                    pass
                else
                    let mid = fail + (pass - fail) / 2
                    if passes mid then bisect fail mid else bisect mid pass

            result (Some(bisect fail pass))
