"""Shape ops: reshape, transpose, broadcast, join, pad, flip, and those built on them."""

import numpy

from chainrule import _backend
from chainrule._backend import array_module
from chainrule._core.tensor import raw_nested
from chainrule.ops._axes import batch_ndim, negative_axes
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops._primitive import primitive
from chainrule.ops.numpy_dispatch import register


@primitive
def reshape(x, shape):
    return array_module(x).reshape(x, shape)


@reshape.defvjp
def _(g, ans, x, shape):
    return namespace(g).reshape(g, g.shape[: batch_ndim(g, ans)] + x.shape)


def _numpy_reshape(a, shape=None, order="C", **kwargs):
    """numpy.reshape, with NumPy 1's `newshape=` spelling too (C order only)."""
    shape = kwargs.pop("newshape", shape)
    if order != "C":
        raise TypeError("chainrule supports numpy.reshape only with order='C'")
    return reshape(a, shape, **kwargs)


register(numpy.reshape, _numpy_reshape)


def shape_of(x):
    """x's shape as a tuple: the `.shape` of an array of any backend or a Tensor (no call
    into an array module), NumPy's reading of numbers and lists."""
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else numpy.shape(raw_nested(x))


@primitive(numpy=numpy.transpose)
def transpose(x, axes=None):
    return _permute(array_module(x), x, axes)


def _permute(xp, a, axes):
    """NumPy's `transpose(a, axes)`, or the Array API's `permute_dims` where it is missing."""
    own = getattr(xp, "transpose", None)
    if own is not None:
        return own(a, axes)
    return xp.permute_dims(a, tuple(range(a.ndim))[::-1] if axes is None else tuple(axes))


@transpose.defvjp
def _(g, ans, x, axes=None):
    nb = batch_ndim(g, ans)
    order = range(x.ndim)[::-1] if axes is None else [a % x.ndim for a in axes]
    inverse = [0] * x.ndim
    for position, axis in enumerate(order):
        inverse[axis] = position
    return _permute(namespace(g), g, tuple(range(nb)) + tuple(nb + a for a in inverse))


@primitive(numpy=numpy.broadcast_to)
def broadcast_to(x, shape):
    return array_module(x).broadcast_to(x, shape)


@broadcast_to.defvjp
def _(g, ans, x, shape):
    return g


def _along(axis, ndim, selection):
    """An index that applies `selection` on one axis (counted from the end) and keeps the rest."""
    return (Ellipsis, selection) + (slice(None),) * (-negative_axes(axis, ndim)[0] - 1)


@primitive
def _concatenate(*arrays, axis=0):
    return array_module(*arrays).concatenate(arrays, axis=axis)


@_concatenate.defvjp_argnum
def _(argnum, g, ans, *arrays, axis=0):
    start = 0
    for array in arrays[:argnum]:
        start += array.shape[axis]
    stop = start + arrays[argnum].shape[axis]
    return g[_along(axis, ans.ndim, slice(start, stop))]


def concatenate(arrays, axis=0):
    """Join arrays along an existing axis (flattened first when axis is None)."""
    if axis is None:
        return _concatenate(*[reshape(a, (-1,)) for a in arrays], axis=0)
    return _concatenate(*arrays, axis=axis)


register(numpy.concatenate, concatenate)


@primitive
def _stack(*arrays, axis=0):
    return array_module(*arrays).stack(arrays, axis=axis)


@_stack.defvjp_argnum
def _(argnum, g, ans, *arrays, axis=0):
    return g[_along(axis, ans.ndim, argnum)]


def stack(arrays, axis=0):
    """Join arrays along a new axis."""
    return _stack(*arrays, axis=axis)


register(numpy.stack, stack)


@primitive(numpy=numpy.pad)
def pad(x, pad_width, mode="constant", constant_values=0):
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is differentiable, got {mode!r}")
    return array_module(x).pad(x, pad_width, mode="constant", constant_values=constant_values)


@pad.defvjp
def _(g, ans, x, pad_width, mode="constant", constant_values=0):
    widths = numpy.broadcast_to(_backend.to_host(pad_width), (x.ndim, 2))
    inner = tuple(slice(int(before), int(before) + n) for (before, _), n in zip(widths, x.shape))
    return g[(Ellipsis,) + inner]


@primitive(numpy=numpy.flip)
def flip(x, axis=None):
    return array_module(x).flip(x, axis)


@flip.defvjp
def _(g, ans, x, axis=None):
    return namespace(g).flip(g, negative_axes(axis, x.ndim))


