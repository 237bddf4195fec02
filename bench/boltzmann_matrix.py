"""Every training objective on every benchmark and grid, through `ratelab train`: a capability matrix, not a verdict.

Usage: python3 bench/boltzmann_matrix.py RATELAB_DLL [ITERATIONS] [OUT.md]
Trains TB, VarGrad, DB, SubTB and KL on 25GMM, Funnel and Manywell on uniform, random (rho = 10) and shifted grids with
N_train = 10, plus learned variance and exploration on 25GMM, one seed each, and writes a Markdown table of the trained
and the untrained sampler's figures at N_eval = 100 (same evaluation draws). A row says "improved" only when the ELBO
gain exceeds 3 combined standard errors (conservative: the two ELBOs share their draws, so their errors are positively
correlated and the SE of the difference is smaller than the combined one).
"""
import json
import math
import os
import platform
import subprocess
import sys
import time

OBJECTIVES = ["tb", "vargrad", "db", "subtb", "kl"]
TARGETS = ["25gmm", "funnel", "manywell"]
GRIDS = ["uniform", "random", "shifted"]


def configurations():
    for target in TARGETS:
        for objective in OBJECTIVES:
            for grid in GRIDS:
                yield target, objective, grid, []
    for objective in OBJECTIVES:
        yield "25gmm", objective, "random", ["--learned-variance"]
        if objective != "kl":  # KL's reparameterised gradient needs on-policy samples
            yield "25gmm", objective, "random", ["--exploration", "0.5"]


def run(dll, iterations, target, objective, grid, extra):
    cmd = ["dotnet", dll, "train", "--target", target, "--objective", objective, "--grid", grid, "--steps", "10",
           "--iterations", str(iterations), "--batch", "64", "--width", "32", "--harmonics", "16",
           "--eval-steps", "100", "--eval-samples", "256", "--json"] + extra
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=dict(os.environ, CI="true")).stdout
    return cmd, json.loads(out)


def fmt(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}g}"


def main():
    dll = sys.argv[1]
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    out = sys.argv[3] if len(sys.argv) > 3 else None
    rows, started = [], time.time()
    for target, objective, grid, extra in configurations():
        _, r = run(dll, iterations, target, objective, grid, extra)
        ev = {e["policy"]: e for e in r["evaluations"]}
        t, u = ev["trained"], ev["untrained"]
        gain = t["elbo"]["value"] - u["elbo"]["value"]
        se = math.hypot(t["elbo"]["se"], u["elbo"]["se"])
        verdict = "improved" if gain > 3 * se else ("worse" if gain < -3 * se else "not resolved")
        options = " ".join(extra) or "—"
        rows.append(f"| {target} | {objective} | {grid} | {options} | {fmt(t['dlogz'])} | {fmt(u['dlogz'])} | "
                    f"{fmt(gain)} ± {fmt(se, 2)} | {verdict} | {fmt(t['eubo_gap'])} | {fmt(t['w2'])} ({fmt(t['w2_floor'])}) | "
                    f"{fmt(r['cost']['energy_evaluations'])} | {fmt(r['cost']['gradient_evaluations'])} | "
                    f"{fmt(r['cost']['seconds'], 2)} |")
        print(rows[-1], flush=True)
    load = os.getloadavg()
    lines = [
        "# Every objective trained: TB, VarGrad, DB, SubTB and KL on 25GMM, Funnel and Manywell",
        "",
        f"Reproduce with: `python3 bench/boltzmann_matrix.py src/Analysis.FSharp/bin/Release/net10.0/ratelab.dll {iterations}"
        " reports/boltzmann-objectives.md` (each row is one `ratelab train … --json` run).",
        "",
        f"Each row: {iterations} iterations of batch 64 on a training grid with N_train = 10 (random: ρ = 10), width 32,"
        " 16 harmonics, seed 1, fixed variance and no exploration unless the options say otherwise; evaluation on the"
        " uniform N_eval = 100 grid with K = 256 trajectories, the trained policy and the untrained sampler (zero drift) on"
        " the same draws. ΔlogZ = |log Z − ELBO|; ELBO gain = trained − untrained ELBO with the combined standard error"
        " (conservative); \"improved\" needs a gain above 3 combined SE. One seed and a reduced budget: a capability check"
        " of every objective, grid and option, not a reproduction of the published numbers (the report's Boltzmann"
        " section and `ratelab report --profile full` hold those).",
        "",
        f"Machine: {os.cpu_count()} logical cores, {platform.platform()}; load average at the end"
        f" {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; total wall time {time.time() - started:.0f} s.",
        "",
        "| target | objective | grid | options | ΔlogZ trained | ΔlogZ untrained | ELBO gain ± SE | | EUBO gap | W2 (floor)"
        " | log R evals | ∇log R evals | train s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ] + rows
    text = "\n".join(lines) + "\n"
    if out:
        with open(out + ".tmp", "w") as f:
            f.write(text)
        os.replace(out + ".tmp", out)
    else:
        print(text)


if __name__ == "__main__":
    main()
