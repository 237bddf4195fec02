#!/usr/bin/env python3
"""Side-by-side benchmark of RateLab against NumPy and PyTorch (CPU) on the same workloads.

Runs are interleaved (RateLab, NumPy, PyTorch, RateLab, ...) so that slow drifts of the machine hit every side alike;
each side reports its wall time and summary statistics of its output, and the statistics must agree within 5 standard
errors, so that no side is timed doing less work. Writes the table to reports/performance.md.

RateLab-only rows follow: W4 (the exact Li–Jiao analysis, d = 10^6, T = 1024), W5 (the generic exact engine on
d = 10^6 distinct eigenvalues, in process and end to end through `ratelab exact`) and normal generation against the
memory-write bandwidth; the BenchmarkDotNet summary is appended when bench/BenchmarkDotNet.Artifacts holds one (run
`cd bench && dotnet run -c Release --project Benchmarks -- --filter '*' --inProcess --job short` first).

W6 (learned score: DDIM and Heun with the batched network) has a PyTorch peer only (bench/peers/torch_score_peer.py,
which first checks one forward pass and 64 end points against RateLab's); its NumPy column reads "not run".

Usage: /usr/bin/python3 bench/compare.py [--repeats N] [--quick] [--out reports/performance.md] [--workloads-only]
"""
import glob
import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = os.path.join(HERE, "workloads")
BENCH_DLL = os.path.join(HERE, "Benchmarks", "bin", "Release", "net10.0", "RateLab.Bench.dll")
RATELAB_DLL = os.path.join(ROOT, "src", "Analysis.FSharp", "bin", "Release", "net10.0", "ratelab.dll")
W5_SAMPLERS = ["ula", "ulmc", "rlmc", "shen-lee", "plmc", "ddim", "heun", "ddpm"]


def need(module, package):
    try:
        __import__(module)
    except ImportError:
        sys.exit(f"{module} is missing: install the Debian package {package} (apt-get install {package}) "
                 f"and run this script with /usr/bin/python3")


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


# Workloads whose peers live elsewhere: no NumPy side, a dedicated PyTorch peer.
LEARNED = {"W6"}
LEARNED_PEER = os.path.join(HERE, "peers", "torch_score_peer.py")


def sides(workload, quick):
    path = os.path.join(WORKLOADS, workload + (".quick" if quick else "") + ".json")
    if workload in LEARNED:
        return path, {
            "RateLab 1 thread": ["dotnet", BENCH_DLL, "workload", path, "1"],
            "RateLab 2 threads": ["dotnet", BENCH_DLL, "workload", path, "2"],
            "PyTorch": [sys.executable, LEARNED_PEER, path],
        }
    return path, {
        "RateLab 1 thread": ["dotnet", BENCH_DLL, "workload", path, "1"],
        "RateLab 2 threads": ["dotnet", BENCH_DLL, "workload", path, "2"],
        "NumPy": [sys.executable, os.path.join(HERE, "peers", "numpy_peer.py"), path],
        "PyTorch": [sys.executable, os.path.join(HERE, "peers", "torch_peer.py"), path],
    }


def agree(a, b, key):
    se = math.hypot(a[key + "_se"], b[key + "_se"])
    return abs(a[key] - b[key]) <= 5 * se, (a[key] - b[key]) / se if se > 0 else 0.0


def load():
    try:
        with open("/proc/loadavg") as f:
            return " / ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import numpy
    import torch
    dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} logical cores ({cpu}); "
            f".NET SDK {dotnet}; Python {platform.python_version()}, NumPy {numpy.__version__}, PyTorch {torch.__version__}")


