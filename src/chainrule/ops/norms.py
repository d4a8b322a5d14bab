"""numpy.linalg.norm for every ord NumPy accepts, built from differentiable ops.

Vector norms (one axis): any real p, inf, -inf, 0 (a count, no gradient). Matrix norms
(two axes): 'fro', 'nuc', 1, -1, 2, -2, inf, -inf. The gradient of a norm does not exist
where the norm is 0 (p-norms) or where the maximum is shared (inf, 1, 2 norms: ties split).
"""

import numpy

from chainrule import _backend
from chainrule._core.tensor import Tensor, raw
from chainrule.errors import ShapeError
from chainrule.ops import elementwise as ew
from chainrule.ops import reductions
from chainrule.ops._axes import negative_axes
from chainrule.ops._namespace import module_of
from chainrule.ops.decompositions import svd
from chainrule.ops.numpy_dispatch import register
from chainrule.ops.shape import expand_dims, moveaxis, reshape

_INF = float("inf")


def _magnitude(x):
    """|x| for real and complex x."""
    return ew.absolute(x)


def _squared_magnitude(x):
    if raw(x).dtype.kind == "c":
        magnitude = ew.absolute(x)
        return magnitude * magnitude
    return x * x


def _vector_norm(x, ord, axis, keepdims):  # noqa: A002 - NumPy's name
    if ord is None or ord == 2:
        return reductions.sum(_squared_magnitude(x), axis=axis, keepdims=keepdims) ** 0.5
    if ord == _INF:
        return reductions.max(_magnitude(x), axis=axis, keepdims=keepdims)
    if ord == -_INF:
        return reductions.min(_magnitude(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        data = raw(x)
        count = module_of(data).sum(data != 0, axis=axis, keepdims=keepdims)
        return count.astype(numpy.result_type(data.real.dtype, numpy.float16))
    if ord == 1:
        return reductions.sum(_magnitude(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    ord = float(ord)
    return reductions.sum(_magnitude(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _matrix_norm(x, ord, axes, keepdims):  # noqa: A002
    row, col = axes
    if ord in (None, "fro"):
        return reductions.sum(_squared_magnitude(x), axis=axes, keepdims=keepdims) ** 0.5
    if ord in ("nuc", 2, -2):
        singular = svd(moveaxis(x, (row, col), (-2, -1)), compute_uv=False)
        if ord == "nuc":
            result = reductions.sum(singular, axis=-1)
        else:
            result = (reductions.max if ord == 2 else reductions.min)(singular, axis=-1)
    elif ord in (1, -1, _INF, -_INF):
        summed, across = (row, col) if ord in (1, -1) else (col, row)
        pick = reductions.max if ord > 0 else reductions.min
        sums = reductions.sum(_magnitude(x), axis=summed, keepdims=True)
        result = pick(sums, axis=(row, col))
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        result = expand_dims(expand_dims(result, -1), -1)
        result = moveaxis(result, (-2, -1), (row, col))
    return result


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002
    """NumPy's norm: the 2-norm of all elements by default, else a vector norm over one
    axis or a matrix norm over two (the last one or two axes of a 1-D or 2-D x)."""
    data = _backend.asarray(raw(x))
    if not isinstance(x, Tensor):
        x = data
    ndim = data.ndim
    if not numpy.issubdtype(data.dtype, numpy.inexact):
        x = ew.astype(x, numpy.float64)
    if axis is None:
        if ord is None:
            flat = reductions.sum(_squared_magnitude(x)) ** 0.5
            return reshape(flat, (1,) * ndim) if keepdims else flat
        if ndim not in (1, 2):
            raise ShapeError(f"norm: ord={ord!r} needs a 1-D or 2-D array, got {ndim}-D")
        axis = tuple(range(ndim))
    axes = negative_axes(axis, ndim)
    if isinstance(axis, int) or len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        if axes[0] == axes[1]:
            raise ValueError(f"norm: duplicate axes {axis}")
        ordered = tuple(a % ndim for a in (axis if isinstance(axis, tuple) else tuple(axis)))
        return _matrix_norm(x, ord, ordered, keepdims)
    raise ShapeError(f"norm: axis must name one or two axes, got {axis!r}")


register(numpy.linalg.norm, norm)
