"""The NumPy reference a user would write: vectorised over chains, in-place updates, float64, one thread.
Usage: numpy_peer.py WORKLOAD.json  (prints one JSON line: seconds and summary statistics)."""
import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
try:
    import numpy as np
except ImportError:
    sys.exit("numpy is missing: install it with `apt-get install python3-numpy` and run with /usr/bin/python3")

import common


def gmm_score(x, w, out):
    """∇log Σ_j w_j N(μ_j, σ² I) via one matrix product: logits_j = log w_j + (x·μ_j − ½‖μ_j‖²)/σ² (the ‖x‖² term cancels)."""
    t = w["target"]
    mu = np.asarray(t["means"], dtype=np.float64)
    var = t["variance"]
    logits = (x @ mu.T - 0.5 * (mu * mu).sum(1)) / var + np.log(np.asarray(t["weights"]))
    logits -= logits.max(1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(1, keepdims=True)
    np.matmul(logits, mu, out=out)
    out -= x
    out /= var


def ula(w):
    rng = np.random.default_rng(w["seed"])
    n, d, h, steps = w["chains"], w["d"], w["h"], w["steps"]
    x = np.zeros((n, d))
    noise = np.empty((n, d))
    score = np.empty((n, d))
    scale = np.sqrt(2 * h)
    t = w["target"]
    for _ in range(steps):
        rng.standard_normal(out=noise)
        if t["kind"] == "isotropic-gaussian":
            x *= 1 - h / t["variance"]
        else:
            gmm_score(x, w, score)
            x += h * score
        x += scale * noise
    return x


def li_jiao(w):
    import lijiao
    return lijiao.run(np, w, gmm_score, lambda rng, shape: rng.standard_normal(shape), np.random.default_rng(w["seed"]))


if __name__ == "__main__":
    common.run(sys.argv[1], {"ula": ula, "li-jiao": li_jiao})
