/// Logarithmic factors of a rate: error ∝ (ln N)^a·N^(−p), or cost ∝ (ln(d/ε))^a·d^α·ε^(−β). A pure power-law fit
/// of such a curve reads the factor as a drifting exponent; dividing the known factor out of the response first
/// makes the remaining law a power law again, so the fitted slopes are the power-law exponents of the stated model.
namespace RateLab.Analysis.Fits

open System

/// What the logarithm in a log factor is taken of.
type LogArgument =
    /// (ln N)^a with N the cost on the fit's axis (the searched N* in a cost fit).
    | LogCost
    /// (ln(d/ε))^a: cost fits only.
    | LogDOverEps
    /// (ln(1/ε))^a: cost fits only.
    | LogInvEps

/// A factor (ln argument)^Power multiplying a power law.
type LogFactor = { Power: float; Argument: LogArgument }

module LogFactor =
    /// The argument in words, as it appears in a model formula.
    let argumentText (a: LogArgument) =
        match a with
        | LogCost -> "ln N"
        | LogDOverEps -> "ln(d/ε)"
        | LogInvEps -> "ln(1/ε)"

    /// The factor in words, e.g. "(ln N)^1.5".
    let describe (f: LogFactor) =
        $"({argumentText f.Argument})^{f.Power}"

    /// log((ln z)^a) = a·log(ln z) for an argument z; None where ln z ≤ 0, where the factor has no logarithm.
    let logOf (power: float) (z: float) =
        let l = log z

        if l > 0.0 && Double.IsFinite l then
            Some(power * log l)
        else
            None

    /// The sentence a fit stores so its slopes are read as exponents of the right model.
    let modelText (f: LogFactor) =
        $"model with log factor {describe f}: a·log({argumentText f.Argument}) with a = {f.Power} is subtracted "
        + "from the log response before the regression, so the slopes are the power-law exponents of that model"
