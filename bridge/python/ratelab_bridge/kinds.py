"""How a user's sampler is called: the k-diffusion signature, or a plain step function looped over the grid.

kdiffusion: sampler(model, x, sigmas, extra_args=None, callback=None, disable=None, ...) runs the whole chain in the
variance-exploding coordinates x = Y / sqrt(1 - tau), sigma = sqrt(tau / (1 - tau)); model(x, sigma) returns the
denoised x. Noise comes from the keyword noise_sampler(sigma, sigma_next) when the sampler takes one, else (PyTorch)
from torch.randn_like / torch.randn.
step: step(x, t, t_next, score, noise) moves the variance-preserving state Y from level t = tau_k to t_next =
tau_{k+1}; score(x, t) is grad log q_t, noise() a fresh standard normal array of x's shape.
Either kind may also take uniform(), a scalar U(0, 1) shared by all rows (midpoint times and the like).
A k-diffusion sampler is probed as a whole chain (its loop is its own); a step function one step at a time.
"""

import inspect

import numpy as np


class Run:
    """One call of the sampler on a batch of rows: what it needs from the bridge, with NFE counted per row."""

    def __init__(self, backend, target, levels, noise, uniform):
        self.backend, self.target, self.levels = backend, target, levels
        self.noise, self.uniform = noise, uniform
        self.row_calls = 0
        self.calls = 0

    def count(self, x):
        self.calls += 1
        self.row_calls += np.shape(x)[0]

    def model(self, x, sigma, **_):
        """The exact denoiser E[X0 | x] at VE level sigma (scalar or per row)."""
        self.count(x)
        value = self.target.denoise(self.backend.unwrap(x), self.backend.unwrap(sigma))
        return self.backend.wrap(value)

    def score(self, y, t):
        """grad log q_t(y) at VP level t; alpha_bar is the grid's own when t is a grid level."""
        self.count(y)
        tau = float(t)
        alpha_bar = self.levels.alpha_bar_of(tau)
        return self.backend.wrap(self.target.score(self.backend.unwrap(y), tau, alpha_bar))

    def noise_array(self):
        return self.backend.wrap(self.noise())

    def noise_sampler(self, *_):
        return self.noise_array()


def _accepts(fn, name):
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind == p.VAR_KEYWORD for p in parameters.values())


def run_kdiffusion(fn, run, y0):
    """The sampler's output, converted back to VP coordinates Y = x / sqrt(1 + sigma_end^2)."""
    b, levels = run.backend, run.levels
    x = b.wrap(y0 / np.sqrt(levels.alpha_bar[0]))
    kwargs = {}
    if _accepts(fn, "noise_sampler"):
        kwargs["noise_sampler"] = run.noise_sampler
    if _accepts(fn, "uniform"):
        kwargs["uniform"] = run.uniform
    if _accepts(fn, "disable"):
        kwargs["disable"] = True
    with b.routed_noise(run.noise, y0.shape):
        out = fn(run.model, x, b.wrap(levels.sigma), extra_args={}, callback=None, **kwargs)
    return b.unwrap(out) * np.sqrt(levels.alpha_bar[-1])


def run_step(fn, run, y0, k):
    """The state after step k of the grid (level tau_k to tau_{k+1}), in VP coordinates."""
    b, tau = run.backend, run.levels.tau
    extra = {"uniform": run.uniform} if _accepts(fn, "uniform") else {}
    with b.routed_noise(run.noise, y0.shape):
        y = fn(b.wrap(y0), float(tau[k]), float(tau[k + 1]), run.score, run.noise_array, **extra)
    return b.unwrap(y)
