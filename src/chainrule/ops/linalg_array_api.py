"""numpy.linalg's array-API names (NumPy 2) as the chainrule functions they equal:
matrix_norm, vector_norm, matrix_transpose, trace, diagonal, outer, cross, tensordot,
matmul, vecdot; cond from singular values and norms (matrix_rank has no derivative);
lstsq, whose solution is pinv(a) b; tensorinv and tensorsolve as inv and solve of reshapes."""

import math

import numpy

from chainrule._backend import array_module
from chainrule._core.tensor import raw
from chainrule.errors import LinAlgError
from chainrule.ops import contractions, reductions
from chainrule.ops import elementwise as ew
from chainrule.ops._axes import negative_axes
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops._primitive import primitive
from chainrule.ops.decompositions import svd
from chainrule.ops.linalg import matmul, outer
from chainrule.ops.linalg_solve import (
    inv,
    matrix_transpose,
    pinv_vjp,
    reports_linalg_errors,
    solve,
)
from chainrule.ops.norms import norm
from chainrule.ops.numpy_dispatch import register
from chainrule.ops.shape import moveaxis, reshape


def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002 - NumPy's name
    """The matrix norm of each matrix in a stack (the last two axes)."""
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002
    """The vector norm over `axis` (all axes, or several, taken as one vector)."""
    shape = tuple(numpy.shape(x))
    axes = negative_axes(axis, len(shape))
    if len(axes) == 1:
        return norm(x, ord=ord, axis=axes[0], keepdims=keepdims)
    kept = tuple(n for i, n in enumerate(shape) if i - len(shape) not in axes)
    flat = reshape(moveaxis(x, axes, tuple(range(-len(axes), 0))), kept + (-1,))
    result = norm(flat, ord=ord, axis=-1)
    if keepdims:
        result = reshape(result, tuple(1 if i - len(shape) in axes else n
                                       for i, n in enumerate(shape)))
    return result


def trace(x, /, *, offset=0, dtype=None):
    """The trace of each matrix in a stack."""
    return contractions.trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)


def diagonal(x, /, *, offset=0):
    """The `offset` diagonal of each matrix in a stack."""
    return contractions.diagonal(x, offset=offset, axis1=-2, axis2=-1)


def cross(x1, x2, /, *, axis=-1):
    """The cross product of 3-vectors along `axis`."""
    return contractions.cross(x1, x2, axis=axis)


def tensordot(x1, x2, /, *, axes=2):
    """numpy.tensordot with keyword-only axes."""
    return contractions.tensordot(x1, x2, axes=axes)


def vecdot(x1, x2, /, *, axis=-1, keepdims=False, **ufunc_options):
    """sum(conj(x1) * x2) along `axis`: the dot product of vectors in a stack."""
    if ufunc_options.get("axes") is not None:
        raise TypeError("vecdot: chainrule supports axis=, not axes=")
    if numpy.iscomplexobj(raw(x1)):
        x1 = ew.conj(x1)
    return reductions.sum(ew.multiply(x1, x2), axis=axis, keepdims=keepdims)


def cond(x, p=None):
    """The condition number: s_max / s_min for p None or 2 (-2: the inverse), else
    norm(x, p) norm(inv(x), p)."""
    if p in (None, 2, -2):
        singular = svd(x, compute_uv=False)
        largest, smallest = reductions.max(singular, axis=-1), reductions.min(singular, axis=-1)
        return largest / smallest if p != -2 else smallest / largest
    return norm(x, ord=p, axis=(-2, -1)) * norm(inv(x), ord=p, axis=(-2, -1))


def tensorinv(a, ind=2):
    """The inverse of a as a map from its first `ind` axes to the rest (an inv of a
    reshape): tensordot(tensorinv(a), a, ind) is the identity."""
    shape = tuple(numpy.shape(a))
    rows = math.prod(shape[:ind])
    return reshape(inv(reshape(a, (rows, -1))), shape[ind:] + shape[:ind])


def tensorsolve(a, b, axes=None):
    """x with tensordot(a, x, x.ndim) = b (a solve of reshapes); `axes` of a move last."""
    if axes is not None:
        a = moveaxis(a, tuple(axes), tuple(range(-len(axes), 0)))
    shape = tuple(numpy.shape(a))
    solution_shape = shape[numpy.ndim(b):]
    size = math.prod(solution_shape)
    if math.prod(shape) != size * size:
        raise LinAlgError(
            f"tensorsolve: a of shape {shape} must map as many values as b's shape "
            f"{tuple(numpy.shape(b))} holds onto as many unknowns"
        )
    return reshape(solve(reshape(a, (size, size)), reshape(b, (-1,))), solution_shape)


@primitive
@reports_linalg_errors
def _least_squares(a, b, rcond=None):
    return array_module(a, b).linalg.lstsq(a, b, rcond=rcond)[0]


def _least_squares_vjp_a(g, ans, a, b, rcond=None):
    # x = pinv(a) b, so pinv(a) receives the cotangent g b^T.
    if numpy.ndim(b) == 1:
        g_pinv = g[..., :, None] * b[None, :]
    else:
        g_pinv = g @ matrix_transpose(b)
    return pinv_vjp(g_pinv, namespace(a).linalg.pinv(a), a)


def _least_squares_vjp_b(g, ans, a, b, rcond=None):
    pinv_t = matrix_transpose(namespace(a).linalg.pinv(a))
    return (pinv_t @ g[..., None])[..., 0] if numpy.ndim(b) == 1 else pinv_t @ g


_least_squares.defvjp(_least_squares_vjp_a, _least_squares_vjp_b)


def lstsq(a, b, rcond=None):
    """(x, residuals, rank, s): the least-squares solution x = pinv(a) b (differentiable in
    a and b where the rank is constant), the squared residual norms when a has full column
    rank and more rows than columns, the rank, and a's singular values."""
    x = _least_squares(a, b, rcond=rcond)
    _, residuals, rank, _ = module_of(a, b).linalg.lstsq(raw(a), raw(b), rcond=rcond)
    if residuals.size:
        error = ew.subtract(b, matmul(a, x))
        residuals = reductions.sum(ew.real(ew.multiply(ew.conj(error), error)), axis=0)
        residuals = reshape(residuals, (1,)) if numpy.ndim(b) == 1 else residuals
    return x, residuals, rank, svd(a, compute_uv=False)


for _numpy_function, _op in [
    (numpy.linalg.matrix_norm, matrix_norm),
    (numpy.linalg.vector_norm, vector_norm),
    (numpy.linalg.matrix_transpose, matrix_transpose),
    (numpy.matrix_transpose, matrix_transpose),
    (numpy.linalg.trace, trace),
    (numpy.linalg.diagonal, diagonal),
    (numpy.linalg.outer, outer),
    (numpy.linalg.cross, cross),
    (numpy.linalg.tensordot, tensordot),
    (numpy.linalg.matmul, matmul),
    (numpy.linalg.vecdot, vecdot),
    (numpy.vecdot, vecdot),
    (numpy.linalg.cond, cond),
    (numpy.linalg.lstsq, lstsq),
    (numpy.linalg.tensorinv, tensorinv),
    (numpy.linalg.tensorsolve, tensorsolve),
]:
    register(_numpy_function, _op)
register(numpy.linalg.matrix_rank)