def rate_lab_only(repeats, quick):
    """W4 and the normals-vs-bandwidth ratio (RateLab alone, interleaved 1 thread / 2 threads / bandwidth)."""
    d = 100_000 if quick else 1_000_000
    runs = {"W4 1 thread": [], "W4 2 threads": [], "bandwidth": []}
    for _ in range(repeats):
        for threads in (1, 2):
            runs[f"W4 {threads} thread" + ("s" if threads == 2 else "")].append(
                run_json(["dotnet", BENCH_DLL, "exact-lijiao", str(d), "1024", str(threads)]))
        runs["bandwidth"].append(run_json(["dotnet", BENCH_DLL, "bandwidth", "256", "5"]))
        runs.setdefault("peak", []).append(run_json(["dotnet", BENCH_DLL, "peak", "5"]))
    out = ["", f"## W4: exact Gaussian analysis of Li–Jiao, diagonal covariance, d = {d}, T = 1024 (RateLab alone)", "",
           f"`dotnet {os.path.relpath(BENCH_DLL, ROOT)} exact-lijiao {d} 1024 THREADS`; {repeats} runs each, median [min, max]. "
           "A coordinate-step is one of the 2T score-evaluation updates of one coordinate. Target: < 2 s.", "",
           "| threads | seconds | coordinate-steps / s |", "|---|---|---|"]
    for key in ("W4 1 thread", "W4 2 threads"):
        sec = [r["seconds"] for r in runs[key]]
        rate = [r["coordinate_steps_per_second"] for r in runs[key]]
        out.append(f"| {key.split()[1]} | {statistics.median(sec):.3f} [{min(sec):.3f}, {max(sec):.3f}] | "
                   f"{statistics.median(rate):.3e} |")
    out += generic_exact(repeats, d)
    bw = runs["bandwidth"]
    ratio = [r["ratio"] for r in bw]
    out += ["", "## Normal generation against memory-write bandwidth (one thread)", "",
            f"`dotnet {os.path.relpath(BENCH_DLL, ROOT)} bandwidth 256 5`: a 256 MiB buffer filled by `Span.Fill` and by "
            "`CounterRng.Normals` in 2^16-normal keys, best of 5 alternated passes each; " + f"{repeats} runs, median [min, max]. "
            "Target: ratio ≤ 3 " + (f"(met: {statistics.median(ratio):.2f})." if statistics.median(ratio) <= 3
                                     else f"(missed: the median ratio is {statistics.median(ratio) / 3:.1f}× the target)."), "",
            "| write GB/s | normals GB/s | normals / s | time ratio normals / write |", "|---|---|---|---|",
            f"| {statistics.median(r['write_GBps'] for r in bw):.2f} | {statistics.median(r['normals_GBps'] for r in bw):.2f} | "
            f"{statistics.median(r['normals_per_second'] for r in bw):.3e} | "
            f"{statistics.median(ratio):.2f} [{min(ratio):.2f}, {max(ratio):.2f}] |"]
    peak = [r["gflops"] for r in runs["peak"]]
    out += ["", f"FMA peak of one thread (`dotnet {os.path.relpath(BENCH_DLL, ROOT)} peak 5`: 16 independent AVX-512 "
            f"fused multiply-add chains, no memory traffic, best of 5): {statistics.median(peak):.1f} "
            f"[{min(peak):.1f}, {max(peak):.1f}] GFLOP/s."]
    limits = {"normals_per_second": max(r["normals_per_second"] for r in bw),
              "write_Bps": max(r["write_GBps"] for r in bw) * 1e9, "flops": max(peak) * 1e9}
    out += packed_exact(repeats, quick)
    reports = sorted(glob.glob(os.path.join(HERE, "BenchmarkDotNet.Artifacts", "results", "*-report-github.md")))
    if reports:
        out += ["", "## BenchmarkDotNet (in-process, short job, MemoryDiagnoser)", "",
                "`cd bench && dotnet run -c Release --project Benchmarks -- --filter '*' --inProcess --job short`", ""]
        for path in reports:
            with open(path) as f:
                out += [f.read().strip(), ""]
    return out, limits


def packed_exact(repeats, quick):
    """The exact analysis of the report's randomized Langevin samplers with each step's probes packed into one kernel
    step against one probe at a time (the quick report's ill-conditioned target, d = 16, its largest step count)."""
    steps = 640 if quick else 2560
    samplers = ["plmc-ulmc", "plmc", "shen-lee", "rlmc"]
    runs = {s: [] for s in samplers}
    for _ in range(repeats):
        for s in samplers:
            runs[s].append(run_json(["dotnet", BENCH_DLL, "exact-packed", s, "16", str(steps)]))
    out = ["", f"## Exact analysis of randomized samplers on a small block: packed probes (d = 16, {steps} steps)", "",
           f"`dotnet {os.path.relpath(BENCH_DLL, ROOT)} exact-packed SAMPLER 16 {steps}` (one thread, 64 replicates, "
           "K = 8 for PLMC; the quick report's ill-conditioned Langevin target, at its largest step count 2560 "
           "without --quick and at 640 with it). Each step's "
           "1 + m + roles probes run as one kernel step on side-by-side copies of the coordinates instead of one "
           "kernel "
           f"step each; both ways give the same law bit for bit (checked in every run). {repeats} runs, median "
           "[min, max].", "",
           "| sampler | one probe at a time (s) | packed (s) | speed-up |", "|---|---|---|---|"]
    med = lambda v: f"{statistics.median(v):.3f} [{min(v):.3f}, {max(v):.3f}]"
    for s in samplers:
        if not all(r["same_law"] for r in runs[s]):
            sys.exit(f"exact-packed {s}: packed and one-at-a-time laws differ")
        one, packed = [r["unpacked_seconds"] for r in runs[s]], [r["packed_seconds"] for r in runs[s]]
        out.append(f"| {s} | {med(one)} | {med(packed)} | "
                   f"{statistics.median(r['speedup'] for r in runs[s]):.2f}× |")
    return out


