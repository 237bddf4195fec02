"""Reads off a sampler's affine law on a diagonal Gaussian target from batched calls on probe rows.

Given its scalar draws (uniform()), a sampler maps its state affinely: Y' = a Y + c + sum_k b_k z_k per coordinate,
z_k the k-th noise array it asks for. Rows of one batched call, all coordinates at once:
  row 0        Y = 0, real mean, no noise             -> c
  row 1        Y = 1, mean 0, no noise                -> a
  row 2 + k    Y = 0, mean 0, noise k = 1, others 0   -> b_k
  last row     Y, noise and mean as in a real chain   -> checks a Y + c + sum b_k z_k (the sampler is affine)
A first call on one row counts the noise arrays K and records the draws, which the batched call (K + 3 rows) replays.
A k-diffusion sampler is one call over the whole chain: K is every noise array of the chain, so probing costs
(K + 4) x N row evaluations per step count (260 rows for a 256-step ancestral sampler: O(N^2 d)). A step function is
probed step by step and the maps composed, (K_step + 4) rows per step: O(N d).
"""

import time

import numpy as np

from .backend import backend as make_backend
from .gaussian import RowTarget
from .kinds import Run, run_kdiffusion, run_step

# Relative deviation of the check row allowed before the sampler is called non-affine: the map is evaluated in
# float64 through at most a few thousand operations per coordinate, so rounding stays many orders below this.
AFFINE_TOLERANCE = 1e-8

KINDS = ("kdiffusion", "step")


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


class Replay:
    """The draws of the counting call, given back in order to the batched call."""

    def __init__(self, values):
        self.values, self.used = list(values), 0

    def __call__(self):
        if self.used == len(self.values):
            raise SamplerError(f"the sampler is not repeatable: it asked for more than the {len(self.values)} "
                               f"uniform() draws of the same call on one row")
        self.used += 1
        return self.values[self.used - 1]


def _finite(out, shape):
    if out.shape != shape:
        raise SamplerError(f"the sampler returned shape {out.shape}; expected the state's shape {shape}")
    if not np.all(np.isfinite(out)):
        raise SamplerError("the sampler's output is not finite (it diverged on this grid)")
    return out


class Prober:
    """One replicate's probing: the counting call, then the batched call, then the affine read-out and its check."""

    def __init__(self, mean, variance, uniforms, rng):
        self.mu, self.lam, self.uniforms, self.rng = mean, variance, uniforms, rng
        self.row_calls, self.calls = 0, 0

    def map(self, call, start):
        """(a, c, sum_k b_k^2, K, check row's end) of one call; the check row starts at `start`, a real state."""
        d = self.mu.shape[0]
        drawn = len(self.uniforms.values)
        feed = NoiseFeed(1, d)
        call(RowTarget(self.mu[None, :], self.lam), np.zeros((1, d)), feed, self.uniforms)
        k, draws = feed.count, self.uniforms.values[drawn:]

        rows, check = k + 3, k + 2
        y0 = np.zeros((rows, d))
        y0[1], y0[check] = 1.0, start
        means = np.zeros((rows, d))
        means[0] = means[check] = self.mu
        feed, replay = NoiseFeed(rows, d, first=2, check=check, rng=self.rng), Replay(draws)
        out, run = call(RowTarget(means, self.lam), y0, feed, replay)
        if feed.count != k or replay.used != len(draws):
            raise SamplerError(f"the sampler is not repeatable: {k} then {feed.count} noise arrays, "
                               f"{len(draws)} then {replay.used} uniform() draws with the same draws")
        self.row_calls += run.row_calls / rows
        self.calls += run.calls

        c, a, columns = out[0], out[1], out[2:check]
        terms = [a * start, c] + [columns[j] * feed.weights[j] for j in range(k)]
        predicted, scale = sum(terms), sum(np.abs(t) for t in terms)
        deviation = float(np.max(np.abs(out[check] - predicted) / np.maximum(scale, np.finfo(float).tiny)))
        if deviation > AFFINE_TOLERANCE:
            raise SamplerError(f"the sampler is not affine in its state and noise on a Gaussian target (relative "
                               f"deviation {deviation:.3g} > {AFFINE_TOLERANCE:g}); RateLab's exact analysis needs an "
                               f"affine sampler (no clipping, no thresholds)")
        return a, c, np.sum(columns * columns, axis=0), k, out[check]


def _caller(kind, fn, backend, levels, step=None):
    """A function running one call of the sampler on rows: the chain (kdiffusion) or step `step` (step)."""

    def call(target, y0, noise, uniform):
        run = Run(backend, target, levels, noise, uniform)
        out = run_kdiffusion(fn, run, y0) if kind == "kdiffusion" else run_step(fn, run, y0, step)
        return _finite(out, y0.shape), run

    return call


def probe_sampler(fn, kind, backend, mean, variance, tau, alpha_bar, seed=1, replicate=0):
    """The affine law of `fn` on N(mean, diag variance) over the grid: a, c, sum_k b_k^2 per coordinate, and counts."""
    if kind not in KINDS:
        raise ValueError(f"kind = {kind!r}; allowed: {', '.join(KINDS)}")
    started = time.perf_counter()
    b = make_backend(backend) if isinstance(backend, str) else backend
    mu, lam = np.asarray(mean, dtype=np.float64), np.asarray(variance, dtype=np.float64)
    d, levels = mu.shape[0], Levels(tau, alpha_bar)
    uniforms, rng = Uniforms(seed, replicate), np.random.default_rng([seed, replicate, 7])
    prober, state = Prober(mu, lam, uniforms, rng), rng.standard_normal(d)
    if kind == "kdiffusion":
        a, c, b2, noise_draws, _ = prober.map(_caller(kind, fn, b, levels), state)
        rows = noise_draws + 3
    else:
        # Y_{k+1} = alpha_k Y_k + gamma_k + noise of variance beta2_k, composed from the top level down.
        a, c, b2, noise_draws, rows = np.ones(d), np.zeros(d), np.zeros(d), 0, 3
        for k in range(len(levels.tau) - 1):
            alpha, gamma, beta2, count, state = prober.map(_caller(kind, fn, b, levels, k), state)
            a, c, b2 = alpha * a, alpha * c + gamma, alpha * alpha * b2 + beta2
            noise_draws, rows = noise_draws + count, max(rows, count + 3)
    return {
        "a": a.tolist(),
        "c": c.tolist(),
        "b2": b2.tolist(),
        "noise_draws": noise_draws,
        "nfe": prober.row_calls,
        "model_calls": prober.calls,
        "uniforms": uniforms.values,
        "rows": rows,
        "seconds": time.perf_counter() - started,
    }
