"""chainrule: differentiable programming on NumPy arrays.

    import numpy as np, chainrule as cr
    cr.grad(lambda w: np.tanh(w @ x).sum())(w)

Exact gradients, Jacobians, Hessians and custom gradients of ordinary NumPy code.
"""

from chainrule import ops as _ops
from chainrule._backend import DeviceError
from chainrule._core import Tensor, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from chainrule._core.tensor import asnumpy
from chainrule.api import (
    grad,
    gradients_function,
    hessian,
    hvp,
    jacobian,
    jvp,
    stop_gradient,
    value_and_grad,
    vjp,
)
from chainrule.checks import check_grads
from chainrule.errors import (
    AnomalyError,
    ChainruleError,
    CheckpointError,
    DataError,
    DownloadError,
    GradientError,
    LinAlgError,
    ShapeError,
)
from chainrule.ops import __all__ as _ops_all
from chainrule.serialization import load, save

globals().update({name: getattr(_ops, name) for name in _ops.EAGER})
"""The primitives are the package's vocabulary: `cr.tanh`, `cr.einsum`; the linalg, fft and
statistics ones (`cr.inv`, `cr.median`, ...) load with their module on first use."""

__version__ = "0.1.0"

_SUBMODULES = ("data", "explain", "nn", "numpy", "optim", "scipy", "training")
"""Loaded on first use (PEP 562), so `import chainrule` costs no more than the core."""


def __getattr__(name):
    """`cr.nn`, `cr.optim`, `cr.data`, ... imported when first touched, as `torch.nn` is."""
    if name in _ops._LAZY_NAMES:
        return getattr(_ops, name)
    if name in _SUBMODULES:
        import importlib

        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    from importlib.util import find_spec

    present = {name for name in _SUBMODULES if find_spec(f"{__name__}.{name}") is not None}
    return sorted(set(globals()) | present | set(_ops._LAZY_NAMES))


def tensor(data, requires_grad=False, dtype=None, device=None):
    """A Tensor from array-like data (dtype kept; Python floats become float64), on
    `device` ("cpu" unless the data already lives on another device, or "cuda")."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


__all__ = [
    "AnomalyError",
    "ChainruleError",
    "CheckpointError",
    "DataError",
    "DeviceError",
    "DownloadError",
    "GradientError",
    "LinAlgError",
    "ShapeError",
    "Tensor",
    "asnumpy",
    "check_grads",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradients_function",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "load",
    "no_grad",
    "stop_gradient",
    "save",
    "tensor",
    "value_and_grad",
    "vjp",
    *_ops_all,
]
