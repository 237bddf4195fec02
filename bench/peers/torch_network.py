"""PyTorch twin of RateLab's PIS drift network (src/Boltzmann.CSharp/TimeStateMlp.cs), float64.

  check CASE.json          recompute the trajectory-balance loss and θ-gradient of a case written by
                           `RateLab.Bench nn-dump DIR` and print one JSON line with the largest differences
  train D THREADS ITERS N  time ITERS training iterations (after one warm-up) at batch 300 with N steps and print
                           one JSON line with the wall and CPU seconds per iteration

Architecture: φ(t) = [sin(ω t + φ₀), cos(ω t + φ₀)], ω = linspace(0.1, 100, H), learnable φ₀;
e_t = Linear(H, W)(GELU(Linear(2H, H)(φ))), h₀ = GELU(e_t + Linear(d, W)(x)); two GELU(Linear(W, W)); Linear(W, 2d).
The flat parameter vector has RateLab's layout: φ₀, then each Linear's weight (out × in, row-major) and bias.
"""
import json
import math
import sys
import time

import torch

torch.set_default_dtype(torch.float64)
LOG_VAR_RANGE = 4.0
LOG_2PI = math.log(2 * math.pi)


class PisNet(torch.nn.Module):
    def __init__(self, d, width=64, harmonics=64):
        super().__init__()
        h = harmonics
        # RateLab's ω_j = 0.1 + (100 − 0.1) j/(H − 1), formed the same way so both start from the same doubles.
        self.register_buffer("omega", torch.tensor([0.1 + (100 - 0.1) * j / (h - 1) for j in range(h)]))
        self.phase = torch.nn.Parameter(torch.randn(h))
        self.t1 = torch.nn.Linear(2 * h, h)
        self.t2 = torch.nn.Linear(h, width)
        self.xs = torch.nn.Linear(d, width)
        self.a1 = torch.nn.Linear(width, width)
        self.a2 = torch.nn.Linear(width, width)
        self.out = torch.nn.Linear(width, 2 * d)
        self.layers = [self.t1, self.t2, self.xs, self.a1, self.a2, self.out]

    def forward(self, x, t):
        u = t[:, None] * self.omega + self.phase
        f = torch.cat([torch.sin(u), torch.cos(u)], dim=1)
        gelu = torch.nn.functional.gelu
        h = gelu(self.t2(gelu(self.t1(f))) + self.xs(x))
        h = gelu(self.a1(h))
        h = gelu(self.a2(h))
        return self.out(h)

    def tensors(self):
        """Parameters in RateLab's flat order."""
        ts = [self.phase]
        for layer in self.layers:
            ts += [layer.weight, layer.bias]
        return ts

    def load_flat(self, theta):
        i = 0
        with torch.no_grad():
            for p in self.tensors():
                n = p.numel()
                p.copy_(torch.tensor(theta[i:i + n]).view_as(p))
                i += n
        assert i == len(theta), "parameter count differs from RateLab's"

    def flat_gradient(self):
        return torch.cat([p.grad.reshape(-1) for p in self.tensors()])


def log_forward(net, x, nxt, t, delta, sigma, d):
    """log π→ of each row with learned variance ℓ = 4 tanh(raw), v = Δ σ² e^ℓ."""
    y = net(x, t)
    ell = LOG_VAR_RANGE * torch.tanh(y[:, d:])
    v = delta[:, None] * sigma * sigma * torch.exp(ell)
    r = nxt - x - delta[:, None] * y[:, :d]
    return (-0.5 * (LOG_2PI + torch.log(v)) - 0.5 * r * r / v).sum(1)


def check(path):
    c = json.load(open(path))
    d, B, N = c["d"], c["batch"], c["steps"]
    net = PisNet(d, c["width"], c["harmonics"])
    net.load_flat(c["parameters"])
    times = torch.tensor(c["times"]).view(B, N + 1)
    states = torch.tensor(c["states"]).view(B, N + 1, d)
    x = states[:, :-1].reshape(-1, d)
    nxt = states[:, 1:].reshape(-1, d)
    t = times[:, :-1].reshape(-1)
    delta = (times[:, 1:] - times[:, :-1]).reshape(-1)
    lf = log_forward(net, x, nxt, t, delta, c["sigma"], d).view(B, N)
    lb = torch.tensor(c["log_backward"]).view(B, N)
    delta_b = (lf - lb).sum(1) - torch.tensor(c["log_reward"])
    loss = (0.5 * (c["log_z"] + delta_b) ** 2).mean()
    loss.backward()
    g = net.flat_gradient()
    ref = torch.tensor(c["gradient"])
    print(json.dumps({
        "d": d,
        "loss_relative_difference": abs(loss.item() - c["loss"]) / abs(c["loss"]),
        "gradient_max_relative_difference": ((g - ref).abs().max() / ref.abs().max()).item(),
        "gradient_max_entrywise_relative_difference":
            ((g - ref).abs() / ref.abs().clamp_min(1e-3 * ref.abs().max().item())).max().item(),
    }))


def train(d, threads, iterations, steps, batch=300, sigma=1.0, seed=1):
    """The TB training step RateLab's Trainer takes: simulate B trajectories on a uniform grid without gradient,
    score log π→ of all B·N transitions with gradient, TB loss with learned log Z, Adam."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    net = PisNet(d)
    with torch.no_grad():
        net.out.weight.zero_()
        net.out.bias.zero_()
    log_z = torch.nn.Parameter(torch.zeros(()))
    opt = torch.optim.Adam([{"params": net.parameters(), "lr": 1e-3}, {"params": [log_z], "lr": 1e-1}])
    grid = torch.linspace(0, 1, steps + 1)
    dt = grid[1:] - grid[:-1]
    mean = torch.full((d,), 0.5)

    def step():
        with torch.no_grad():
            xs = torch.zeros(batch, steps + 1, d)
            for n in range(steps):
                y = net(xs[:, n], grid[n].expand(batch))
                v = dt[n] * sigma * sigma * torch.exp(LOG_VAR_RANGE * torch.tanh(y[:, d:]))
                xs[:, n + 1] = xs[:, n] + dt[n] * y[:, :d] + v.sqrt() * torch.randn(batch, d)
            tn, tn1 = grid[1:-1], grid[2:]
            c = tn / tn1
            var = sigma * sigma * (tn1 - tn) * c
            r = xs[:, 1:-1] - c[None, :, None] * xs[:, 2:]
            lb = (-0.5 * d * (LOG_2PI + torch.log(var)) - 0.5 * (r * r).sum(2) / var).sum(1)
            log_r = -0.5 * ((xs[:, -1] - mean) ** 2 / 1.5).sum(1)
        x = xs[:, :-1].reshape(-1, d)
        t = grid[:-1].repeat(batch)
        lf = log_forward(net, x, xs[:, 1:].reshape(-1, d), t, dt.repeat(batch), sigma, d).view(batch, steps)
        loss = (0.5 * (log_z + lf.sum(1) - lb - log_r) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(iterations):
        step()
    seconds = (time.perf_counter() - start) / iterations
    print(json.dumps({"peer": "torch", "d": d, "threads": threads, "steps": steps, "batch": batch,
                      "seconds_per_iteration": seconds,
                      "cpu_seconds_per_iteration": (time.process_time() - cpu) / iterations}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    elif len(sys.argv) == 6 and sys.argv[1] == "train":
        train(*(int(a) for a in sys.argv[2:]))
    else:
        sys.exit(__doc__)
