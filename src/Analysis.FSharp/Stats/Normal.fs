/// The standard normal quantile behind every 95 % interval built from a standard error.
module RateLab.Analysis.Stats.Normal

/// Φ⁻¹(0.975): a two-sided 95 % normal interval is the estimate ± z975 standard errors.
[<Literal>]
let z975 = 1.959963984540054
