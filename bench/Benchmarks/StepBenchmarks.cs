using BenchmarkDotNet.Attributes;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Randomness;
using RateLab.Core.Samplers;
using RateLab.Core.Samplers.Diffusion;
using RateLab.Core.Samplers.Langevin;
using RateLab.Core.Targets;

namespace RateLab.Bench;

/// <summary>
/// One kernel step of each Langevin and diffusion sampler on one chain, d = 64, on an isotropic Gaussian target (Langevin)
/// or the exact noised score of N(0, I) data (diffusion). The step index cycles through the sampler's schedule; the
/// memory diagnoser must show 0 B allocated per step.
/// </summary>
[MemoryDiagnoser]
public class StepBenchmarks
{
    const int D = 64;
    static readonly StartLaw Start = StartLaw.Point(new double[D]);
    static readonly NoiseGrid Grid = NoiseGrid.LogSnrUniform(0.999, 1e-3, 64);
    static readonly LiJiaoSchedule Schedule = new(256, 8, 2.0, 4.0);

    /// <summary>Sampler cases: name, kernel, field, steps in its schedule.</summary>
    static readonly Dictionary<string, Func<(ISamplerKernel Kernel, IScoreField Field, long Steps)>> Cases = new()
    {
        ["ULA"] = () => (new Ula(D, 0.01, Start), Target, long.MaxValue),
        ["RLMC"] = () => (new Rlmc(D, 0.01, Start), Target, long.MaxValue),
        ["MALA"] = () => (new Mala(Target, 0.01, Start), Target, long.MaxValue),
        ["ULMC"] = () => (new Ulmc(D, 0.1, 2.0, 1.0, Start), Target, long.MaxValue),
        ["ShenLee"] = () => (new ShenLee(D, 0.05, 1.0, Start), Target, long.MaxValue),
        ["PoissonMidpoint"] = () => (new PoissonMidpoint(new OverdampedFineDynamics(D, 0.01, Start), 4), Target, long.MaxValue),
        ["DDIM"] = () => (new Ddim(D, Grid, 0.0), Data, Grid.Steps),
        ["DDPM"] = () => (new DdpmAncestral(D, Grid, DdpmVariance.Beta), Data, Grid.Steps),
        ["Heun"] = () => (new Heun(D, Grid), Data, Grid.Steps),
        ["PF-Euler"] = () => (new ProbabilityFlowEuler(D, Grid), Data, Grid.Steps),
        ["PF-ExpEuler"] = () => (new ProbabilityFlowExponentialEuler(D, Grid), Data, Grid.Steps),
        ["SDE-EM"] = () => (new ReverseSdeEulerMaruyama(D, Grid), Data, Grid.Steps),
        ["SDE-Exp"] = () => (new ReverseSdeExponential(D, Grid), Data, Grid.Steps),
        ["PoissonMidpointDDPM"] = () => (new PoissonMidpointDdpm(D, DdpmSchedule.HoLinear(), 4, DdpmVariance.Beta), Data, 250),
        ["LiJiao"] = () => (new LiJiao(D, Schedule), Data, Schedule.K),
        ["LiJiaoParallel"] = () => (new LiJiaoParallel(D, Schedule, 4), Data, Schedule.K),
    };

    static DiagonalGaussian Target => DiagonalGaussian.Isotropic(D, 1.0);
    static GaussianNoisedScore Data => new(new double[D], Enumerable.Repeat(1.0, D).ToArray());

    ISamplerKernel kernel = null!;
    ScoreOracle oracle = null!;
    readonly PhiloxNoise noise = new(1);
    double[] state = null!, scratch = null!;
    long steps, step;

    /// <summary>The sampler under test.</summary>
    [ParamsSource(nameof(Samplers))]
    public string Sampler { get; set; } = "ULA";

    /// <summary>All sampler names.</summary>
    public static IEnumerable<string> Samplers => Cases.Keys;

    /// <summary>Builds the kernel and initialises one chain.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (kernel, var field, steps) = Cases[Sampler]();
        oracle = new ScoreOracle(field, 1);
        state = new double[kernel.StateLength];
        scratch = new double[Math.Max(1, kernel.ScratchLength)];
        var ctx = new StepContext(0, -1, noise, oracle, scratch);
        kernel.Init(ref ctx, state);
    }

    /// <summary>One step; after the last step of a finite schedule the chain restarts from Init.</summary>
    [Benchmark]
    public void Step()
    {
        if (step == steps)
        {
            step = 0;
            var init = new StepContext(0, -1, noise, oracle, scratch);
            kernel.Init(ref init, state);
        }
        var ctx = new StepContext(0, step++, noise, oracle, scratch);
        kernel.Step(ref ctx, state);
    }
}
