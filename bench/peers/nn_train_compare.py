"""Interleaved training-step benchmark: RateLab's Trainer (RateLab.Bench nn-train) against torch_network.py train.

Usage: nn_train_compare.py BENCH_DLL [REPEATS] [ITERATIONS] [STEPS]
Runs, REPEATS times, for d in {2, 10, 32} and 1 then 2 threads: RateLab, then torch (each a fresh process timing
ITERATIONS iterations of batch 300 after one warm-up). Prints a Markdown table of seconds per iteration, median
[min, max], the torch/RateLab ratio, the two-thread speed-ups, and the matrix-product FLOP rate against PEAK.
"""
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WIDTH = HARMONICS = 64
BATCH = 300
# Zen 5 (family 26): two 512-bit FMA pipes = 32 double flops per cycle at the 2.1 GHz /proc/cpuinfo reports.
PEAK_PER_CORE = 32 * 2.1e9


def flops_per_iteration(d, steps):
    """Matrix-product flops of one TB iteration: forward at sampling, forward and reverse for the loss (weight
    gradients, and input gradients except ∂L/∂x), counted the same for both peers."""
    f = 2 * (2 * HARMONICS * HARMONICS + HARMONICS * WIDTH + d * WIDTH + 2 * WIDTH * WIDTH + WIDTH * 2 * d)
    return BATCH * steps * (4 * f - 2 * d * WIDTH)


def run(cmd, threads):
    """(wall, CPU) seconds per iteration of one fresh process."""
    n = str(threads)
    env = dict(os.environ, OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, MKL_NUM_THREADS=n)
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return r["seconds_per_iteration"], r["cpu_seconds_per_iteration"]


def main():
    dll = sys.argv[1]
    repeats, iterations, steps = (int(a) for a in (sys.argv[2:] + ["5", "5", "100"][len(sys.argv) - 2:])[:3])
    times, cpu = {}, {}
    for _ in range(repeats):
        for d in (2, 10, 32):
            for threads in (1, 2):
                common = [str(d), str(threads), str(iterations), str(steps)]
                for peer, cmd in (("ratelab", ["dotnet", dll, "nn-train"]),
                                  ("torch", ["/usr/bin/python3", os.path.join(HERE, "torch_network.py"), "train"])):
                    wall, c = run(cmd + common, threads)
                    times.setdefault((peer, d, threads), []).append(wall)
                    cpu.setdefault((peer, d, threads), []).append(c)
    med = {k: statistics.median(v) for k, v in times.items()}
    fmt = lambda k: f"{med[k]:.3f} [{min(times[k]):.3f}, {max(times[k]):.3f}]"
    print(f"batch {BATCH}, N = {steps} steps, {iterations} iterations per run, {repeats} interleaved runs\n")
    print("| d | threads | RateLab s/iter | torch s/iter | torch / RateLab | RateLab GFLOP/s (% of peak) "
          "| torch GFLOP/s (% of peak) |")
    print("|---|---|---|---|---|---|---|")
    for d in (2, 10, 32):
        for threads in (1, 2):
            r, t = ("ratelab", d, threads), ("torch", d, threads)
            peak = PEAK_PER_CORE * threads
            rate = lambda k: flops_per_iteration(d, steps) / med[k]
            print(f"| {d} | {threads} | {fmt(r)} | {fmt(t)} | {med[t] / med[r]:.2f} | {rate(r) / 1e9:.1f} "
                  f"({100 * rate(r) / peak:.0f} %) | {rate(t) / 1e9:.1f} ({100 * rate(t) / peak:.0f} %) |")
    print("\nProcess CPU seconds per iteration, one thread (robust to other load on the machine):\n")
    print("| d | RateLab CPU s/iter | torch CPU s/iter | torch / RateLab | RateLab GFLOP per CPU-second (% of peak) |")
    print("|---|---|---|---|---|")
    for d in (2, 10, 32):
        r, t = statistics.median(cpu[("ratelab", d, 1)]), statistics.median(cpu[("torch", d, 1)])
        fr = lambda k: f"{statistics.median(cpu[k]):.3f} [{min(cpu[k]):.3f}, {max(cpu[k]):.3f}]"
        rate = flops_per_iteration(d, steps) / r
        print(f"| {d} | {fr(('ratelab', d, 1))} | {fr(('torch', d, 1))} | {t / r:.2f} | {rate / 1e9:.1f} "
              f"({100 * rate / PEAK_PER_CORE:.0f} %) |")
    print("\n| d | RateLab 2-thread speed-up | torch 2-thread speed-up |\n|---|---|---|")
    for d in (2, 10, 32):
        print(f"| {d} | {med[('ratelab', d, 1)] / med[('ratelab', d, 2)]:.2f} "
              f"| {med[('torch', d, 1)] / med[('torch', d, 2)]:.2f} |")


if __name__ == "__main__":
    main()
