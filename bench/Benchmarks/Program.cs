using BenchmarkDotNet.Running;
using RateLab.Bench;

// `workload FILE.json [threads]` runs one side-by-side workload and prints its JSON line (see Workloads.cs);
// `exact-lijiao D T [threads]` times W4 (see ExactWorkload.cs); `bandwidth [MiB] [passes]` compares normal generation
// with the memory-write bandwidth (BandwidthWorkload.cs); anything else goes to BenchmarkDotNet's switcher (e.g. `--filter '*'`).
if (args.Length >= 2 && args[0] == "workload")
{
    int threads = args.Length >= 3 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1;
    Console.WriteLine(Workloads.Run(args[1], threads));
    return 0;
}
if (args.Length >= 3 && args[0] == "exact-lijiao")
{
    var inv = System.Globalization.CultureInfo.InvariantCulture;
    int threads = args.Length >= 4 ? int.Parse(args[3], inv) : 0;
    Console.WriteLine(ExactWorkload.Run(int.Parse(args[1], inv), int.Parse(args[2], inv), threads));
    return 0;
}
if (args.Length >= 1 && args[0] == "bandwidth")
{
    var inv = System.Globalization.CultureInfo.InvariantCulture;
    Console.WriteLine(BandwidthWorkload.Run(args.Length >= 2 ? int.Parse(args[1], inv) : 256, args.Length >= 3 ? int.Parse(args[2], inv) : 5));
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(Workloads).Assembly).Run(args);
return 0;
