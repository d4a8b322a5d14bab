"""Gradient utilities with PyTorch's names and meanings: clip_grad_norm_."""

import math

import numpy

from chainrule._backend import array_module
from chainrule._core.tensor import Tensor, raw
from chainrule.errors import GradientError


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients in place so that their joint norm is at most `max_norm`.

    The norm is taken over all gradients together, as if concatenated into one vector
    (`norm_type` 2, any p >= 1, or inf); each gradient is multiplied by
    min(1, max_norm / (norm + 1e-6)), as in PyTorch. Returns the norm before clipping, as a
    NumPy scalar of the gradients' dtype (on any device). Parameters without a gradient are
    skipped.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    gradients = [raw(p.grad) for p in parameters if p.grad is not None]
    if not gradients:
        return numpy.float32(0.0)
    xp = array_module(*gradients)
    dtype = numpy.result_type(*(g.dtype for g in gradients))
    norm_type = float(norm_type)
    if norm_type == math.inf:
        peaks = [xp.max(xp.abs(g)) for g in gradients if g.size]
        total = xp.max(xp.stack(peaks)) if peaks else 0.0
    else:
        total = sum(xp.sum(xp.abs(g) ** norm_type, dtype=numpy.float64) for g in gradients)
        total = total ** (1 / norm_type)
    total = dtype.type(float(total))  # the one wait for the device: the norm is returned
    if error_if_nonfinite and not math.isfinite(total):
        raise GradientError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                            f"gradients is {total}, so they cannot be clipped")
    coefficient = float(max_norm) / (float(total) + 1e-6)
    if not coefficient >= 1:  # also NaN, which spreads to the gradients as in PyTorch
        for gradient in gradients:
            gradient *= dtype.type(coefficient) if gradient.dtype == dtype else coefficient
    return total
