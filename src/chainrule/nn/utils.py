"""Gradient utilities with PyTorch's names and meanings: clip_grad_norm_."""

import math

from chainrule._backend import xp
from chainrule._core.tensor import Tensor, raw
from chainrule.errors import GradientError


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients in place so that their joint norm is at most `max_norm`.

    The norm is taken over all gradients together, as if concatenated into one vector
    (`norm_type` 2, any p >= 1, or inf); each gradient is multiplied by
    min(1, max_norm / (norm + 1e-6)), as in PyTorch. Returns the norm before clipping, as a
    NumPy scalar of the gradients' dtype. Parameters without a gradient are skipped.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    gradients = [raw(p.grad) for p in parameters if p.grad is not None]
    if not gradients:
        return xp.float32(0.0)
    dtype = xp.result_type(*gradients)
    norm_type = float(norm_type)
    if norm_type == math.inf:
        total = max(xp.max(xp.abs(g)) if g.size else dtype.type(0) for g in gradients)
    else:
        total = sum(xp.sum(xp.abs(g) ** norm_type, dtype=xp.float64) for g in gradients)
        total = total ** (1 / norm_type)
    total = dtype.type(total)
    if error_if_nonfinite and not math.isfinite(total):
        raise GradientError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                            f"gradients is {total}, so they cannot be clipped")
    coefficient = float(max_norm) / (float(total) + 1e-6)
    if not coefficient >= 1:  # also NaN, which spreads to the gradients as in PyTorch
        for gradient in gradients:
            gradient *= dtype.type(coefficient) if gradient.dtype == dtype else coefficient
    return total
