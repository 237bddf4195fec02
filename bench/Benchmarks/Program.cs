using BenchmarkDotNet.Running;
using RateLab.Bench;

// `workload FILE.json [threads]` runs one side-by-side workload and prints its JSON line (see Workloads.cs);
// anything else goes to BenchmarkDotNet's switcher (e.g. `--filter '*'`).
if (args.Length >= 2 && args[0] == "workload")
{
    int threads = args.Length >= 3 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1;
    Console.WriteLine(Workloads.Run(args[1], threads));
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(Workloads).Assembly).Run(args);
return 0;
