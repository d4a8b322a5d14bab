"""Indexing: getitem (basic and advanced) and its scatter-add adjoint."""

import math

import numpy

from chainrule import _backend
from chainrule._backend import array_module
from chainrule._core.tensor import Tensor, raw
from chainrule.ops._axes import batch_ndim
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops._primitive import primitive
from chainrule.ops.numpy_dispatch import register
from chainrule.ops.shape import shape_of


def normalize_index(index, like=None):
    """Replace Tensors inside an index by their arrays; always return a tuple.

    With `like`, the raw array being indexed, on a device: NumPy index arrays are copied to
    its device once here, so the forward and the VJPs index with arrays of one module.
    """
    if not isinstance(index, tuple):
        index = (index,)
    index = tuple(item.data if isinstance(item, Tensor) else item for item in index)
    if like is None or type(like) is numpy.ndarray:
        return index
    return tuple(
        _backend.asarray(item, like=like) if type(item) is numpy.ndarray else item
        for item in index
    )


def _is_basic(index):
    """Basic indices (ints, slices, None, ...) select each element at most once."""
    return all(
        item is None or item is Ellipsis or isinstance(item, (int, slice, numpy.integer))
        for item in index
    )


@primitive
def getitem(x, index):
    return x[index]


@getitem.defvjp
def _(g, ans, x, index):
    return scatter_add(g, index, x.shape, batch_ndim(g, ans))


@primitive
def scatter_add(values, index, shape, prefix):
    """zeros(batch + shape) with `values` added at `index`; repeated indices accumulate.

    The first `prefix` axes of `values` are batch axes that `index` does not touch.
    """
    xp = array_module(values)
    out = xp.zeros(values.shape[:prefix] + tuple(shape), dtype=values.dtype)
    full_index = (slice(None),) * prefix + index
    if _is_basic(index):
        out[full_index] = values
    else:
        _scatter_add(xp, out, full_index, values)
    return out


def _scatter_add(xp, target, index, values):
    """target[index] += values, where a repeated index adds each of its values: NumPy's
    `add.at`, or `cupyx.scatter_add` on a CuPy without `add.at`."""
    add_at = getattr(xp.add, "at", None)
    if add_at is not None:
        add_at(target, index, values)
    else:
        import cupyx  # only reached for CuPy arrays

        cupyx.scatter_add(target, index, values)


@scatter_add.defvjp
def _(g, ans, values, index, shape, prefix):
    return g[(slice(None),) * (batch_ndim(g, ans) + prefix) + index]


@primitive
def index_update(x, values, index, accumulate):
    """A copy of x with `values` written (or, with accumulate, added) at `index`."""
    out = x.copy()
    if accumulate:
        _scatter_add(array_module(x), out, index, values)
    else:
        out[index] = values
    return out


def _index_update_vjp_x(g, ans, x, values, index, accumulate):
    if accumulate:
        return g
    kept = module_of(g).ones(x.shape, dtype=g.dtype)
    kept[index] = 0
    return g * kept


def _index_update_vjp_values(g, ans, x, values, index, accumulate):
    selected = g[(slice(None),) * batch_ndim(g, ans) + index]
    if accumulate or _is_basic(index):
        return selected
    return selected * _written_last(module_of(g), x.shape, index)


def _written_last(xp, shape, index):
    """Which entries of x[index] a write keeps: with a repeated index the last one wins,
    as in NumPy, so the values written before it have no effect (and get no gradient)."""
    positions = xp.full(shape, -1)
    selected_shape = positions[index].shape
    positions[index] = xp.arange(math.prod(selected_shape)).reshape(selected_shape)
    kept = xp.zeros(math.prod(selected_shape), dtype=bool)
    kept[positions[positions >= 0]] = True
    return kept.reshape(selected_shape)


index_update.defvjp(_index_update_vjp_x, _index_update_vjp_values)


class IndexedUpdate:
    """`x.at[index]`: functional writes, as in JAX (`x.at[i].set(v)`, `x.at[i].add(v)`)."""

    def __init__(self, tensor):
        self.tensor = tensor

    def __getitem__(self, index):
        return _Location(self.tensor, index)


class _Location:
    def __init__(self, tensor, index):
        self.tensor = tensor
        self.index = index

    def set(self, values):
        """A new Tensor equal to x with `values` at the index; gradients flow to both."""
        return index_set(self.tensor, self.index, values)

    def add(self, values):
        """A new Tensor equal to x plus `values` at the index (repeats accumulate)."""
        return index_add(self.tensor, self.index, values)


def index_set(x, index, values):
    """x with `values` written at `index`, as a new array (`x.at[index].set(values)`)."""
    return index_update(x, values, normalize_index(index, raw(x)), False)


def index_add(x, index, values):
    """x with `values` added at `index`; repeated indices accumulate (`x.at[index].add`)."""
    return index_update(x, values, normalize_index(index, raw(x)), True)


def take_along_axis(x, indices, axis):
    """x's elements at `indices` along `axis` (NumPy's take_along_axis), as advanced indexing."""
    xp = module_of(x)
    indices = _backend.asarray(raw(indices), like=raw(x))
    ndim = indices.ndim
    axis = axis % ndim
    index = tuple(
        indices if a == axis else xp.arange(n).reshape((1,) * a + (n,) + (1,) * (ndim - a - 1))
        for a, n in enumerate(indices.shape)
    )
    return getitem(x, index)


def _stable_argsort(xp, values, axis):
    """argsort keeping ties in order: NumPy needs kind="stable"; CuPy's sort always is, and
    before CuPy 13 takes no `kind`."""
    try:
        return xp.argsort(values, axis=axis, kind="stable")
    except TypeError:
        return xp.argsort(values, axis=axis)


def sort(x, axis=-1):
    """x sorted along `axis`; the gradient goes back to where each element came from."""
    values = raw(x)
    return take_along_axis(x, _stable_argsort(array_module(values), values, axis), axis)


def partition(x, kth, axis=-1):
    """NumPy's partition (the kth element in its sorted place), as a gather by argpartition."""
    values = _backend.asarray(raw(x))
    if axis is None:
        x, values, axis = namespace(x).reshape(x, (-1,)), values.reshape(-1), 0
    return take_along_axis(x, array_module(values).argpartition(values, kth, axis=axis), axis)


def take(x, indices, axis=None):
    """numpy.take: elements at `indices` of the flattened x, or along `axis`."""
    indices = _backend.asarray(raw(indices), like=raw(x))
    if axis is None:
        return getitem(namespace(x).reshape(x, (-1,)), (indices,))
    return getitem(x, (slice(None),) * (axis % len(shape_of(x))) + (indices,))


register(numpy.take_along_axis, take_along_axis)
register(numpy.sort, sort)
register(numpy.partition, partition)
register(numpy.take, take)
