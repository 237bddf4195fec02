"""PyTorch (CPU) peer of W6, the learned-score workload: deterministic DDIM and Heun on the log-SNR grid, scored by
the same noise-prediction network with the same weights, float64, one thread.

Usage: torch_score_peer.py WORKLOAD.json [EXPORT_DIR]   time both samplers, print one JSON line (seconds, moments)
       torch_score_peer.py check WORKLOAD.json [DIR]    compare one forward pass and the end points with RateLab's

EXPORT_DIR is what `RateLab.Bench learned-export WORKLOAD.json DIR` writes (weights, start points, coefficients); when
it is not given, the peer runs that command itself into a temporary directory, before the clock starts. Both sides
therefore integrate the same ODE from the same N(0, I) points, and RateLab's per-step coefficients are read rather than
re-derived. The network is src/Boltzmann.CSharp/NetworkScoreField.cs: y = PisNet(x, τ) with K = d, and
s(x, τ) = −x − √((1−τ)/τ)·y. All chains share τ at each step, so the time branch (Fourier features → two layers) is
evaluated once per call and broadcast, as RateLab does; the x branch is a batched matmul per layer.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

try:
    import torch
except ImportError:
    sys.exit("torch is missing: install it with `apt-get install python3-torch` and run with /usr/bin/python3")

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DLL = os.path.join(os.path.dirname(HERE), "Benchmarks", "bin", "Release", "net10.0", "RateLab.Bench.dll")


class ScoreNet(torch.nn.Module):
    """RateLab's TimeStateMlp with K = d outputs; parameters in its flat order (φ₀, then weight and bias per layer)."""

    def __init__(self, d, width, harmonics):
        super().__init__()
        h = harmonics
        self.register_buffer("omega", torch.tensor([0.1 + (100 - 0.1) * j / (h - 1) for j in range(h)]))
        self.phase = torch.nn.Parameter(torch.zeros(h))
        self.t1 = torch.nn.Linear(2 * h, h)
        self.t2 = torch.nn.Linear(h, width)
        self.xs = torch.nn.Linear(d, width)
        self.a1 = torch.nn.Linear(width, width)
        self.a2 = torch.nn.Linear(width, width)
        self.out = torch.nn.Linear(width, d)
        self.layers = [self.t1, self.t2, self.xs, self.a1, self.a2, self.out]

    def load_flat(self, theta):
        i = 0
        with torch.no_grad():
            for p in [self.phase] + [q for layer in self.layers for q in (layer.weight, layer.bias)]:
                n = p.numel()
                p.copy_(theta[i:i + n].view_as(p))
                i += n
        assert i == theta.numel(), "parameter count differs from RateLab's"

    def score(self, x, tau, out):
        """out = s(x, τ) for every row of x, one τ."""
        gelu = torch.nn.functional.gelu
        u = tau * self.omega + self.phase
        f = torch.cat([torch.sin(u), torch.cos(u)])
        e_t = self.t2(gelu(self.t1(f)))
        h = gelu(torch.addmm(e_t + self.xs.bias, x, self.xs.weight.t()))
        h = gelu(self.a1(h))
        h = gelu(self.a2(h))
        y = self.out(h)
        r = math.sqrt(1 - tau) / math.sqrt(tau)
        torch.mul(y, -r, out=out)
        out.sub_(x)


def read(path, shape):
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float64).view(*shape).clone()


def export(workload_path, directory):
    subprocess.run(["dotnet", BENCH_DLL, "learned-export", workload_path, directory], check=True, capture_output=True)


def setup(w, directory):
    d, net = w["d"], w["network"]
    model = ScoreNet(d, net["width"], net["harmonics"])
    model.load_flat(read(os.path.join(directory, "weights.bin"), (-1,)))
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    return model, meta


