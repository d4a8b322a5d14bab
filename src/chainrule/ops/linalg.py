"""Products: matmul (NumPy's shape rules), and dot/outer built on it and einsum."""

import string

import numpy

from chainrule._backend import array_module
from chainrule.ops._namespace import namespace
from chainrule.ops._primitive import primitive
from chainrule.ops.einsum import einsum
from chainrule.ops.elementwise import multiply
from chainrule.ops.numpy_dispatch import register


@primitive(numpy=numpy.matmul)
def matmul(x, y):
    """x @ y: 1-D, 2-D and batched operands, with NumPy's shape rules."""
    return array_module(x, y).matmul(x, y)


def _as_matrices(ns, g, x, y):
    """Treat 1-D operands as a row (x) or a column (y) so one formula serves all cases."""
    x, y = (ns.asarray(v) if isinstance(v, (list, tuple)) else v for v in (x, y))
    if y.ndim == 1:
        y = ns.expand_dims(y, -1)
        g = ns.expand_dims(g, -1)
    if x.ndim == 1:
        x = ns.expand_dims(x, 0)
        g = ns.expand_dims(g, -2)
    return g, x, y


def _swap_last(ns, a):
    """`a` with its last two axes swapped (`swapaxes`, or the Array API's matrix_transpose)."""
    swap = getattr(ns, "swapaxes", None)
    return swap(a, -1, -2) if swap is not None else ns.matrix_transpose(a)


def _matmul_vjp_x(g, ans, x, y):
    ns = namespace(g, x, y)
    x_ndim = x.ndim
    g, x, y = _as_matrices(ns, g, x, y)
    gx = ns.matmul(g, _swap_last(ns, y))
    return gx[..., 0, :] if x_ndim == 1 else gx


def _matmul_vjp_y(g, ans, x, y):
    ns = namespace(g, x, y)
    y_ndim = y.ndim
    g, x, y = _as_matrices(ns, g, x, y)
    gy = ns.matmul(_swap_last(ns, x), g)
    return gy[..., :, 0] if y_ndim == 1 else gy


matmul.defvjp(_matmul_vjp_x, _matmul_vjp_y)
register(numpy.einsum, einsum)


def dot(x, y):
    """NumPy's dot: products of scalars, vectors and matrices, and its N-D rule."""
    if numpy.ndim(x) == 0 or numpy.ndim(y) == 0:
        return multiply(x, y)
    if numpy.ndim(y) <= 2:
        return matmul(x, y)
    return _dot_nd(x, y)


def _dot_nd(x, y):
    letters = string.ascii_letters
    xs = letters[: x.ndim - 1]
    ys = letters[x.ndim - 1 : x.ndim - 1 + y.ndim - 2]
    last = letters[x.ndim - 1 + y.ndim - 2]
    k = "Z"
    return einsum(f"{xs}{k},{ys}{k}{last}->{xs}{ys}{last}", x, y)


def outer(x, y):
    """The outer product of the flattened x and y: (n,) x (m,) -> (n, m)."""
    ns = namespace(x, y)
    return ns.reshape(x, (-1, 1)) * ns.reshape(y, (1, -1))


register(numpy.dot, dot)
register(numpy.outer, outer)
