"""chainrule: differentiable programming on NumPy arrays.

    import numpy as np, chainrule as cr
    cr.grad(lambda w: np.tanh(w @ x).sum())(w)

Exact gradients, Jacobians, Hessians and custom gradients of ordinary NumPy code.
"""

from chainrule._core import Tensor, detect_anomaly, enable_grad, is_grad_enabled, no_grad
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
    ShapeError,
)
from chainrule.ops import *  # noqa: F403 - the primitives are the package's vocabulary
from chainrule.ops import __all__ as _ops_all

__version__ = "0.1.0"


def tensor(data, requires_grad=False, dtype=None):
    """A Tensor from array-like data (dtype kept; Python floats become float64)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


__all__ = [
    "AnomalyError",
    "ChainruleError",
    "CheckpointError",
    "DataError",
    "DownloadError",
    "GradientError",
    "ShapeError",
    "Tensor",
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
    "no_grad",
    "stop_gradient",
    "tensor",
    "value_and_grad",
    "vjp",
    *_ops_all,
]
