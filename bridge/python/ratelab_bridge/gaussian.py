"""The exact denoiser and score of a diagonal Gaussian target at every noise level, row by row.

Data X0 ~ N(mu, diag lam). RateLab's variance-preserving level tau has Y = sqrt(1 - tau) X0 + sqrt(tau) Z; the
variance-exploding level of k-diffusion has x = X0 + sigma Z, with sigma^2 = tau / (1 - tau) and x = Y / sqrt(1 - tau).
Each probe row has its own mean (the real one, or zero for the rows that read off the linear part), so a row's output
is the sampler's image of that row's problem.
"""

import numpy as np


class RowTarget:
    """A diagonal Gaussian per row: mean rows (P, d), variances (d,), shared by all rows."""

    def __init__(self, mean_rows, variance):
        self.mean = np.asarray(mean_rows, dtype=np.float64)
        self.variance = np.asarray(variance, dtype=np.float64)

    def denoise(self, x, sigma):
        """E[X0 | x] at VE level sigma: mu + lam / (lam + sigma^2) (x - mu); sigma a scalar or one per row."""
        s2 = _per_row(sigma, x.shape[0]) ** 2
        return self.mean + self.variance / (self.variance + s2) * (x - self.mean)

    def score(self, y, tau, alpha_bar):
        """grad log q_tau(y) at VP level tau: -(y - sqrt(alpha_bar) mu) / (alpha_bar lam + tau)."""
        return -(y - np.sqrt(alpha_bar) * self.mean) / (alpha_bar * self.variance + tau)


def _per_row(sigma, rows):
    s = np.asarray(sigma, dtype=np.float64)
    if s.ndim == 0:
        return s
    s = s.reshape(-1)
    if s.shape[0] != rows:
        raise ValueError(f"sigma has {s.shape[0]} entries; allowed: a scalar or one per row ({rows})")
    return s[:, None]
