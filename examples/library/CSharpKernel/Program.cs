// A user's own kernel checked with the RateLab packages from outside the repository (see docs/library.md):
// exact error, order, a claim judged by the verdict engine, the property kit on the kernel, and the kit catching a
// planted bug. Exits 0 when the correct kernel passes everything and the planted bug is caught; 1 otherwise.
using CSharpKernel;
using RateLab.Analysis.Claims;
using RateLab.Analysis.Fits;
using RateLab.Core.Exact;
using RateLab.Core.Samplers;
using RateLab.Testing;
using Estimate = RateLab.Analysis.Model.Records.Estimate;
using Verdict = RateLab.Analysis.Model.Records.Verdict;

double[] mean = [0.5, -1.0, 0.0], variance = [1.0, 0.6, 0.3];
// Started at the target itself, so at a fixed horizon the exact error is the discretisation error alone.
var target = new GaussianTarget(mean, variance, new StartLaw(mean, variance.Select(Math.Sqrt).ToArray()));
const double horizon = 4.0;

// On N(m, λ) with a = h/λ: x' − m = (1 − a + a²/2)(x − m) + (1 − a/2)·√2·ΔW, so the invariant variance is
// 2h(1 − a/2)² / (1 − (1 − a + a²/2)²) and the invariant mean is m. Its relative bias is −a²/4 + O(a³): KL ∝ h⁴.
DiagonalLaw Invariant(GaussianReduction r, int n)
{
    double h = horizon / n;
    var v = r.Variance.Select(l =>
    {
        double a = h / l, m = 1 - a + a * a / 2;
        return 2 * h * (1 - a / 2) * (1 - a / 2) / (1 - m * m);
    }).ToArray();
    return new DiagonalLaw((double[])r.Mean.Clone(), v);
}

KernelSpec Spec(double noiseScale) =>
    KernelSpec.Create(noiseScale == 1.0 ? "trapezoidal ULA" : $"trapezoidal ULA, noise × {noiseScale}",
            Family.Langevin, target,
            (r, n) => Built.Langevin(r, new TrapezoidalUla(r.Dimension, horizon / n, r.Start, noiseScale), n),
            [8, 16])
        .WithCostPerStep(2)
        .WithOrder(4.0, ErrorMeasure.MatchedKl, [32, 64, 128, 256, 512])
        .WithInvariant(Invariant)
        .WithInvalid("h", "0", () => _ = new TrapezoidalUla(1, 0.0, StartLaw.Isotropic(1, 1.0)))
        .WithInvalid("h", "-1", () => _ = new TrapezoidalUla(1, -1.0, StartLaw.Isotropic(1, 1.0)));

// 1. The exact engine: KL of the output law after n steps (h = horizon/n) to the target.
int[] ns = [32, 64, 128, 256, 512];
var kl = ns.Select(n =>
{
    var r = target.Reduction;
    var kernel = new TrapezoidalUla(r.Dimension, horizon / n, r.Start);
    return ExactAnalysis.Analyse(ExactProblem.Langevin(r, kernel, n)).MomentMatched.Kl;
}).ToArray();
for (int i = 0; i < ns.Length; i++) Console.WriteLine($"n = {ns[i],4}: exact KL = {kl[i]:E4}");

// 2. The order: local slopes; the asymptotic order is the last one ± 2× its last change (exact values).
var slopes = LocalSlopes.compute(ns.Select((n, i) => Tuple.Create((double)n, Exact(kl[i]))).ToArray());
double last = -slopes[^1].Slope, previous = -slopes[^2].Slope, half = 2 * Math.Abs(last - previous);
var measured = new Estimate(last, last - half, last + half, double.NaN, 0.95);
Console.WriteLine($"local orders: {string.Join(", ", slopes.Select(s => (-s.Slope).ToString("F3")))}");

// 3. The claim "KL ∝ n^-4", judged by the verdict engine on the exact (two-sided) evidence.
const double claimed = 4.0;
var judgement = Verdicts.judge("trapezoidal ULA, KL order in n", Verdicts.Side.BothSides,
    Verdicts.Sense.LargerIsFaster, claimed, Verdicts.defaultMargin(claimed), measured);
Console.WriteLine($"claim KL ∝ n^-{claimed}: {judgement.Verdict}\n  {judgement.Reason}");

// 4. The property kit on the kernel, then on the same kernel with the noise scaled by 1.05 (a planted bug).
bool Report(KernelSpec spec)
{
    bool allOk = true;
    Console.WriteLine($"property kit: {spec.Name}");
    foreach (var (property, outcome) in Kit.check(spec))
    {
        allOk &= outcome.IsOk;
        Console.WriteLine(outcome.IsOk
            ? $"  pass  {property}: {outcome.ResultValue}"
            : $"  FAIL  {property}: {outcome.ErrorValue}");
    }
    return allOk;
}
bool correctPasses = Report(Spec(1.0));
bool bugCaught = !Report(Spec(1.05));

bool ok = correctPasses && bugCaught && judgement.Verdict.IsConsistentTight;
Console.WriteLine(ok
    ? "as expected: the kernel passes, its claim is tight, and the planted bug is caught"
    : $"unexpected: kernel passes = {correctPasses}, verdict = {judgement.Verdict}, planted bug caught = {bugCaught}");
return ok ? 0 : 1;

static Estimate Exact(double v) => new(v, v, v, double.NaN, 0.95);
