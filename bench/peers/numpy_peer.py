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


def mixture(w):
    """Means (K, d), ‖μ_j‖² and log w_j of the workload's isotropic mixture, converted once."""
    if "_mixture" not in w:
        t = w["target"]
        mu = np.asarray(t["means"], dtype=np.float64)
        w["_mixture"] = (mu, (mu * mu).sum(1), np.log(np.asarray(t["weights"], dtype=np.float64)), t["variance"])
    return w["_mixture"]


def gmm_score(x, w, out, tau=0.0, alpha_bar=1.0):
    """Noised score of Σ_j w_j N(μ_j, σ² I) at level τ (τ = 0: the target score), τ and ᾱ = 1 − τ scalars or per-row
    columns: s = (√ᾱ Σ_j r_j μ_j − x)/c with c = ᾱσ² + τ and r = softmax(log w_j + (√ᾱ x·μ_j − ½ ᾱ‖μ_j‖²)/c) — one
    matrix product each way (‖x‖² and the log-determinant are the same for every component and cancel)."""
    mu, mm, logw, var = mixture(w)
    c = alpha_bar * var + tau
    sig = np.sqrt(alpha_bar)
    logits = x @ mu.T
    logits *= sig / c
    logits -= (0.5 * alpha_bar / c) * mm
    logits += logw
    logits -= logits.max(1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(1, keepdims=True)
    np.matmul(logits, mu, out=out)
    if not np.isscalar(sig) or sig != 1.0:
        out *= sig
    out -= x
    out /= c


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
    return lijiao.run(np, w, gmm_score, lambda rng, shape: rng.standard_normal(shape), lambda rng, shape: rng.random(shape),
                      np.random.default_rng(w["seed"]))


if __name__ == "__main__":
    common.run(sys.argv[1], {"ula": ula, "li-jiao": li_jiao})
