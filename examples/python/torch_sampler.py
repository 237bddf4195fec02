"""User-style PyTorch samplers in the k-diffusion calling convention, checked end to end by `ratelab external`.

They draw their own noise with torch.randn_like, as k-diffusion's samplers do by default; the bridge routes those
calls to the noise it controls, so the file needs no RateLab-specific code. See examples/python/README.md.
"""

import torch


@torch.no_grad()
def sample_euler_ancestral(model, x, sigmas, extra_args=None, callback=None, disable=None, eta=1.0):
    """Euler step to sigma_down, then fresh noise sigma_up, with sigma_down^2 + sigma_up^2 = sigma_next^2."""
    extra_args = {} if extra_args is None else extra_args
    ones = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        sigma, sigma_next = sigmas[i], sigmas[i + 1]
        denoised = model(x, sigma * ones, **extra_args)
        sigma_up = torch.clamp(eta * (sigma_next ** 2 * (sigma ** 2 - sigma_next ** 2) / sigma ** 2) ** 0.5,
                               max=sigma_next)
        sigma_down = (sigma_next ** 2 - sigma_up ** 2) ** 0.5
        x = x + (x - denoised) / sigma * (sigma_down - sigma)
        if sigma_next > 0:
            x = x + torch.randn_like(x) * sigma_up
        if callback is not None:
            callback({"x": x, "i": i, "sigma": sigma, "denoised": denoised})
    return x


@torch.no_grad()
def sample_midpoint(model, x, sigmas, extra_args=None, callback=None, disable=None):
    """Explicit midpoint (second order) on dx/dsigma = (x - D(x, sigma)) / sigma, at the geometric mean level."""
    extra_args = {} if extra_args is None else extra_args
    ones = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        sigma, sigma_next = sigmas[i], sigmas[i + 1]
        sigma_mid = (sigma * sigma_next) ** 0.5
        slope = (x - model(x, sigma * ones, **extra_args)) / sigma
        x_mid = x + slope * (sigma_mid - sigma)
        slope_mid = (x_mid - model(x_mid, sigma_mid * ones, **extra_args)) / sigma_mid
        x = x + slope_mid * (sigma_next - sigma)
    return x
