"""Contractions and matrix parts: tensordot, inner, trace, diagonal, diag, tril, triu, kron,
cross, and autograd's make_diagonal.

All are built from differentiable ops (transpose, reshape, matmul, getitem, where), so
their derivatives of every order come from those ops' rules; values equal NumPy's
because the same arithmetic runs in the same order.
"""

import math

import numpy

from chainrule.errors import ShapeError
from chainrule.ops import elementwise as ew
from chainrule.ops._namespace import module_of
from chainrule.ops.indexing import getitem, scatter_add
from chainrule.ops.linalg import matmul
from chainrule.ops.numpy_dispatch import register
from chainrule.ops.reductions import sum as reduce_sum
from chainrule.ops.shape import moveaxis, reshape, stack, transpose


def _contracted_axes(axes, ndim_a, ndim_b):
    """tensordot's `axes` (an int N, or a pair of ints or sequences) as two lists."""
    if isinstance(axes, (int, numpy.integer)):
        return list(range(ndim_a - axes, ndim_a)), list(range(axes))
    axes_a, axes_b = axes
    axes_a = [axes_a] if isinstance(axes_a, (int, numpy.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, numpy.integer)) else list(axes_b)
    return [a % ndim_a for a in axes_a], [b % ndim_b for b in axes_b]


def tensordot(a, b, axes=2):
    """Sum the products of a and b over `axes`; free axes of a, then of b, remain."""
    shape_a, shape_b = numpy.shape(a), numpy.shape(b)
    axes_a, axes_b = _contracted_axes(axes, len(shape_a), len(shape_b))
    if len(axes_a) != len(axes_b) or any(
        shape_a[i] != shape_b[j] for i, j in zip(axes_a, axes_b)
    ):
        raise ShapeError(
            f"tensordot: axes {axes_a} of shape {shape_a} do not match axes {axes_b} of "
            f"shape {shape_b}"
        )
    free_a = [i for i in range(len(shape_a)) if i not in axes_a]
    free_b = [j for j in range(len(shape_b)) if j not in axes_b]
    summed = math.prod(shape_a[i] for i in axes_a)
    left = reshape(transpose(a, free_a + axes_a), (-1, summed))
    right = reshape(transpose(b, axes_b + free_b), (summed, -1))
    out_shape = tuple(shape_a[i] for i in free_a) + tuple(shape_b[j] for j in free_b)
    return reshape(matmul(left, right), out_shape)


def inner(a, b):
    """The sum of products over the last axis of a and of b (a product for scalars)."""
    if numpy.ndim(a) == 0 or numpy.ndim(b) == 0:
        return ew.multiply(a, b)
    return tensordot(a, b, axes=(-1, -1))


def vdot(a, b):
    """sum(conj(a) * b) over the flattened arrays (NumPy's vdot: a is conjugated)."""
    return reduce_sum(ew.multiply(ew.conj(reshape(a, (-1,))), reshape(b, (-1,))))


def _diagonal_positions(rows, cols, offset, module):
    """Row and column indices of the `offset` diagonal of a rows x cols matrix, as arrays
    of `module` (the module of the array they index)."""
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    start_row, start_col = max(-offset, 0), max(offset, 0)
    return (module.arange(start_row, start_row + length),
            module.arange(start_col, start_col + length))


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The `offset` diagonal over axis1 and axis2, as a last axis (NumPy's layout)."""
    ndim = numpy.ndim(a)
    moved = moveaxis(a, (axis1 % ndim, axis2 % ndim), (-2, -1))
    rows, cols = numpy.shape(moved)[-2:]
    positions = _diagonal_positions(rows, cols, offset, module_of(moved))
    return getitem(moved, (Ellipsis,) + positions)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """The sum along a diagonal (see `diagonal`)."""
    if out is not None:
        raise TypeError("trace: out= is not supported on Tensors")
    if dtype is not None:
        a = ew.astype(a, dtype)
    return reduce_sum(diagonal(a, offset, axis1, axis2), axis=-1)


def diag(v, k=0):
    """A 1-D v on the k-th diagonal of a square matrix, or the k-th diagonal of a 2-D v."""
    ndim = numpy.ndim(v)
    if ndim == 2:
        return diagonal(v, k)
    if ndim != 1:
        raise ShapeError(f"diag: needs a 1-D or 2-D array, got shape {numpy.shape(v)}")
    size = numpy.shape(v)[0] + abs(k)
    positions = _diagonal_positions(size, size, k, module_of(v))
    return scatter_add(v, positions, (size, size), 0)


def make_diagonal(d, offset=0, axis1=0, axis2=1):
    """autograd's complement of diagonal: d's last axis spread on the diagonal of two new
    axes, placed at axis1 and axis2 of the result (offset 0 only)."""
    if offset != 0:
        raise TypeError(f"make_diagonal: only offset=0 is supported, got {offset}")
    n = numpy.shape(d)[-1]
    square = ew.where(module_of(d).eye(n, dtype=bool), d[..., None, :], 0)
    ndim = numpy.ndim(square)
    return moveaxis(square, (-2, -1), (axis1 % ndim, axis2 % ndim))


def _triangle(m, k, lower):
    """m with the entries outside a triangle (of its last two axes) set to 0."""
    rows, cols = numpy.shape(m)[-2:]
    mask = module_of(m).tri(rows, cols, k, dtype=bool)
    return ew.where(mask if lower else ~mask, m, 0)


def tril(m, k=0):
    """The lower triangle (entries j <= i + k) of each matrix; the rest 0."""
    return _triangle(m, k, lower=True)


def triu(m, k=0):
    """The upper triangle (entries j >= i + k) of each matrix; the rest 0."""
    return _triangle(m, k - 1, lower=False)


def kron(a, b):
    """The Kronecker product: blocks a[i, j] * b, for arrays of any number of axes."""
    shape_a, shape_b = numpy.shape(a), numpy.shape(b)
    ndim = max(len(shape_a), len(shape_b))
    shape_a = (1,) * (ndim - len(shape_a)) + tuple(shape_a)
    shape_b = (1,) * (ndim - len(shape_b)) + tuple(shape_b)
    spread_a = reshape(a, tuple(s for n in shape_a for s in (n, 1)))
    spread_b = reshape(b, tuple(s for n in shape_b for s in (1, n)))
    return reshape(ew.multiply(spread_a, spread_b), tuple(m * n for m, n in zip(shape_a, shape_b)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (a 2-vector has a zero third component; two
    2-vectors give the scalar z-component, as in NumPy)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    length_a, length_b = numpy.shape(a)[-1], numpy.shape(b)[-1]
    if length_a not in (2, 3) or length_b not in (2, 3):
        raise ShapeError(
            f"cross: vectors must have 2 or 3 components, got {length_a} and {length_b}"
        )
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if length_a == 2 and length_b == 2:
        return z
    if length_a == 3 and length_b == 3:
        a2, b2 = a[..., 2], b[..., 2]
        x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    elif length_a == 3:
        a2 = a[..., 2]
        x, y = -(a2 * b1), a2 * b0
    else:
        b2 = b[..., 2]
        x, y = a1 * b2, -(a0 * b2)
    return moveaxis(stack([x, y, z], axis=-1), -1, axisc)


for _numpy_function, _op in [
    (numpy.tensordot, tensordot),
    (numpy.inner, inner),
    (numpy.vdot, vdot),
    (numpy.diagonal, diagonal),
    (numpy.trace, trace),
    (numpy.diag, diag),
    (numpy.tril, tril),
    (numpy.triu, triu),
    (numpy.kron, kron),
    (numpy.cross, cross),
]:
    register(_numpy_function, _op)
