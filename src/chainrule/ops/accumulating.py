"""Shifting and accumulating: roll, diff (slices and subtraction) and cumprod."""

import numpy

from chainrule import _backend
from chainrule._backend import array_module
from chainrule._core.tensor import Tensor, raw
from chainrule.ops import elementwise as ew
from chainrule.ops._axes import negative_axes
from chainrule.ops._namespace import namespace
from chainrule.ops._primitive import primitive
from chainrule.ops.numpy_dispatch import register
from chainrule.ops.shape import concatenate, moveaxis, ravel, reshape, shape_of, stack


def _slice_along(axis, selection):
    """An index applying `selection` on `axis` (negative) and keeping every other axis."""
    return (Ellipsis, selection) + (slice(None),) * (-axis - 1)


def roll(a, shift, axis=None):
    """Elements shifted by `shift` along `axis`, wrapping around (flattened if axis is None)."""
    shape = shape_of(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape)
    shifts, axes = numpy.broadcast_arrays(numpy.atleast_1d(shift), numpy.atleast_1d(axis))
    for step, ax in zip(shifts.tolist(), axes.tolist()):
        (ax,) = negative_axes(ax, len(shape))
        length = shape[ax]
        step = step % length if length else 0
        if step:
            a = concatenate(
                [a[_slice_along(ax, slice(length - step, None))],
                 a[_slice_along(ax, slice(None, length - step))]],
                axis=ax,
            )
    return a


def diff(a, n=1, axis=-1, prepend=numpy._NoValue, append=numpy._NoValue):  # noqa: SLF001
    """The n-th discrete difference a[i + 1] - a[i] along `axis`."""
    shape = list(shape_of(a))
    (ax,) = negative_axes(axis, len(shape))
    pieces = [a]
    for value, where in ((prepend, 0), (append, 1)):
        if value is not numpy._NoValue:  # noqa: SLF001 - NumPy's "not given" marker
            if not isinstance(value, Tensor):
                value = _backend.asarray(value, like=a)
            if value.ndim == 0:
                shape[ax] = 1
                value = namespace(value).broadcast_to(value, tuple(shape))
            pieces.insert(0 if where == 0 else len(pieces), value)
    if len(pieces) > 1:
        a = concatenate(pieces, axis=ax)
    for _ in range(n):
        a = a[_slice_along(ax, slice(1, None))] - a[_slice_along(ax, slice(None, -1))]
    return a


@primitive
def _cumprod(x, axis):
    return array_module(x).cumprod(x, axis=axis)


@_cumprod.defvjp
def _(g, ans, x, axis):
    # dy_i/dx_j = prod_{k <= i, k != j} x_k for j <= i. Without zeros this is y_i / x_j,
    # so the VJP is a reversed cumsum divided by x; with zeros the recurrence
    # r_j = g_j + x_{j+1} r_{j+1}, grad_j = y_{j-1} r_j avoids dividing by them.
    (ax,) = negative_axes(axis, x.ndim)
    if not (raw(x) == 0).any():
        ns = namespace(g, ans)
        reversed_sum = ns.flip(ns.cumsum(ns.flip(g * ans, ax), axis=ax), ax)
        return reversed_sum / x
    g, y, x = moveaxis(g, ax, -1), moveaxis(ans, ax, -1), moveaxis(x, ax, -1)
    length = x.shape[-1]
    running = g[..., length - 1]
    grads = [running]
    for j in range(length - 2, -1, -1):
        running = g[..., j] + x[..., j + 1] * running
        grads.append(running)
    grads.reverse()
    grads = [grads[0]] + [y[..., j - 1] * grads[j] for j in range(1, length)]
    return moveaxis(stack(grads, axis=-1), -1, ax)


def cumprod(a, axis=None, dtype=None, out=None):
    """Running product along `axis` (over the flattened array when axis is None); its
    gradient is exact also where the input holds zeros."""
    if out is not None:
        raise TypeError("cumprod: out= is not supported on Tensors")
    if dtype is not None:
        a = ew.astype(a, dtype)
    if axis is None:
        return _cumprod(ravel(a), 0)
    return _cumprod(a, axis)


for _numpy_function, _op in [
    (numpy.roll, roll),
    (numpy.diff, diff),
    (numpy.cumprod, cumprod),
]:
    register(_numpy_function, _op)