def flipud(x):
    """Reverse the first axis."""
    return flip(x, 0)


def fliplr(x):
    """Reverse the second axis."""
    return flip(x, 1)


def rot90(x, k=1, axes=(0, 1)):
    """Rotate by 90 degrees k times in the plane of `axes`, as NumPy does (flip, transpose)."""
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, axes[0]), axes[1])
    order = list(range(len(shape_of(x))))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return transpose(flip(x, axes[1]), tuple(order))
    return flip(transpose(x, tuple(order)), axes[1])


register(numpy.flipud, flipud)
register(numpy.fliplr, fliplr)
register(numpy.rot90, rot90)


def swapaxes(x, axis1, axis2):
    """Exchange two axes (a transpose)."""
    order = list(range(len(shape_of(x))))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return transpose(x, tuple(order))


register(numpy.swapaxes, swapaxes)


def moveaxis(x, source, destination):
    """Move axes to new positions, keeping the order of the others (a transpose)."""
    ndim = len(shape_of(x))
    source = [a % ndim for a in ((source,) if isinstance(source, int) else source)]
    destination = [
        a % ndim for a in ((destination,) if isinstance(destination, int) else destination)
    ]
    order = [a for a in range(ndim) if a not in source]
    for dest, src in sorted(zip(destination, source, strict=True)):
        order.insert(dest, src)
    return transpose(x, tuple(order))


register(numpy.moveaxis, moveaxis)


def _shape_probe(x):
    """A host array of x's shape that holds no memory, to ask NumPy's own shape rules (and
    their errors) what a reshape gives."""
    return numpy.broadcast_to(numpy.empty((), dtype=bool), shape_of(x))


def expand_dims(x, axis):
    """Insert size-1 axes (a reshape)."""
    return reshape(x, numpy.expand_dims(_shape_probe(x), axis).shape)


register(numpy.expand_dims, expand_dims)


def squeeze(x, axis=None):
    """Remove size-1 axes (a reshape)."""
    return reshape(x, numpy.squeeze(_shape_probe(x), axis).shape)


register(numpy.squeeze, squeeze)


def ravel(x):
    """The elements as a 1-D array (a reshape)."""
    return reshape(x, (-1,))


register(numpy.ravel, ravel)


def split(x, indices_or_sections, axis=0):
    """Split into pieces along `axis`, as slices of x."""
    shape = shape_of(x)
    length = shape[axis]
    if isinstance(indices_or_sections, int):
        if length % indices_or_sections:
            raise ValueError(
                f"split: an axis of length {length} does not divide into "
                f"{indices_or_sections} equal sections"
            )
        step = length // indices_or_sections
        bounds = list(range(0, length + 1, step))
    else:
        bounds = [0, *indices_or_sections, length]
    ndim = len(shape)
    return [x[_along(axis, ndim, slice(a, b))] for a, b in zip(bounds[:-1], bounds[1:])]


register(numpy.split, split)


def tile(x, reps):
    """Repeat the whole array `reps` times along each axis (broadcast, then reshape)."""
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    shape = shape_of(x)
    ndim = max(len(shape), len(reps))
    shape = (1,) * (ndim - len(shape)) + tuple(shape)
    reps = (1,) * (ndim - len(reps)) + reps
    interleaved = reshape(x, tuple(s for n in shape for s in (1, n)))
    spread = broadcast_to(interleaved, tuple(s for r, n in zip(reps, shape) for s in (r, n)))
    return reshape(spread, tuple(r * n for r, n in zip(reps, shape)))


register(numpy.tile, tile)


def repeat(x, repeats, axis=None):
    """Repeat each element `repeats` times along `axis` (flattened when axis is None)."""
    if axis is None:
        x, axis = ravel(x), 0
    shape = shape_of(x)
    axis = axis % len(shape)
    if isinstance(repeats, int):
        expanded = reshape(x, shape[: axis + 1] + (1,) + shape[axis + 1 :])
        target = shape[: axis + 1] + (repeats,) + shape[axis + 1 :]
        spread = broadcast_to(expanded, target)
        return reshape(spread, shape[:axis] + (shape[axis] * repeats,) + shape[axis + 1 :])
    positions = numpy.repeat(numpy.arange(shape[axis]), _backend.to_host(repeats))
    positions = module_of(x).asarray(positions)
    return x[(slice(None),) * axis + (positions,)]


register(numpy.repeat, repeat)
