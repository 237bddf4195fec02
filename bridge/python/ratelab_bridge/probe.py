"""Reads off a sampler's affine law on a diagonal Gaussian target from one batched call on probe rows.

Given its scalar draws (uniform()), the sampler's end state is Y_N = a Y_0 + c + sum_k b_k z_k per coordinate, z_k
the k-th noise array it asked for. Rows of the batch, all coordinates at once:
  row 0        Y_0 = 0, real mean, no noise             -> c
  row 1        Y_0 = 1, mean 0, no noise                -> a
  row 2 + k    Y_0 = 0, mean 0, noise k = 1, others 0   -> b_k
  last row     Y_0, noise and mean as in a real chain   -> checks a Y_0 + c + sum b_k z_k (the sampler is affine)
A first call on one row counts the noise arrays K, so the batch has K + 3 rows; probing costs (K + 4) x steps row
evaluations of the model per replicate. Probing a 256-step ancestral sampler takes 260 rows.
"""

import time

import numpy as np

from .backend import backend as make_backend
from .gaussian import RowTarget
from .kinds import KINDS, Run

# Relative deviation of the check row allowed before the sampler is called non-affine: the map is evaluated in
# float64 through at most a few thousand operations per coordinate, so rounding stays many orders below this.
AFFINE_TOLERANCE = 1e-8


class SamplerError(Exception):
    """The sampler broke a promise the analysis relies on (affine, repeatable, finite)."""


class Levels:
    """The grid tau_0 > ... > tau_N with its alpha_bar = 1 - tau (each as RateLab computed it) and VE sigma."""

    def __init__(self, tau, alpha_bar):
        self.tau = np.asarray(tau, dtype=np.float64)
        self.alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
        self.sigma = np.sqrt(self.tau / self.alpha_bar)
        self._alpha_of = dict(zip(self.tau.tolist(), self.alpha_bar.tolist()))

    def alpha_bar_of(self, tau):
        return self._alpha_of.get(tau, 1.0 - tau)


class NoiseFeed:
    """Noise array k: zero except 1 on row `first + k` (while that is a probe row) and w_k on the check row."""

    def __init__(self, rows, d, first=None, check=None, rng=None):
        self.rows, self.d, self.first, self.check, self.rng = rows, d, first, check, rng
        self.weights = []

    @property
    def count(self):
        return len(self.weights)

    def __call__(self):
        z = np.zeros((self.rows, self.d))
        k = self.count
        if self.first is not None and self.first + k < self.check:
            z[self.first + k] = 1.0
        w = self.rng.standard_normal(self.d) if self.rng is not None else np.zeros(self.d)
        if self.check is not None:
            z[self.check] = w
        self.weights.append(w)
        return z


class Uniforms:
    """The scalar draws of one replicate, seeded by (seed, replicate) and recorded."""

    def __init__(self, seed, replicate):
        self.rng = np.random.default_rng([seed, replicate])
        self.values = []

    def __call__(self):
        u = float(self.rng.random())
        self.values.append(u)
        return u


def _call(kind, fn, backend, target, levels, y0, noise, uniform):
    run = Run(backend, target, levels, noise, uniform)
    out = KINDS[kind](fn, run, y0)
    if out.shape != y0.shape:
        raise SamplerError(f"the sampler returned shape {out.shape}; expected the state's shape {y0.shape}")
    if not np.all(np.isfinite(out)):
        raise SamplerError("the sampler's output is not finite (it diverged on this grid)")
    return out, run


def probe_sampler(fn, kind, backend, mean, variance, tau, alpha_bar, seed=1, replicate=0):
    """The affine law of `fn` on N(mean, diag variance) over the grid: a, c, sum_k b_k^2 per coordinate, and counts."""
    if kind not in KINDS:
        raise ValueError(f"kind = {kind!r}; allowed: {', '.join(KINDS)}")
    started = time.perf_counter()
    b = make_backend(backend) if isinstance(backend, str) else backend
    mu, lam = np.asarray(mean, dtype=np.float64), np.asarray(variance, dtype=np.float64)
    d, levels = mu.shape[0], Levels(tau, alpha_bar)

    counting = Uniforms(seed, replicate)
    feed = NoiseFeed(1, d)
    _call(kind, fn, b, RowTarget(mu[None, :], lam), levels, np.zeros((1, d)), feed, counting)
    k = feed.count

    rows, check = k + 3, k + 2
    rng = np.random.default_rng([seed, replicate, 7])
    y0 = np.zeros((rows, d))
    y0[1] = 1.0
    y0[check] = rng.standard_normal(d)
    means = np.zeros((rows, d))
    means[0] = mu
    means[check] = mu
    feed = NoiseFeed(rows, d, first=2, check=check, rng=rng)
    uniforms = Uniforms(seed, replicate)
    out, run = _call(kind, fn, b, RowTarget(means, lam), levels, y0, feed, uniforms)
    if feed.count != k or uniforms.values != counting.values:
        raise SamplerError(f"the sampler is not repeatable: {k} then {feed.count} noise arrays, "
                           f"{len(counting.values)} then {len(uniforms.values)} uniforms on the same draws")

    c, a, columns = out[0], out[1], out[2:check]
    predicted = a * y0[check] + c + sum((columns[j] * feed.weights[j] for j in range(k)), np.zeros(d))
    scale = np.abs(a * y0[check]) + np.abs(c) + sum((np.abs(columns[j] * feed.weights[j]) for j in range(k)),
                                                    np.zeros(d))
    deviation = float(np.max(np.abs(out[check] - predicted) / np.maximum(scale, np.finfo(float).tiny)))
    if deviation > AFFINE_TOLERANCE:
        raise SamplerError(f"the sampler is not affine in its start and noise on a Gaussian target (relative "
                           f"deviation {deviation:.3g} > {AFFINE_TOLERANCE:g}); RateLab's exact analysis needs an "
                           f"affine sampler (no clipping, no thresholds)")
    return {
        "a": a.tolist(),
        "c": c.tolist(),
        "b2": np.sum(columns * columns, axis=0).tolist() if k else np.zeros(d).tolist(),
        "noise_draws": k,
        "nfe": run.row_calls / rows,
        "model_calls": run.calls,
        "uniforms": uniforms.values,
        "rows": rows,
        "affine_deviation": deviation,
        "seconds": time.perf_counter() - started,
    }