def startup(repeats, r2r):
    """Wall time of short `ratelab` processes: the JIT build with Tiered PGO on (default) and off, and, when a
    ReadyToRun publish is given, the same commands from it; interleaved."""
    commands = {"ratelab list samplers": ["list", "samplers"],
                "ratelab exact (RLMC, d = 10, 16 steps, 8 replicates)":
                    ["exact", "--sampler", "rlmc", "--target", "isotropic-gaussian", "--d", "10", "--steps", "16",
                     "--param", "h=0.1", "--replicates", "8", "--json"]}
    builds = {"JIT (default)": (RATELAB_DLL, {}), "JIT, DOTNET_TieredPGO=0": (RATELAB_DLL, {"DOTNET_TieredPGO": "0"})}
    if r2r:
        builds["ReadyToRun"] = (os.path.join(r2r, "ratelab.dll"), {})
    times = {(c, b): [] for c in commands for b in builds}
    for _ in range(repeats):
        for c, args in commands.items():
            for b, (dll, env) in builds.items():
                start = time.perf_counter()
                subprocess.run(["dotnet", dll] + args, check=True, capture_output=True, env={**os.environ, **env})
                times[(c, b)].append(time.perf_counter() - start)
    med = lambda v: f"{statistics.median(v):.3f} [{min(v):.3f}, {max(v):.3f}]"
    out = ["", "## CLI start-up", "",
           "Wall time of whole `ratelab` processes, interleaved, " + f"{repeats} runs each, median [min, max] seconds."
           + (f" ReadyToRun: `dotnet publish src/Analysis.FSharp -c Release -r linux-x64 --self-contained false "
              f"-p:PublishReadyToRun=true -o DIR`, then `--r2r DIR` here." if r2r else
              " Pass `--r2r DIR` (a ReadyToRun publish of src/Analysis.FSharp) to compare it."), "",
           "| command | " + " | ".join(builds) + " |", "|---" * (len(builds) + 1) + "|"]
    for c in commands:
        out.append(f"| `{c}` | " + " | ".join(med(times[(c, b)]) for b in builds) + " |")
    return out


def workload_counts(name, quick):
    """What one workload must do at the least: normals drawn, bytes of state read and written per step, and FLOPs of
    its scores (4·K·d per mixture score: the two products' multiply-adds; the update's few FLOPs per coordinate are
    left out, so the bound is optimistic)."""
    with open(os.path.join(WORKLOADS, name + (".quick" if quick else "") + ".json")) as f:
        w = json.load(f)
    n, d = w["chains"], w["d"]
    if w["sampler"] == "ddim+heun":
        # Per network row: the x branch's four W×W-sized products (d→W, W→W twice, W→d) as multiply-adds; the time
        # branch runs once per call and GELU and the update are left out, so the bound is optimistic.
        net = w["network"]
        width = net["width"]
        rows = n * (w["ddim_steps"] + 2 * w["heun_steps"])
        return {"normals": n * d, "bytes": 16 * d * rows, "flops": 2 * rows * (2 * d * width + 2 * width * width)}
    k = len(w["target"].get("weights", []))
    if w["sampler"] == "ula":
        steps = w["steps"]
        return {"normals": n * d * steps, "bytes": 16 * n * d * steps, "flops": 4 * k * d * n * steps}
    nfe = 2 * w["T"]
    return {"normals": None, "bytes": 16 * n * d * nfe, "flops": 4 * k * d * n * nfe}


