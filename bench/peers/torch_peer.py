"""The PyTorch (CPU) reference a user would write: batched tensors, in-place updates, float64, one thread.
Usage: torch_peer.py WORKLOAD.json  (prints one JSON line: seconds and summary statistics)."""
import sys

try:
    import torch
except ImportError:
    sys.exit("torch is missing: install it with `apt-get install python3-torch` and run with /usr/bin/python3")

import common

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


def gmm_score(x, w, out):
    """∇log Σ_j w_j N(μ_j, σ² I) via one matrix product (see numpy_peer.gmm_score)."""
    t = w["target"]
    mu = torch.tensor(t["means"])
    var = t["variance"]
    logits = (x @ mu.T - 0.5 * (mu * mu).sum(1)) / var + torch.log(torch.tensor(t["weights"]))
    r = torch.softmax(logits, dim=1)
    torch.matmul(r, mu, out=out)
    out.sub_(x).div_(var)


def ula(w):
    g = torch.Generator().manual_seed(w["seed"])
    n, d, h, steps = w["chains"], w["d"], w["h"], w["steps"]
    x = torch.zeros(n, d)
    noise = torch.empty(n, d)
    score = torch.empty(n, d)
    scale = (2 * h) ** 0.5
    t = w["target"]
    with torch.no_grad():
        for _ in range(steps):
            noise.normal_(generator=g)
            if t["kind"] == "isotropic-gaussian":
                x.mul_(1 - h / t["variance"])
            else:
                gmm_score(x, w, score)
                x.add_(score, alpha=h)
            x.add_(noise, alpha=scale)
    return x.numpy()


def li_jiao(w):
    import lijiao
    g = torch.Generator().manual_seed(w["seed"])
    with torch.no_grad():
        x = lijiao.run(torch, w, gmm_score, lambda gen, shape: torch.randn(*shape, generator=gen), g)
    return x.numpy()


if __name__ == "__main__":
    common.run(sys.argv[1], {"ula": ula, "li-jiao": li_jiao})
