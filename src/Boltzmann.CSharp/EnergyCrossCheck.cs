using System.Text.Json;
using RateLab.Core.Randomness;
using RateLab.Core.Targets;
using RateLab.Core.Validation;

namespace RateLab.Boltzmann;

/// <summary>
/// A benchmark target written as JSON for the authors' code to recompute (bench/peers/gfn_diffusion_check.py
/// `energy`): points, RateLab's log R and ∇ log R there, and its log Z. The authors' energy of the same name must give
/// the same log-reward, gradient and log Z, so that a ΔlogZ = |log Z − ELBO| computed by either code refers to the
/// same target; the other checks use a Gaussian stand-in and leave the benchmarks themselves unchecked.
/// The points are exact draws of the target and, for its tails, the same draws scaled by 2.
/// </summary>
public static class EnergyCrossCheck
{
    /// <summary>Writes the case of <paramref name="target"/>, known to the authors' code as <paramref name="energy"/>
    /// (25gmm, hard_funnel, many_well), with log Z = <paramref name="logZ"/>, to <paramref name="path"/>.</summary>
    public static void Write(string path, string energy, ITarget target, double logZ, int points = 64, ulong seed = 3)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(energy);
        ArgumentNullException.ThrowIfNull(target);
        Guard.AtLeast(points, 2, nameof(points));
        if (target is not IExactSampler sampler)
            throw new ArgumentException($"target = {target.Name} is out of range; allowed: a target with exact draws.", nameof(target));
        int d = target.Dimension, half = points / 2;
        var x = new double[points * d];
        var noise = new PhiloxNoise(seed);
        for (int i = 0; i < half; i++)
        {
            var row = x.AsSpan(i * d, d);
            sampler.SampleExact(noise, i, 0, row);
            for (int j = 0; j < d; j++) x[(half + i) * d + j] = 2 * row[j];
        }
        for (int i = 2 * half; i < points; i++) sampler.SampleExact(noise, i, 0, x.AsSpan(i * d, d));
        var logR = new double[points];
        var score = new double[points * d];
        target.LogDensityRows(x, logR);
        target.ScoreRows(x, score);
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteString("energy", energy);
        w.WriteString("target", target.Name);
        w.WriteNumber("d", d);
        w.WriteNumber("log_z", logZ);
        WriteArray("points", x);
        WriteArray("log_reward", logR);
        WriteArray("score", score);
        w.WriteEndObject();

        void WriteArray(string name, double[] values)
        {
            w.WriteStartArray(name);
            foreach (var v in values) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
    }
}
