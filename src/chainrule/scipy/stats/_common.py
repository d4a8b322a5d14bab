"""What the distributions share: standardising, support masks, NaN for bad parameters,
and keeping the caller's float dtype."""

import functools
import math

import numpy as np

from chainrule._core.modes import modes
from chainrule._core.tensor import Tensor, raw
from chainrule.errors import GradientError

LOG_2PI = math.log(2 * math.pi)


def keeps_dtype(function):
    """Decorator: lists become arrays; the result is in the float dtype of the array
    arguments (float32 stays float32; Python numbers do not promote), and a NumPy scalar
    where SciPy's would be one."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        args = [np.asarray(a) if isinstance(a, (list, tuple)) else a for a in args]
        out = function(*args, **kwargs)
        dtypes = [
            a.dtype for a in (*args, *kwargs.values()) if getattr(a, "dtype", None) is not None
            and a.dtype.kind == "f"
        ]
        if dtypes:
            dtype = np.result_type(*dtypes)
            if out.dtype != dtype and out.dtype.kind == "f":
                out = out.astype(dtype)
        if isinstance(out, np.ndarray) and out.ndim == 0:
            return out[()]
        return out

    return wrapper


def where(condition, inside, outside):
    """`inside` where `condition` holds, else the constant `outside` (no where-node when
    the condition holds everywhere)."""
    condition = raw(condition)
    if np.all(condition):
        return inside
    return np.where(condition, inside, outside)


def valid(value, *parameters):
    """`value`, NaN where a scale-like parameter is not positive (as SciPy returns)."""
    ok = True
    for parameter in parameters:
        ok = np.logical_and(ok, raw(parameter) > 0)
    return where(ok, value, np.nan)


def inside(mask, value):
    """`value` where `mask` holds, else the in-support stand-in 0.5: the double-where that
    keeps an out-of-support NaN out of the gradient."""
    return where(mask, value, 0.5)


def constant(value, function, argument):
    """Refuse a gradient for a discrete argument (a count) rather than give a wrong one."""
    if isinstance(value, Tensor) and value.requires_grad and modes.grad_enabled:
        raise GradientError(
            f"scipy.stats.{function}: {argument} is discrete and has no derivative; pass it "
            "as a plain array (or .detach() it)"
        )
    return raw(value)
