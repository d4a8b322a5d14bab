"""Grids and finite differences: linspace, logspace, geomspace and gradient, built from
differentiable ops, so the endpoints (and the sampled array) carry derivatives."""

import numpy

from chainrule import _backend
from chainrule._core.tensor import Tensor
from chainrule.errors import ShapeError
from chainrule.ops import elementwise as ew
from chainrule.ops._axes import negative_axes
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops.numpy_dispatch import register
from chainrule.ops.shape import concatenate, moveaxis, reshape, shape_of


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """`num` evenly spaced samples from start to stop (NumPy's arithmetic: start + i step,
    and stop itself as the last sample when `endpoint`)."""
    if num < 0:
        raise ShapeError(f"linspace: the number of samples must be non-negative, got {num}")
    divisions = (num - 1) if endpoint else num
    delta = ew.subtract(stop, start)
    delta_shape = shape_of(delta)
    extra_axes = (1,) * len(delta_shape)
    count = num - 1 if endpoint and num > 1 else num
    dtype_of_positions = numpy.result_type(float, getattr(delta, "dtype", float))
    positions = module_of(delta).arange(count, dtype=dtype_of_positions)
    positions = reshape(positions, (count,) + extra_axes)
    if divisions > 0:
        step = delta / divisions
        samples = positions * step + start
    else:
        step = numpy.nan
        samples = positions * delta + start
    if endpoint and num > 1:
        if not isinstance(stop, Tensor):
            stop = _backend.asarray(stop, like=delta)
        last = namespace(stop).broadcast_to(stop, delta_shape)
        samples = concatenate([samples, reshape(last, (1,) + delta_shape)])
    if dtype is not None:
        samples = ew.astype(samples, dtype)
    if axis != 0:
        samples = moveaxis(samples, 0, axis)
    return (samples, step) if retstep else samples


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """base ** linspace(start, stop): samples evenly spaced on a log scale."""
    exponents = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    samples = ew.power(base, exponents)
    return samples if dtype is None else ew.astype(samples, dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Samples evenly spaced on a log scale from start to stop (both positive)."""
    samples = ew.exp(linspace(ew.log(start), ew.log(stop), num=num, endpoint=endpoint,
                              axis=axis))
    return samples if dtype is None else ew.astype(samples, dtype)


def _along(axis, selection):
    return (Ellipsis, selection) + (slice(None),) * (-axis - 1)


def _gradient_along(f, axis, spacing, edge_order):
    """Central differences inside, one-sided ones (of `edge_order`) at both ends."""
    length = shape_of(f)[axis]
    if length < edge_order + 1:
        raise ShapeError(
            f"gradient: an axis of length {length} needs at least {edge_order + 1} samples "
            f"for edge_order={edge_order}"
        )
    inner = (f[_along(axis, slice(2, None))] - f[_along(axis, slice(None, -2))]) / (2.0 * spacing)

    def at(i):
        return f[_along(axis, slice(i, i + 1 if i != -1 else None))]

    if edge_order == 1:
        first = (at(1) - at(0)) / spacing
        last = (at(-1) - at(-2)) / spacing
    else:
        first = -1.5 / spacing * at(0) + 2.0 / spacing * at(1) - 0.5 / spacing * at(2)
        last = 0.5 / spacing * at(-3) - 2.0 / spacing * at(-2) + 1.5 / spacing * at(-1)
    return concatenate([first, inner, last], axis=axis)


def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's gradient of sampled values f with uniform spacing (a scalar per axis)."""
    ndim = len(shape_of(f))
    axes = negative_axes(axis, ndim)
    if axis is not None and not isinstance(axis, int):
        axes = tuple(a - ndim if a >= 0 else a for a in axis)
    spacings = list(varargs) if varargs else [1.0]
    if len(spacings) == 1:
        spacings = spacings * len(axes)
    if len(spacings) != len(axes) or any(numpy.ndim(s) != 0 for s in spacings):
        raise TypeError(
            "gradient: chainrule supports one scalar spacing, or one per axis (no coordinate "
            "arrays)"
        )
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    if not numpy.issubdtype(getattr(f, "dtype", numpy.dtype(float)), numpy.inexact):
        f = ew.astype(f, numpy.float64)
    out = [_gradient_along(f, a, float(s), edge_order) for a, s in zip(axes, spacings)]
    return out[0] if len(out) == 1 else tuple(out)


for _numpy_function, _op in [
    (numpy.linspace, linspace),
    (numpy.logspace, logspace),
    (numpy.geomspace, geomspace),
    (numpy.gradient, gradient),
]:
    register(_numpy_function, _op)