def physical_limits(rows, limits, quick):
    """Each workload's lower bound on this machine and the fraction of it RateLab reached on one thread."""
    out = ["", "## Each workload against the machine's limits (one thread)", "",
           "Lower bounds from the best rates measured above: normals at the best normal rate (the bandwidth run), "
           "state "
           "bytes (one read and one write of every coordinate per step or evaluation) at the best write bandwidth, "
           "score FLOPs at the FMA peak. The bound is the largest of the three; the fraction is bound / RateLab's "
           "median time (1 = at the limit).", "",
           "| workload | normals (s) | bytes (s) | FLOPs (s) | bound (s) | RateLab 1 thread (s) "
           "| fraction of the limit |",
           "|---|---|---|---|---|---|---|"]
    for name, med, _ in rows:
        c = workload_counts(name, quick)
        t_normals = c["normals"] / limits["normals_per_second"] if c["normals"] is not None else 0.0
        t_bytes = c["bytes"] / limits["write_Bps"]
        t_flops = c["flops"] / limits["flops"]
        bound = max(t_normals, t_bytes, t_flops)
        r1 = med["RateLab 1 thread"]
        normals = f"{t_normals:.3f}" if c["normals"] is not None else "(per round, not counted)"
        out.append(f"| {name} | {normals} | {t_bytes:.3f} | {t_flops:.3f} | {bound:.3f} | {r1:.3f} "
                   f"| {bound / r1:.2f} |")
    return out


