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


def mixture(w):
    """Means (K, d), ‖μ_j‖² and log w_j of the workload's isotropic mixture, converted once."""
    if "_mixture" not in w:
        t = w["target"]
        mu = torch.tensor(t["means"])
        w["_mixture"] = (mu, (mu * mu).sum(1), torch.log(torch.tensor(t["weights"])), t["variance"])
    return w["_mixture"]


def gmm_score(x, w, out, tau=0.0, alpha_bar=1.0):
    """Noised score of Σ_j w_j N(μ_j, σ² I) at level τ, scalar or per-row (see numpy_peer.gmm_score)."""
    mu, mm, logw, var = mixture(w)
    c = alpha_bar * var + tau
    sig = alpha_bar ** 0.5
    logits = x @ mu.T
    logits.mul_(sig / c).sub_((0.5 * alpha_bar / c) * mm).add_(logw)
    r = torch.softmax(logits, dim=1)
    torch.matmul(r, mu, out=out)
    if not isinstance(sig, float) or sig != 1.0:
        out.mul_(sig)
    out.sub_(x).div_(c)


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
        x = lijiao.run(torch, w, gmm_score, lambda gen, shape: torch.randn(*shape, generator=gen),
                       lambda gen, shape: torch.rand(*shape, generator=gen), g)
    return x.numpy()


if __name__ == "__main__":
    common.run(sys.argv[1], {"ula": ula, "li-jiao": li_jiao})
