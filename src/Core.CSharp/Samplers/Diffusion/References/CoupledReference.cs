using System.Numerics.Tensors;
using RateLab.Core.Contracts;
using RateLab.Core.Diffusion;
using RateLab.Core.Randomness;
using RateLab.Core.Validation;

namespace RateLab.Core.Samplers.Diffusion.References;

/// <summary>
/// The coupled reference of docs/background.md: the exact PF-ODE driven by the same initial Gaussian (replayed through
/// the kernel's own Init) and, for samplers that inject noise (Li–Jiao), the same injected normals between the same
/// levels, Y* ← flow(τ_{k,0} → τ_{k,N}) then Y* ← √(ᾱ_{k+1,0}/ᾱ_{k,N}) Y* + √((τ_{k+1,0} − τ_{k,N})/ᾱ_{k,N}) Z_k.
/// The strong error ‖Y − Y*‖ is then measurable in any dimension.
/// </summary>
public static class CoupledReference
{
    /// <summary>
    /// Runs <paramref name="kernel"/> for its full step count on <paramref name="chains"/> chains with
    /// PhiloxNoise(<paramref name="seed"/>) and the score <paramref name="field"/>, and measures it against the reference
    /// following <paramref name="flow"/>.
    /// </summary>
    public static StrongError Measure(ICoupledSampler kernel, IScoreField field, IReferenceFlow flow, ulong seed,
        int chains, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(field);
        Guard.AtLeast(chains, 2, nameof(chains));
        var noise = new PhiloxNoise(seed);
        var batch = new ChainBatch(chains, kernel.StateLength, kernel.Dimension);
        SamplerRunner.Run(kernel, noise, new ScoreOracle(field, chains), batch, kernel.Steps, threads);
        var reference = Outputs(kernel, flow, noise, batch);
        int d = kernel.Dimension;
        var errors = new double[chains];
        for (int c = 0; c < chains; c++)
        {
            var y = batch.Position(c);
            double e = 0;
            for (int i = 0; i < d; i++) { double r = y[i] - reference[c * d + i]; e += r * r; }
            errors[c] = e;
        }
        return new StrongError(errors);
    }

    /// <summary>
    /// The reference outputs (chains × d, row-major) for the chains of <paramref name="batch"/>, after
    /// <paramref name="kernel"/> has run on them with <paramref name="noise"/>; the levels come from each chain's final
    /// aux state.
    /// </summary>
    public static double[] Outputs(ICoupledSampler kernel, IReferenceFlow flow, INoiseSource noise, ChainBatch batch)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(batch);
        Guard.Length(flow.Dimension, kernel.Dimension, "flow dimension");
        Guard.Length(batch.StateLength, kernel.StateLength, "batch state length");
        int d = kernel.Dimension, blocks = kernel.Blocks * d;
        var result = new double[batch.Chains * d];
        var start = new double[kernel.StateLength];
        var scratch = new double[Math.Max(1, kernel.ScratchLength)];
        var z = new double[d];
        // Init draws no score; this oracle only satisfies the context.
        var oracle = new ScoreOracle(new ZeroScore(d), (int)(batch.FirstChain + batch.Chains));
        for (int c = 0; c < batch.Chains; c++)
        {
            long chain = batch.FirstChain + c;
            var ctx = new StepContext(chain, -1, noise, oracle, scratch);
            kernel.Init(ref ctx, start);
            var y = result.AsSpan(c * d, d);
            start.AsSpan(0, d).CopyTo(y);
            ReadOnlySpan<double> aux = batch.State(c)[blocks..];
            for (int j = 0; j < kernel.Segments; j++)
            {
                var seg = kernel.Segment(aux, j);
                flow.Transport(y, seg.Top, seg.Bottom);
                if (!seg.Injects) continue;
                var forward = NoiseTransitions.Forward(seg.Bottom, seg.InjectTo);
                double a = forward.Scale, b = forward.NoiseSd;
                noise.Normals(chain, seg.InjectionStep, seg.InjectionRole, z);
                TensorPrimitives.Multiply(y, a, y);
                TensorPrimitives.MultiplyAdd(z, b, y, y);
            }
        }
        return result;
    }

    sealed class ZeroScore(int d) : IScoreField
    {
        public string Name => "none";
        public int Dimension => d;
        public void Score(ReadOnlySpan<double> x, double tau, Span<double> score) => score.Clear();
    }
}
