/// The suite's names for the property kit's statistics (RateLab.Testing.Statistics), where they now live so that
/// users' kernels are judged by the same standard-error rules as the built-in ones.
module RateLab.Properties.Stats

/// Two-sided z-threshold for 5 standard errors: false-failure probability 5.7e-7 per comparison under the null.
let z5 = RateLab.Testing.Statistics.z5

/// Sample mean and its standard error.
let meanAndSe = RateLab.Testing.Statistics.meanAndSe

/// Sample variance and its standard error (delta method with the sample fourth central moment).
let varianceAndSe = RateLab.Testing.Statistics.varianceAndSe

/// True when |estimate − expected| ≤ z·se.
let within = RateLab.Testing.Statistics.within