def wall(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def generic_exact(repeats, d):
    """W5: the generic exact engine at d distinct eigenvalues, 100 steps, in process (1 and 2 threads) and end to end."""
    steps, long_steps = 100, 100000
    times = {(s, t): [] for s in W5_SAMPLERS for t in (1, 2)}
    homogeneous = {s: [] for s in ("ula", "ulmc")}
    laws = {}
    cli = {"ratelab exact (ULA)": [], "ratelab list samplers": []}
    cli_cmd = ["dotnet", RATELAB_DLL, "exact", "--sampler", "ula", "--target", "ill-conditioned-gaussian", "--d", str(d),
               "--steps", str(steps), "--param", "h=0.005", "--json"]
    for _ in range(repeats):
        for (s, t) in times:
            r = run_json(["dotnet", BENCH_DLL, "exact", s, str(d), str(steps), str(t)])
            times[(s, t)].append(r["seconds"])
            laws[s] = r["laws"]
        for s in homogeneous:
            homogeneous[s].append(run_json(["dotnet", BENCH_DLL, "exact", s, str(d), str(long_steps), "2"])["seconds"])
        cli["ratelab exact (ULA)"].append(wall(cli_cmd))
        cli["ratelab list samplers"].append(wall(["dotnet", RATELAB_DLL, "list", "samplers"]))
    med = lambda v: f"{statistics.median(v):.3f} [{min(v):.3f}, {max(v):.3f}]"
    out = ["", f"## W5: generic exact engine, d = {d} distinct eigenvalues, {steps} steps (RateLab alone)", "",
           f"`dotnet {os.path.relpath(BENCH_DLL, ROOT)} exact SAMPLER {d} {steps} THREADS` (in process: spectrum, "
           "reduction, analysis block by block, distances); ULA and ULMC by repeated squaring of one step (O(d log n)); "
           "randomized samplers (rlmc, shen-lee, plmc) with 8 draw replicates and at most 8 quadrature nodes per step "
           f"(their time is that of 8 conditional laws plus one per node). {repeats} runs each, median [min, max] seconds. Target (issue 2): well under 1 s "
           "per configuration.", "",
           "| sampler | 1 thread | 2 threads | d-dimensional laws | 2 threads per law |", "|---|---|---|---|---|"]
    out += [f"| {s} | {med(times[(s, 1)])} | {med(times[(s, 2)])} | {laws[s]:g} | "
            f"{statistics.median(times[(s, 2)]) / laws[s]:.3f} |" for s in W5_SAMPLERS]
    out += ["", f"Time-homogeneous samplers at {long_steps} steps (2 threads, O(d log n)): "
            + ", ".join(f"{s} {med(v)} s" for s, v in homogeneous.items()) + "."]
    out += ["", f"End to end, wall time of the process: `dotnet {os.path.relpath(RATELAB_DLL, ROOT)} " + " ".join(cli_cmd[2:])
            + f"` {med(cli['ratelab exact (ULA)'])} s, against {med(cli['ratelab list samplers'])} s for "
            "`ratelab list samplers` (process start alone)."]
    out += ["", "The randomized samplers at d = 10⁶ with tabled steps are measured by hand, not by this script: "
            "[performance-d1e6.md](performance-d1e6.md). So is the quick report's wall time: "
            "[performance-report.md](performance-report.md)."]
    return out


# Why a missed target is missed and what would close it, per workload kind.
WHY = {
    "W1": "W1 is bound by normal generation: Philox + Box–Muller normals run several times slower than writing the same "
          "bytes (see the bandwidth row), and the ULA update itself is one fused pass. Closing it needs a cheaper "
          "transform (a vectorised ziggurat, or polynomial log/sincos on AVX-512) fused into the update.",
    "W2": "GMM scores are batched (ULA steps blocks of 64 chains in lockstep; logits and weighted means are two matrix "
          "products per block), so the score is no longer the larger cost: the normals are (see the limits table), as "
          "for W1.",
    "W3": "Li–Jiao steps blocks of 64 chains in lockstep and scores each cell's block in one call at per-chain levels, "
          "but that score must stay bit-identical to the one-row score (the report's numbers may not move), so it "
          "keeps K·d divisions, K exponentials and K dot products per row in the one-row order instead of two matrix "
          "products per block as W2; what remains is that per-row arithmetic, near the limit of a bit-identical score.",
    "W6": "W6 is the network's matrix products (see the limits table); what would close a gap is a larger register "
          "tile or fusing GELU into the product's store.",
}


def targets(rows, busy):
    """The issue's targets against the measured medians: met, or missed by how much, with why and what would close it."""
    out = ["", "### Targets", "",
           "Single thread: NumPy / RateLab ≥ 3× and PyTorch / RateLab ≥ 2× (W6: PyTorch / RateLab ≥ 1×); two threads "
           "≥ 1.7× one thread.", ""]
    for name, med, _ in rows:
        r1 = med["RateLab 1 thread"]
        checks = ([("PyTorch", med["PyTorch"] / r1, 1.0)] if name in LEARNED else
                  [("NumPy", med["NumPy"] / r1, 3.0), ("PyTorch", med["PyTorch"] / r1, 2.0)]) + \
                 [("two threads", r1 / med["RateLab 2 threads"], 1.7)]
        words = [f"{what} {got:.2f}× ({'met' if got >= want else f'missed: {got / want:.0%} of {want}×'})"
                 for what, got, want in checks]
        out.append(f"- {name}: " + "; ".join(words) + ".")
        if any(got < want for what, got, want in checks[:-1]) and name in WHY:
            out.append(f"  {WHY[name]}")
    if busy and any(med["RateLab 1 thread"] / med["RateLab 2 threads"] < 1.7 for _, med, _ in rows):
        out += ["", "Two threads: the load average exceeded the core count during these runs, so a second thread "
                "found no free core; the two-thread target needs an idle machine to be judged."]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="shortened workloads (fewer steps) for a smoke run")
    ap.add_argument("--out", default=os.path.join(ROOT, "reports", "performance.md"))
    ap.add_argument("--workloads", default="W1,W2,W3")
    ap.add_argument("--ratelab-only", action="store_true", help="only the RateLab-alone sections (W4, W5, normals)")
    ap.add_argument("--workloads-only", action="store_true",
                    help="only the side-by-side workloads (no W4, W5, normals, limits or start-up sections)")
    ap.add_argument("--r2r", help="a ReadyToRun publish of src/Analysis.FSharp to compare start-up with")
    args = ap.parse_args()
    load_start = load()
    known = sorted(os.path.basename(f)[:-5] for f in glob.glob(os.path.join(WORKLOADS, "W*.json")) if ".quick" not in f)
    unknown = [w for w in args.workloads.split(",") if w not in known]
    if unknown or args.repeats < 1:
        ap.error(f"--workloads {','.join(unknown)} unknown; allowed: a comma list of {', '.join(known)}" if unknown
                 else f"--repeats = {args.repeats}; allowed: integers >= 1")
    need("numpy", "python3-numpy")
    need("torch", "python3-torch")
    for project in (os.path.join(HERE, "Benchmarks"), os.path.join(ROOT, "src", "Analysis.FSharp")):
        subprocess.run(["dotnet", "build", project, "-c", "Release", "-v", "q", "-nologo"], check=True, capture_output=True)

    rows, mismatches, checks = [], [], {}
    for name in ([] if args.ratelab_only else args.workloads.split(",")):
        path, cmds = sides(name, args.quick)
        times = {side: [] for side in cmds}
        last = {}
        for _ in range(args.repeats):
            for side, cmd in cmds.items():
                r = run_json(cmd)
                times[side].append(r["seconds"])
                last[side] = r
                print(f"{name} {side}: {r['seconds']:.2f} s", file=sys.stderr)
        if name in LEARNED:
            check = run_json([sys.executable, LEARNED_PEER, "check", path])
            checks[name] = check
            worst = max(check.values())
            if not worst <= 1e-12:
                mismatches.append(f"{name}: PyTorch and RateLab differ by {worst:.1e} (relative) on the check batch")
        keys = ("mean", "second_moment") + (("heun_mean", "heun_second_moment") if name in LEARNED else ())
        for side in ("NumPy", "PyTorch", "RateLab 2 threads"):
            if side not in last:
                continue
            for key in keys:
                ok, z = agree(last["RateLab 1 thread"], last[side], key)
                if not ok:
                    mismatches.append(f"{name}: RateLab vs {side} differ in {key} by {z:.1f} SE")
        med = {s: statistics.median(v) for s, v in times.items()}
        spread = {s: (min(v), max(v)) for s, v in times.items()}
        rows.append((name, med, spread))

    lines = ["# Performance: RateLab against NumPy and PyTorch (CPU)", "",
             f"Reproduce with: `/usr/bin/python3 bench/compare.py --repeats {args.repeats}"
             + (" --quick" if args.quick else "") + (" --ratelab-only" if args.ratelab_only else "")
             + (f" --workloads {args.workloads} --workloads-only" if args.workloads_only else "")
             + (" --r2r DIR" if args.r2r else "") + "`", "",
             f"Machine: {machine()}; load average at the start {load_start} and at the end LOAD_AT_END (1, 5, 15 min; "
             "other jobs shared the cores, so absolute times are inflated and the interleaved ratios are the figures "
             "to read).", ""]
    if rows:
        lines += [
             f"Runs interleaved RateLab / NumPy / PyTorch, {args.repeats} repeats each; medians of wall time with "
             "[min, max] spread. Every side ran the same workload file (bench/workloads/) and its output means matched "
             "RateLab's within 5 standard errors" + (" except as listed below." if mismatches else "."), "",
             "| workload | RateLab 1 thread (s) | RateLab 2 threads (s) | NumPy (s) | PyTorch (s) | NumPy / RateLab | PyTorch / RateLab | 2-thread speed-up |",
             "|---|---|---|---|---|---|---|---|"]
    for name, med, spread in rows:
        digits = 3 if name in LEARNED else 2
        cell = lambda s: (f"{med[s]:.{digits}f} [{spread[s][0]:.{digits}f}, {spread[s][1]:.{digits}f}]" if s in med
                          else "not run")
        r1 = med["RateLab 1 thread"]
        numpy_ratio = f"{med['NumPy'] / r1:.2f}×" if "NumPy" in med else "not run"
        lines.append(f"| {name} | {cell('RateLab 1 thread')} | {cell('RateLab 2 threads')} | {cell('NumPy')} | "
                     f"{cell('PyTorch')} | {numpy_ratio} | {med['PyTorch'] / r1:.2f}× | "
                     f"{r1 / med['RateLab 2 threads']:.2f}× |")
    for name, check in checks.items():
        lines += ["", f"{name} cross-check (torch_score_peer.py check, same weights and start points): "
                  + ", ".join(f"{k.replace('_', ' ')} {v:.1e}" for k, v in check.items()) + "."]
    if mismatches:
        lines += ["", "Statistical mismatches:", ""] + [f"- {m}" for m in mismatches]
    if rows:
        lines += targets(rows, busy=float(load_start.split(" / ")[0]) >= (os.cpu_count() or 1)
                         if load_start != "unknown" else False)
    if not args.workloads_only:
        extra, limits = rate_lab_only(args.repeats, args.quick)
        if rows:
            lines += physical_limits(rows, limits, args.quick)
        lines += extra
        lines += startup(args.repeats, args.r2r)
    text = ("\n".join(lines) + "\n").replace("LOAD_AT_END", load())
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.out)
    print(text)
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
