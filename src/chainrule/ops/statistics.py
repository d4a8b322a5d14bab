"""Statistics: average (weighted), nansum, nanmean, median, quantile and percentile.

Order statistics sort (a differentiable gather), then pick or interpolate, so the gradient
goes to the element or elements the value came from, as in PyTorch and JAX.
"""

import numpy

from chainrule import _backend
from chainrule._core.tensor import Tensor, raw
from chainrule.errors import ShapeError
from chainrule.ops import elementwise as ew
from chainrule.ops import reductions
from chainrule.ops._axes import negative_axes
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops.indexing import sort
from chainrule.ops.numpy_dispatch import register
from chainrule.ops.shape import moveaxis, reshape, shape_of, swapaxes

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _no_out(name, out):
    if out is not None:
        raise TypeError(f"{name}: out= is not supported on Tensors")


def _reduced_last(a, axis):
    """a with the axes in `axis` merged into one last axis, and the kept shape with
    keepdims (1 where an axis was reduced)."""
    shape = shape_of(a)
    axes = negative_axes(axis, len(shape))
    kept = [n for i, n in enumerate(shape) if i - len(shape) not in axes]
    keepdims_shape = tuple(1 if i - len(shape) in axes else n for i, n in enumerate(shape))
    moved = moveaxis(a, axes, tuple(range(-len(axes), 0)))
    return reshape(moved, tuple(kept) + (-1,)), keepdims_shape


def _as_inexact(a):
    """Integer input gives float64 results, as NumPy's order statistics do."""
    dtype = getattr(raw(a), "dtype", numpy.dtype(float))
    return a if numpy.issubdtype(dtype, numpy.inexact) else ew.astype(a, numpy.float64)


def _order_statistic(a, q, axis, method, keepdims, name):
    if method not in _METHODS:
        raise TypeError(f"{name}: chainrule supports method in {_METHODS}, got {method!r}")
    a = _as_inexact(a)
    xp = module_of(a)
    fraction = q
    q = _backend.asarray(raw(q), dtype=numpy.float64, like=raw(a))
    if not isinstance(fraction, Tensor):
        fraction = q
    if ((q < 0) | (q > 1)).any():
        raise ValueError(f"{name}: quantiles must be in the range [0, 1]")
    values, keepdims_shape = _reduced_last(a, axis)
    ordered = sort(values, axis=-1)
    count = ordered.shape[-1]
    index = (count - 1) * q
    below = xp.clip(xp.floor(index), 0, count - 1).astype(numpy.intp)
    above = xp.clip(below + 1, 0, count - 1)
    if method in ("lower", "higher", "nearest"):
        rounded = {"lower": xp.floor, "higher": xp.ceil, "nearest": xp.around}[method](index)
        result = ordered[..., xp.clip(rounded, 0, count - 1).astype(numpy.intp)]
    else:
        if method == "midpoint":
            gamma = xp.where(index % 1 == 0, 0.0, 0.5)
        else:
            # Linear in q between two samples, so a Tensor q gets its derivative too.
            gamma = ew.subtract(ew.multiply(fraction, count - 1), below)
        gamma = ew.astype(gamma, raw(ordered).dtype)
        low, high = ordered[..., below], ordered[..., above]
        step = high - low
        # NumPy's lerp: from the nearer end, so q = 1 gives the maximum exactly.
        result = ew.where(gamma >= 0.5, high - step * (1 - gamma), low + step * gamma)
    if keepdims:
        result = reshape(result, tuple(keepdims_shape) + q.shape)
    return moveaxis(result, tuple(range(-q.ndim, 0)), tuple(range(q.ndim))) if q.ndim else result


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None, interpolation=None):
    """The q-th quantiles (q in [0, 1]) along `axis`; q's axes come first in the result."""
    _no_out("quantile", out)
    if weights is not None:
        raise TypeError("quantile: weights= is not supported on Tensors")
    return _order_statistic(a, q, axis, interpolation or method, keepdims, "quantile")


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None, interpolation=None):
    """The q-th percentiles (q in [0, 100]); see quantile."""
    _no_out("percentile", out)
    if weights is not None:
        raise TypeError("percentile: weights= is not supported on Tensors")
    q = ew.divide(q, 100)
    return _order_statistic(a, q, axis, interpolation or method, keepdims, "percentile")


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The middle value along `axis` (the mean of the two middle values for an even count);
    the gradient goes to the middle element or, split in halves, to the two."""
    _no_out("median", out)
    a = _as_inexact(a)
    values, keepdims_shape = _reduced_last(a, axis)
    ordered = sort(values, axis=-1)
    count = ordered.shape[-1]
    if count == 0:
        raise ShapeError("median: of an empty axis")
    middle = count // 2
    if count % 2:
        result = ordered[..., middle]
    else:
        result = reductions.mean(ordered[..., middle - 1 : middle + 1], axis=-1)
    return reshape(result, keepdims_shape) if keepdims else result


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """The (weighted) mean along `axis`; with `returned`, also the sum of the weights."""
    if weights is None:
        result = reductions.mean(a, axis=axis, keepdims=keepdims)
        xp = module_of(result)
        scale = xp.asarray(xp.size(raw(a)) / xp.size(raw(result)), dtype=raw(result).dtype)
    else:
        if not isinstance(weights, Tensor):
            weights = _backend.asarray(weights, like=a)
        ns = namespace(a, weights)
        shape, weight_shape = shape_of(a), shape_of(weights)
        if shape != weight_shape:
            if axis is None:
                raise ShapeError(
                    f"average: weights of shape {weight_shape} differ from a's {shape}: "
                    "give the axis they lie along"
                )
            if len(weight_shape) != 1 or weight_shape[0] != shape[axis]:
                raise ShapeError(
                    f"average: weights of shape {weight_shape} do not fit axis {axis} of {shape}"
                )
            weights = ns.broadcast_to(weights, (1,) * (len(shape) - 1) + weight_shape)
            weights = swapaxes(weights, -1, axis)
        scale = reductions.sum(
            ns.broadcast_to(weights, numpy.broadcast_shapes(shape, shape_of(weights))),
            axis=axis, keepdims=keepdims,
        )
        result = reductions.sum(ew.multiply(a, weights), axis=axis, keepdims=keepdims) / scale
    if not returned:
        return result
    if tuple(scale.shape) != tuple(result.shape):
        scale = namespace(scale).broadcast_to(scale, result.shape)
    return result, scale


def nansum(a, axis=None, dtype=None, out=None, keepdims=False):
    """The sum with NaNs counted as zero (they get a zero gradient)."""
    _no_out("nansum", out)
    if dtype is not None:
        a = ew.astype(a, dtype)
    return reductions.sum(
        ew.where(module_of(a).isnan(raw(a)), 0, a), axis=axis, keepdims=keepdims
    )


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    """The mean of the non-NaN values (NaN where there are none, as in NumPy)."""
    _no_out("nanmean", out)
    if dtype is not None:
        a = ew.astype(a, dtype)
    xp = module_of(a)
    present = ~xp.isnan(raw(a))
    count = xp.sum(present, axis=axis, keepdims=keepdims).astype(raw(a).dtype)
    with _backend.errstate(count, invalid="ignore", divide="ignore"):
        return nansum(a, axis=axis, keepdims=keepdims) / count


for _numpy_function, _op in [
    (numpy.quantile, quantile),
    (numpy.percentile, percentile),
    (numpy.median, median),
    (numpy.average, average),
    (numpy.nansum, nansum),
    (numpy.nanmean, nanmean),
]:
    register(_numpy_function, _op)
