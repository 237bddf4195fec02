/// The seed of every randomized computation the report makes: draw replicates of randomized samplers, Monte Carlo
/// estimates, bootstrap resamples. Fixed, so a report is reproducible to the bit; one, so no section picks its own.
module RateLab.Analysis.Model.Seeds

/// The report's seed.
[<Literal>]
let Report = 20261123UL
