using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Running;
using RateLab.Bench;
using RateLab.Core.Exact;
using RateLab.Core.Validation;

// `workload FILE.json [threads]` runs one side-by-side workload and prints its JSON line (see Workloads.cs);
// `exact-lijiao D T [threads]` times W4 (see ExactWorkload.cs); `exact SAMPLER D STEPS [threads] [POLY]` times W5 (see
// GenericExactWorkload.cs; POLY: ExactOptions.PolynomialCoordinates); `exact-packed SAMPLER D STEPS [R] [PACKED]` times packed against one-at-a-time probing
// (PackedProbeWorkload.cs); `peak [passes]` measures one thread's FMA rate (PeakWorkload.cs);
// `bandwidth [MiB] [passes]` compares normal generation
// with the memory-write bandwidth (BandwidthWorkload.cs); `nn-dump DIR` and
// `nn-train D THREADS ITERATIONS STEPS` compare the drift network with PyTorch (NetworkWorkload.cs);
// `checkpoint-eval ENERGY DRAWS CHECKPOINT...` evaluates trained models over several draws, beside the authors'
// evaluation of them (CheckpointEvaluation.cs); `learned-export FILE.json DIR` writes W6's weights, start normals and coefficients for its PyTorch peer
// (LearnedScoreWorkload.cs); anything else goes to BenchmarkDotNet's switcher (e.g. `--filter '*'`).
try
{
    switch (args)
    {
        case ["workload", var file, .. var rest]:
            Console.WriteLine(Workloads.Run(file, Argument(rest, 0, "threads", 1, 1)));
            return 0;
        case ["learned-export", var file, var directory]:
            LearnedScoreWorkload.Export(file, directory);
            return 0;
        case ["exact-lijiao", var d, var t, .. var rest]:
            Console.WriteLine(ExactWorkload.Run(Parse(d, "D", 1), Parse(t, "T", 1), Argument(rest, 0, "threads", 0, 0)));
            return 0;
        case ["exact", var sampler, var d, var steps, .. var rest]:
            Console.WriteLine(GenericExactWorkload.Run(sampler, Parse(d, "D", 1), Parse(steps, "STEPS", 1),
                Argument(rest, 0, "threads", -1, -1), Argument(rest, 1, "POLY", new ExactOptions().PolynomialCoordinates, 1)));
            return 0;
        case ["exact-packed", var sampler, var d, var steps, .. var rest]:
            Console.WriteLine(PackedProbeWorkload.Run(sampler, Parse(d, "D", 1), Parse(steps, "STEPS", 1),
                Argument(rest, 0, "R", 64, 2), Argument(rest, 1, "PACKED", new ExactOptions().PackedCoordinates, 0)));
            return 0;
        case ["nn-dump", var directory]:
            Console.WriteLine(NetworkWorkload.Dump(directory));
            return 0;
        case ["checkpoint-eval", var energy, var draws, .. var checkpoints]:
            Console.WriteLine(CheckpointEvaluation.Run(energy, Parse(draws, "DRAWS", 2), checkpoints));
            return 0;
        case ["nn-train", var d, var threads, var iterations, var steps]:
            Console.WriteLine(NetworkWorkload.Train(Parse(d, "D", 1), Parse(threads, "THREADS", 1),
                Parse(iterations, "ITERATIONS", 1), Parse(steps, "STEPS", 1)));
            return 0;
        case ["peak", .. var rest]:
            Console.WriteLine(PeakWorkload.Run(Argument(rest, 0, "passes", 5, 1)));
            return 0;
        case ["bandwidth", .. var rest]:
            Console.WriteLine(BandwidthWorkload.Run(Argument(rest, 0, "MiB", 256, 1), Argument(rest, 1, "passes", 5, 1)));
            return 0;
    }
}
catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or JsonException
                              or KeyNotFoundException or InvalidOperationException)
{
    // Usage errors read as one line, never a stack trace.
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
BenchmarkSwitcher.FromAssembly(typeof(Workloads).Assembly).Run(args);
return 0;

static int Argument(string[] rest, int index, string name, int fallback, int min) =>
    index < rest.Length ? Parse(rest[index], name, min) : fallback;

static int Parse(string text, string name, int min) =>
    int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
        ? Guard.AtLeast(value, min, name)
        : throw new ArgumentException($"{name} = '{text}' is not an integer; allowed: integers ≥ {min}.", name);
