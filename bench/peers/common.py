"""Shared by the NumPy and PyTorch peers: reading a workload, timing it, and the summary statistics that the
RateLab side computes too, so the bench can check that both sides did the same work (same means within 5 SE)."""
import json
import sys
import time


def load(path):
    with open(path) as f:
        return json.load(f)


def summary(per_chain_mean, per_chain_sq):
    """Means over chains of the per-chain coordinate average of x and of x², with standard errors across chains."""
    import math
    n = len(per_chain_mean)

    def mean_se(v):
        m = sum(v) / n
        var = sum((a - m) ** 2 for a in v) / (n - 1)
        return m, math.sqrt(var / n)

    m1, s1 = mean_se(per_chain_mean)
    m2, s2 = mean_se(per_chain_sq)
    return {"mean": m1, "mean_se": s1, "second_moment": m2, "second_moment_se": s2}


def run(workload_path, kernels):
    w = load(workload_path)
    kind = w["sampler"]
    if kind not in kernels:
        sys.exit(f"peer: unknown sampler '{kind}'")
    start = time.perf_counter()
    x = kernels[kind](w)
    seconds = time.perf_counter() - start
    per_chain_mean = [float(v) for v in x.mean(1)]
    per_chain_sq = [float(v) for v in (x * x).mean(1)]
    out = {"seconds": seconds}
    out.update(summary(per_chain_mean, per_chain_sq))
    print(json.dumps(out))
