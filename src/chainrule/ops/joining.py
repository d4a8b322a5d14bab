"""Joining and splitting: hstack, vstack, dstack, column_stack, append, atleast_Nd,
array_split, hsplit, vsplit, dsplit, and rollaxis; all reshapes, transposes, concatenations
and slices."""

import numpy

from chainrule.errors import ShapeError
from chainrule.ops import elementwise as ew
from chainrule.ops.numpy_dispatch import register
from chainrule.ops.shape import concatenate, moveaxis, ravel, reshape, shape_of, split


def _with_shape(x, shape):
    """x itself when it already has `shape` (NumPy returns it unchanged), else reshaped."""
    return x if shape_of(x) == tuple(shape) else reshape(x, shape)


def _one(x):
    shape = shape_of(x)
    return _with_shape(x, shape or (1,))


def _two(x):
    shape = shape_of(x)
    return _with_shape(x, {0: (1, 1), 1: (1,) + tuple(shape)}.get(len(shape), shape))


def _three(x):
    shape = shape_of(x)
    three = {0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}
    return _with_shape(x, three.get(len(shape), shape))


def _each(view, arrays):
    out = [view(x) for x in arrays]
    return out[0] if len(out) == 1 else out


def atleast_1d(*arrays):
    """Each array with at least one axis (a scalar becomes shape (1,))."""
    return _each(_one, arrays)


def atleast_2d(*arrays):
    """Each array with at least two axes ((n,) becomes (1, n))."""
    return _each(_two, arrays)


def atleast_3d(*arrays):
    """Each array with at least three axes ((n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _each(_three, arrays)


def _cast(joined, dtype):
    return joined if dtype is None else ew.astype(joined, dtype)


def vstack(tup, *, dtype=None, casting="same_kind"):
    """Stack rows: 1-D arrays become rows, then join along axis 0."""
    return _cast(concatenate([_two(x) for x in tup], axis=0), dtype)


def hstack(tup, *, dtype=None, casting="same_kind"):
    """Stack columns: join along axis 1 (axis 0 for 1-D arrays)."""
    arrays = [_one(x) for x in tup]
    axis = 0 if arrays and len(shape_of(arrays[0])) == 1 else 1
    return _cast(concatenate(arrays, axis=axis), dtype)


def dstack(tup):
    """Stack along the third axis, after making every array at least 3-D."""
    return concatenate([_three(x) for x in tup], axis=2)


def column_stack(tup):
    """1-D arrays become columns; all are joined along axis 1."""
    columns = []
    for x in tup:
        shape = shape_of(x)
        columns.append(_with_shape(x, (shape[0] if shape else 1, 1)) if len(shape) < 2 else x)
    return concatenate(columns, axis=1)


def append(arr, values, axis=None):
    """arr with values joined at the end (both flattened when axis is None)."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


def array_split(ary, indices_or_sections, axis=0):
    """Split into pieces that may differ in length by one (the first ones longer)."""
    if not isinstance(indices_or_sections, (int, numpy.integer)):
        return split(ary, list(indices_or_sections), axis)
    sections = int(indices_or_sections)
    if sections <= 0:
        raise ShapeError(f"array_split: the number of sections must be positive, got {sections}")
    length = shape_of(ary)[axis]
    size, extra = divmod(length, sections)
    bounds, start = [], 0
    for i in range(sections - 1):
        start += size + (1 if i < extra else 0)
        bounds.append(start)
    return split(ary, bounds, axis)


def _split_needing(name, ndim, axis):
    def split_along(ary, indices_or_sections):
        shape = shape_of(ary)
        if len(shape) < ndim:
            raise ShapeError(f"{name}: needs an array of at least {ndim} dimensions, got "
                             f"shape {shape}")
        return split(ary, indices_or_sections, axis if len(shape) > 1 else 0)

    split_along.__name__ = name
    split_along.__doc__ = f"numpy.{name}: split along axis {axis}."
    return split_along


def rollaxis(a, axis, start=0):
    """Move `axis` to sit before position `start` (NumPy's older moveaxis)."""
    ndim = len(shape_of(a))
    axis, start = axis % ndim, start + ndim if start < 0 else start
    if not 0 <= start <= ndim:
        raise ShapeError(f"rollaxis: start {start} is out of range for {ndim} dimensions")
    if axis < start:
        start -= 1
    return a if axis == start else moveaxis(a, axis, start)


hsplit = _split_needing("hsplit", 1, 1)
vsplit = _split_needing("vsplit", 2, 0)
dsplit = _split_needing("dsplit", 3, 2)


for _numpy_function, _op in [
    (numpy.atleast_1d, atleast_1d),
    (numpy.atleast_2d, atleast_2d),
    (numpy.atleast_3d, atleast_3d),
    (numpy.vstack, vstack),
    (numpy.hstack, hstack),
    (numpy.dstack, dstack),
    (numpy.column_stack, column_stack),
    (numpy.append, append),
    (numpy.array_split, array_split),
    (numpy.hsplit, hsplit),
    (numpy.vsplit, vsplit),
    (numpy.dsplit, dsplit),
    (numpy.rollaxis, rollaxis),
]:
    register(_numpy_function, _op)
