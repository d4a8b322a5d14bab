"""numpy.linalg's inverses: inv, det, slogdet, solve, pinv, matrix_power, multi_dot.

Every function stacks over leading batch axes as NumPy's does. The rules follow Giles,
"An extended collection of matrix derivative results" (2008); they hold where the matrix
is invertible (pinv: where its rank does not change).
"""

import functools

import numpy

from chainrule._backend import array_module
from chainrule._core.tensor import raw
from chainrule.errors import LinAlgError, ShapeError, reason
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops._packing import named_result
from chainrule.ops._primitive import primitive
from chainrule.ops.linalg import matmul
from chainrule.ops.numpy_dispatch import register

SlogdetResult = named_result("SlogdetResult", ["sign", "logabsdet"])


def reports_linalg_errors(forward):
    """`forward` with NumPy's LinAlgError raised as chainrule's, naming the op and shape."""
    name = forward.__name__.lstrip("_")

    @functools.wraps(forward)
    def checked(a, *args, **kwargs):
        try:
            return forward(a, *args, **kwargs)
        except numpy.linalg.LinAlgError as error:
            raise LinAlgError(
                f"{name}: {reason(error)} (a matrix of shape {numpy.shape(a)})"
            ) from None

    return checked


def matrix_transpose(x):
    """Swap the last two axes: the transpose of every matrix in a stack."""
    return namespace(x).swapaxes(x, -1, -2)


def _as_matrix_cotangent(g):
    """A cotangent with two trailing axes more, so that it broadcasts as matrices."""
    return g[..., None, None]


@primitive(numpy=numpy.linalg.inv)
@reports_linalg_errors
def inv(a):
    """The inverse of each square matrix in a stack: (..., n, n) -> (..., n, n)."""
    return array_module(a).linalg.inv(a)


@inv.defvjp
def _(g, ans, a):
    ans_t = matrix_transpose(ans)
    return -(ans_t @ g @ ans_t)


@primitive(numpy=numpy.linalg.det)
def det(a):
    """The determinant of each square matrix in a stack: (..., n, n) -> (...)."""
    return array_module(a).linalg.det(a)


@det.defvjp
def _(g, ans, a):
    return _as_matrix_cotangent(g * ans) * matrix_transpose(namespace(a).linalg.inv(a))


@primitive
def _logabsdet(a):
    return array_module(a).linalg.slogdet(a)[1]


@_logabsdet.defvjp
def _(g, ans, a):
    return _as_matrix_cotangent(g) * matrix_transpose(namespace(a).linalg.inv(a))


def slogdet(a):
    """(sign, log|det|) of each matrix in a stack; the sign carries no gradient."""
    sign = module_of(a).linalg.slogdet(raw(a))[0]
    return SlogdetResult(sign, _logabsdet(a))


@primitive(numpy=numpy.linalg.solve)
@reports_linalg_errors
def solve(a, b):
    """x with a @ x = b. As in NumPy 2, b is one vector only when b.ndim == 1; otherwise
    b is a stack of (n, k) matrices: (..., n, n), (n,) or (..., n, k) -> x."""
    return array_module(a, b).linalg.solve(a, b)


def _solve_transposed(g, a):
    """a^-T g for a matrix-shaped cotangent (batch axes ride in front)."""
    return namespace(g, a).linalg.solve(matrix_transpose(a), g)


def _solve_vjp_a(g, ans, a, b):
    if numpy.ndim(b) == 1:
        return -(_solve_transposed(g[..., None], a) @ ans[..., None, :])
    return -(_solve_transposed(g, a) @ matrix_transpose(ans))


def _solve_vjp_b(g, ans, a, b):
    if numpy.ndim(b) == 1:
        return _solve_transposed(g[..., None], a)[..., 0]
    return _solve_transposed(g, a)


solve.defvjp(_solve_vjp_a, _solve_vjp_b)


