"""Array backends: the sampler sees NumPy arrays or float64 PyTorch tensors; the bridge computes in NumPy.

With PyTorch, torch.randn_like and torch.randn (on the state's shape) are routed to the bridge's noise while the
sampler runs, so samplers that draw their own noise (k-diffusion's defaults) need no change.
"""

import contextlib

import numpy as np


class NumpyBackend:
    name = "numpy"

    def wrap(self, array):
        return np.array(array, dtype=np.float64)

    def unwrap(self, value):
        return np.asarray(value, dtype=np.float64)

    @contextlib.contextmanager
    def routed_noise(self, draw, shape):
        yield


class TorchBackend:
    name = "torch"

    def __init__(self):
        import torch  # imported here: PyTorch is optional

        self.torch = torch

    def wrap(self, array):
        return self.torch.from_numpy(np.array(array, dtype=np.float64))

    def unwrap(self, value):
        if isinstance(value, self.torch.Tensor):
            return value.detach().cpu().double().numpy()
        return np.asarray(value, dtype=np.float64)

    @contextlib.contextmanager
    def routed_noise(self, draw, shape):
        torch = self.torch
        original_like, original_randn = torch.randn_like, torch.randn

        def randn_like(t, *args, **kwargs):
            if tuple(t.shape) != tuple(shape):
                raise ValueError(f"torch.randn_like on shape {tuple(t.shape)}; the bridge supplies noise of the "
                                 f"state's shape {tuple(shape)} only")
            return self.wrap(draw()).to(t.dtype)

        def randn(*size, **kwargs):
            dims = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else tuple(size)
            if dims != tuple(shape):
                raise ValueError(f"torch.randn{dims}; the bridge supplies noise of the state's shape "
                                 f"{tuple(shape)} only")
            return self.wrap(draw())

        torch.randn_like, torch.randn = randn_like, randn
        try:
            yield
        finally:
            torch.randn_like, torch.randn = original_like, original_randn


def backend(name):
    """The backend called `name` ("numpy" or "torch"); ImportError when torch is asked for and absent."""
    if name == "numpy":
        return NumpyBackend()
    if name == "torch":
        return TorchBackend()
    raise ValueError(f"backend = {name!r}; allowed: numpy, torch")
