"""Reference samplers written for RateLab's bridge tests, one per family, plus two with planted bugs.

The k-diffusion-style ones take (model, x, sigmas, ...) in variance-exploding coordinates; the step ones take
(x, t, t_next, score, noise) in RateLab's variance-preserving coordinates (t = tau, alpha_bar = 1 - tau). Each is
written from the method's defining formula; the matching RateLab kernel is named in its docstring.
"""

import math

import numpy as np


def _ones(x):
    return np.ones(x.shape[0])


def euler(model, x, sigmas, extra_args=None, callback=None, disable=None):
    """Euler on dx/dsigma = (x - D(x, sigma)) / sigma; RateLab's ddim with eta = 0."""
    for i in range(len(sigmas) - 1):
        derivative = (x - model(x, sigmas[i] * _ones(x))) / sigmas[i]
        x = x + derivative * (sigmas[i + 1] - sigmas[i])
    return x


def heun(model, x, sigmas, extra_args=None, callback=None, disable=None):
    """Heun's trapezoid on the same ODE, Euler on a last step to sigma = 0; RateLab's heun."""
    for i in range(len(sigmas) - 1):
        step = sigmas[i + 1] - sigmas[i]
        derivative = (x - model(x, sigmas[i] * _ones(x))) / sigmas[i]
        predicted = x + derivative * step
        if sigmas[i + 1] == 0:
            x = predicted
            continue
        corrected = (predicted - model(predicted, sigmas[i + 1] * _ones(x))) / sigmas[i + 1]
        x = x + (derivative + corrected) * (step / 2)
    return x


def euler_ancestral(model, x, sigmas, extra_args=None, callback=None, disable=None, noise_sampler=None):
    """Deterministic step down to sigma_down, then fresh noise of variance sigma_up^2 with sigma_down^2 + sigma_up^2
    = sigma_next^2 (the DDPM posterior's split); RateLab's ddim with eta = 1."""
    for i in range(len(sigmas) - 1):
        s, s_next = sigmas[i], sigmas[i + 1]
        up = min(s_next, math.sqrt(s_next ** 2 * (s ** 2 - s_next ** 2) / s ** 2))
        down = math.sqrt(s_next ** 2 - up ** 2)
        x = x + (x - model(x, s * _ones(x))) / s * (down - s)
        if s_next > 0:
            x = x + noise_sampler(s, s_next) * up
    return x


def euler_ancestral_wrong_noise(model, x, sigmas, extra_args=None, callback=None, disable=None, noise_sampler=None):
    """Planted bug: the noise is scaled by sigma_next instead of sigma_up."""
    for i in range(len(sigmas) - 1):
        s, s_next = sigmas[i], sigmas[i + 1]
        up = min(s_next, math.sqrt(s_next ** 2 * (s ** 2 - s_next ** 2) / s ** 2))
        down = math.sqrt(s_next ** 2 - up ** 2)
        x = x + (x - model(x, s * _ones(x))) / s * (down - s)
        x = x + noise_sampler(s, s_next) * s_next
    return x


def euler_off_by_one(model, x, sigmas, extra_args=None, callback=None, disable=None):
    """Planted bug: the denoiser is asked at the next level of the grid instead of the current one."""
    for i in range(len(sigmas) - 1):
        derivative = (x - model(x, sigmas[i + 1] * _ones(x))) / sigmas[i]
        x = x + derivative * (sigmas[i + 1] - sigmas[i])
    return x


def ddim_step(x, t, t_next, score, noise):
    """Deterministic DDIM: predicted x0 and eps with the eps frozen over the step; RateLab's ddim with eta = 0."""
    s = score(x, t)
    x0 = (x + t * s) / math.sqrt(1 - t)
    eps = -math.sqrt(t) * s
    return math.sqrt(1 - t_next) * x0 + math.sqrt(t_next) * eps


def ddpm_posterior_step(x, t, t_next, score, noise):
    """Ancestral DDPM with the posterior variance on every step; RateLab's ddim with eta = 1."""
    beta = 1 - (1 - t) / (1 - t_next)
    mean = (x + beta * score(x, t)) / math.sqrt(1 - beta)
    return mean + math.sqrt(beta * t_next / t) * noise()


def pf_euler_step(x, t, t_next, score, noise):
    """Euler on the probability-flow ODE dY/ds = Y + score in OU time s; RateLab's pf-euler."""
    h = 0.5 * (math.log1p(-t_next) - math.log1p(-t))
    return x + h * (x + score(x, t))


def sde_em_step(x, t, t_next, score, noise):
    """Euler-Maruyama on the reverse SDE dY = (Y + 2 score) ds + sqrt(2) dB; RateLab's sde-em."""
    h = 0.5 * (math.log1p(-t_next) - math.log1p(-t))
    return x + h * (x + 2 * score(x, t)) + math.sqrt(2 * h) * noise()


def randomized_pf_step(x, t, t_next, score, noise, uniform):
    """Randomized-time PF Euler: the score is read at a level drawn uniformly in log alpha_bar within the step."""
    u = uniform()
    log_a, log_a_next = math.log1p(-t), math.log1p(-t_next)
    t_mid = -math.expm1(log_a + u * (log_a_next - log_a))
    h = 0.5 * (log_a_next - log_a)
    return x + h * (x + score(x, t_mid))


def euler_clipped(model, x, sigmas, extra_args=None, callback=None, disable=None):
    """Planted non-affine step: the denoised estimate is clipped to [-0.5, 0.5] (thresholding)."""
    for i in range(len(sigmas) - 1):
        denoised = np.clip(model(x, sigmas[i] * _ones(x)), -0.5, 0.5)
        x = x + (x - denoised) / sigmas[i] * (sigmas[i + 1] - sigmas[i])
    return x


def ddim_step_idle_draw(x, t, t_next, score, noise, uniform):
    """DDIM that calls uniform() and ignores it: randomized in form, RateLab's ddim in law (checks the E_draws path)."""
    uniform()
    return ddim_step(x, t, t_next, score, noise)