@primitive(numpy=numpy.linalg.pinv)
@reports_linalg_errors
def pinv(a, rcond=None, hermitian=False, rtol=None):
    """The Moore-Penrose pseudo-inverse; differentiable where the rank stays constant."""
    # Only the options given are passed on: CuPy's pinv has rcond alone.
    options = {"hermitian": True} if hermitian else {}
    if rtol is not None:
        options["rtol"] = rtol
    elif rcond is not None:
        options["rcond"] = rcond
    return array_module(a).linalg.pinv(a, **options)


@pinv.defvjp
def pinv_vjp(g, ans, a, rcond=None, hermitian=False, rtol=None):
    # d a+ = -a+ da a+ + a+ a+^H da^H (I - a a+) + (I - a+ a) da^H a+^H a+ (Golub and
    # Pereyra); the da^H terms pair with the conjugated cotangent.
    ns = namespace(g, ans, a)
    m, n = a.shape[-2:]
    ans_t, g_t = matrix_transpose(ans), matrix_transpose(g)
    ans_h = _conj(ans_t)
    projector_out = ns.eye(m, dtype=ans.dtype) - a @ ans
    projector_in = ns.eye(n, dtype=ans.dtype) - ans @ a
    grad = -(ans_t @ g @ ans_t)
    grad = grad + _conj(projector_out @ g_t @ (ans @ ans_h))
    return grad + _conj((ans_h @ ans) @ g_t @ projector_in)


def _conj(x):
    return namespace(x).conj(x) if numpy.iscomplexobj(raw(x)) else x


def matrix_power(a, n):
    """a @ a @ ... (n times) by repeated squaring; n < 0 uses inv(a); n == 0 the identity."""
    if int(n) != n:
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}")
    n = int(n)
    shape = numpy.shape(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ShapeError(f"matrix_power: needs square matrices, got shape {tuple(shape)}")
    if n == 0:
        module = module_of(a)
        eye = module.eye(shape[-1], dtype=numpy.result_type(getattr(a, "dtype", float)))
        return module.broadcast_to(eye, shape).copy()
    if n < 0:
        a, n = inv(a), -n
    if n <= 3:
        result = a
        for _ in range(n - 1):
            result = matmul(result, a)
        return result
    # NumPy's order of products, so values match it bit for bit.
    power = result = None
    while n:
        power = a if power is None else matmul(power, power)
        n, bit = divmod(n, 2)
        if bit:
            result = power if result is None else matmul(result, power)
    return result


def multi_dot(arrays, *, out=None):
    """The product of a chain of matrices; a 1-D first (last) array is a row (column)."""
    if out is not None:
        raise TypeError("multi_dot: out= is not supported on Tensors")
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ShapeError(f"multi_dot: needs at least two arrays, got {len(arrays)}")
    if len(arrays) == 3:
        return _multi_dot_three(*arrays)
    result = arrays[0]
    for array in arrays[1:]:
        result = matmul(result, array)
    return result


def _multi_dot_three(a, b, c):
    """(a b) c or a (b c), whichever costs fewer multiplications (NumPy's choice)."""
    rows = numpy.shape(a)[0] if numpy.ndim(a) == 2 else 1
    inner_ab, inner_bc = numpy.shape(b)[0], numpy.shape(b)[-1]
    cols = numpy.shape(c)[-1] if numpy.ndim(c) == 2 else 1
    cost_left = rows * inner_ab * inner_bc + rows * inner_bc * cols
    cost_right = inner_ab * inner_bc * cols + rows * inner_ab * cols
    if cost_left < cost_right:
        return matmul(matmul(a, b), c)
    return matmul(a, matmul(b, c))


for _numpy_function, _op in [
    (numpy.linalg.slogdet, slogdet),
    (numpy.linalg.matrix_power, matrix_power),
    (numpy.linalg.multi_dot, multi_dot),
]:
    register(_numpy_function, _op)
