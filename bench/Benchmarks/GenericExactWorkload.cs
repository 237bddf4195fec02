using System.Diagnostics;
using System.Globalization;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Exact;
using RateLab.Core.Samplers;
using RateLab.Core.Samplers.Diffusion;
using RateLab.Core.Samplers.Langevin;

namespace RateLab.Bench;

/// <summary>
/// W5: the generic exact engine (probing the real kernel, block by block) on N(0, diag λ) with d distinct eigenvalues
/// λ_i = κ^{−i/(d−1)}, κ = 100 (the catalog's ill-conditioned Gaussian and Gaussian data), n steps. Langevin samplers
/// start at the target with h = 0.005 (ULMC and Shen–Lee with γ = 2, u = 1; PLMC with K = 4); diffusion samplers run
/// the log-SNR grid from τ = 1 − 10⁻⁴ to 10⁻³. Randomized samplers use 8 draw replicates and at most 8 quadrature nodes
/// (RLMC declares 2 exact nodes; PLMC enumerates 2³ switch patterns), so their time is that of 8 conditional laws plus
/// one per node. ULA and ULMC are time-homogeneous, so n steps cost O(d log n). The timed
/// run follows an untimed one at d = 4096, so JIT compilation is not in the figure (`ratelab exact` end to end is).
/// </summary>
public static class GenericExactWorkload
{
    /// <summary>The samplers W5 knows.</summary>
    public static readonly string[] Samplers = ["ula", "ulmc", "rlmc", "shen-lee", "plmc", "ddim", "heun", "ddpm"];

    /// <summary>Times one exact analysis of <paramref name="sampler"/> in dimension <paramref name="d"/>, its randomized
    /// Langevin steps tabled as polynomials from <paramref name="polynomial"/> distinct coordinates on
    /// (<see cref="ExactOptions.PolynomialCoordinates"/>; int.MaxValue probes every block).</summary>
    public static string Run(string sampler, int d, int steps, int threads, int polynomial)
    {
        if (!Samplers.Contains(sampler))
            throw new ArgumentException($"sampler = '{sampler}' is unknown; allowed: {string.Join(", ", Samplers)}.", nameof(sampler));
        // The warm-up takes the timed run's path, so both paths' code is compiled before the clock starts.
        Analyse(sampler, Math.Min(d, 4096), steps, threads, Math.Min(polynomial, Math.Min(d, 4096)));
        var clock = Stopwatch.StartNew();
        var (result, laws) = Analyse(sampler, d, steps, threads, polynomial);
        double seconds = clock.Elapsed.TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"seconds\": {seconds:R}, \"sampler\": \"{sampler}\", \"d\": {d}, \"steps\": {steps}, \"threads\": {threads}, \"polynomial\": {polynomial}, \"laws\": {laws}, \"kl\": {result.Upper.Kl.Value:R}, \"kl_matched\": {result.MomentMatched.Kl:R}, \"nfe\": {result.Evaluations:R}}}");
    }

    const int Replicates = 8, Nodes = 8;

    // The result and the number of d-dimensional laws it took: 1 for a deterministic kernel, else the replicates plus
    // one per combination of the moment rule.
    static (ExactResult Result, double Laws) Analyse(string sampler, int d, int steps, int threads, int polynomial)
    {
        var variance = new double[d];
        for (int i = 0; i < d; i++) variance[i] = d == 1 ? 1 : Math.Pow(100, -(double)i / (d - 1));
        var mean = new double[d];
        bool diffusion = sampler is "ddim" or "heun" or "ddpm";
        var start = diffusion ? StartLaw.Isotropic(d, 1) : new StartLaw(mean, Array.ConvertAll(variance, Math.Sqrt));
        var reduction = GaussianReduction.Diagonal(mean, variance, start);
        var grid = NoiseGrid.LogSnrUniform(1 - 1e-4, 1e-3, steps);
        ExactProblem Build(GaussianReduction b)
        {
            if (!diffusion)
            {
                ISamplerKernel kernel = sampler switch
                {
                    "ula" => new Ula(b.Dimension, 0.005, b.Start),
                    "ulmc" => new Ulmc(b.Dimension, 0.005, 2, 1, b.Start),
                    "shen-lee" => new ShenLee(b.Dimension, 0.005, 1, b.Start),
                    "plmc" => PoissonMidpoint.Overdamped(b.Dimension, 0.005, 4, b.Start),
                    _ => new Rlmc(b.Dimension, 0.005, b.Start),
                };
                return ExactProblem.Langevin(b, kernel, steps);
            }
            ISamplerKernel reverse = sampler switch
            {
                "ddim" => new Ddim(b.Dimension, grid, 0),
                "heun" => new Heun(b.Dimension, grid),
                _ => new DdpmAncestral(b.Dimension, grid, DdpmVariance.Posterior),
            };
            return new ExactProblem(reverse, b.NoisedScore(), b.CentredNoisedScore(), b.NoisedData(grid.End.Tau), grid.Steps);
        }
        var result = ExactAnalysis.Analyse(reduction, Build, new ExactOptions(Replicates: Replicates, QuadratureNodes: Nodes, MaxThreads: threads,
            PolynomialCoordinates: polynomial));
        double laws = !result.Randomized ? 1
            : Replicates + (Build(reduction.Slice(0, 1)).Kernel is IStepDraws draws ? DrawQuadrature.CombinationCount(draws, Nodes) : 0);
        return (result, laws);
    }
}