def ddim(model, meta, x):
    s = torch.empty_like(x)
    for step in meta["ddim"]:
        model.score(x, step["tau"], s)
        x.mul_(step["a"]).add_(s, alpha=step["c"])
    return x


def heun(model, meta, y):
    eps, y_prime, eps2 = torch.empty_like(y), torch.empty_like(y), torch.empty_like(y)
    for st in meta["heun"]:
        assert st["tau_to"] > 0, "W6's grid ends at tau_min > 0, so every Heun step has its second evaluation"
        model.score(y, st["tau_from"], eps)
        eps.mul_(st["to_eps"])
        torch.mul(y, st["in_scale"], out=y_prime)
        y_prime.add_(eps, alpha=st["d_sigma"]).mul_(st["out_scale"])
        model.score(y_prime, st["tau_to"], eps2)
        eps2.mul_(st["to_eps2"]).add_(eps).mul_(st["d_sigma"] * 0.5)
        y.mul_(st["in_scale"]).add_(eps2).mul_(st["out_scale"])
    return y


def moments(x):
    m, sq = x.mean(1), (x * x).mean(1)
    n = x.shape[0]
    se = lambda v: math.sqrt(float(v.var()) / n)
    return float(m.mean()), se(m), float(sq.mean()), se(sq)


def with_export(workload_path, directory, body):
    if directory:
        return body(directory)
    with tempfile.TemporaryDirectory() as tmp:
        export(workload_path, tmp)
        return body(tmp)


def run(workload_path, directory=None):
    with open(workload_path) as f:
        w = json.load(f)

    def body(directory):
        model, meta = setup(w, directory)
        start = read(os.path.join(directory, "start.bin"), (w["chains"], w["d"]))
        with torch.no_grad():
            model.score(start[:128].clone(), 0.5, torch.empty(128, w["d"]))  # warm-up, as RateLab's untimed run
            x = start.clone()
            t0 = time.perf_counter()
            ddim(model, meta, x)
            t1 = time.perf_counter()
            y = start.clone()
            heun(model, meta, y)
            t2 = time.perf_counter()
        m1, se1, m2, se2 = moments(x)
        h1, hse1, h2, hse2 = moments(y)
        return {"seconds": t2 - t0, "ddim_seconds": t1 - t0, "heun_seconds": t2 - t1, "mean": m1, "mean_se": se1,
                "second_moment": m2, "second_moment_se": se2, "heun_mean": h1, "heun_mean_se": hse1,
                "heun_second_moment": h2, "heun_second_moment_se": hse2}

    print(json.dumps(with_export(workload_path, directory, body)))


def check(workload_path, directory=None):
    """Largest relative differences to RateLab: one forward pass on 256 rows, and the end points of 64 chains."""
    with open(workload_path) as f:
        w = json.load(f)
    d = w["d"]

    def body(directory):
        model, meta = setup(w, directory)
        rows, few = meta["check_rows"], meta["end_rows"]
        x = read(os.path.join(directory, "check_x.bin"), (rows, d))
        ref = read(os.path.join(directory, "check_scores.bin"), (rows, d))
        start = read(os.path.join(directory, "start.bin"), (w["chains"], d))[:few]
        rel = lambda a, b: float((a - b).abs().max() / b.abs().max())
        with torch.no_grad():
            s = torch.empty(rows, d)
            model.score(x, meta["check_tau"], s)
            out = {"forward_max_relative_difference": rel(s, ref)}
            for name, sampler in (("ddim", ddim), ("heun", heun)):
                end = sampler(model, meta, start.clone())
                out[name + "_end_max_relative_difference"] = rel(end, read(os.path.join(directory, name + "_end.bin"),
                                                                           (few, d)))
        return out

    print(json.dumps(with_export(workload_path, directory, body)))


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "check":
        check(*sys.argv[2:])
    elif len(sys.argv) in (2, 3) and sys.argv[1] != "check":
        run(*sys.argv[1:])
    else:
        sys.exit(__doc__)
