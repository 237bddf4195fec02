"""RateLab's step bridge: runs a Python sampler on probe inputs so RateLab can read off its exact affine law.

On a Gaussian target every sampler RateLab analyses is affine in its start point and its Gaussian noise once its
other random draws are fixed. This package runs the user's sampler with the exact denoiser of the target and with
noise it controls, on a batch of probe rows, and returns the affine map's coefficients; RateLab propagates the law and
computes the distances. Only the standard library and NumPy are required; PyTorch is used when the sampler wants it.
"""

import sys

try:
    import numpy  # noqa: F401  (checked first, so that a missing NumPy is one clear line)
except ImportError:
    raise ImportError(f"ratelab_bridge needs NumPy, which {sys.executable} cannot import "
                      f"(Debian: apt-get install python3-numpy; or give --python)") from None

PROTOCOL = "ratelab-bridge"
VERSION = 1

from .probe import probe_sampler  # noqa: E402  (the public entry point, after the constants it reports)

__all__ = ["PROTOCOL", "VERSION", "probe_sampler"]
