"""scipy.linalg, differentiable: solve_sylvester, sqrtm, expm and solve_triangular, with
VJPs written with these same functions, so they nest to any order; and inv, det, solve,
cholesky, cho_factor, cho_solve, eigh and solve_banded with SciPy's arguments, built on
chainrule's numpy.linalg and solve_triangular.

SciPy's own functions call np.asarray; solve_sylvester, sqrtm and expm compute with SciPy
on the raw arrays and record one primitive each, so they take host (NumPy) arrays only:
arrays on another device raise DeviceError instead of being copied behind the caller's
back. The others compute with the arrays' own module and run on any device. Cotangents
with leading batch axes (from `jacobian`) are solved one matrix at a time.
"""

import numpy as np
import scipy.linalg

from chainrule._backend import DeviceError, array_module, device_of
from chainrule._core.tensor import raw
from chainrule.errors import ShapeError
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops._primitive import primitive


def _per_matrix(g, core_ndim, function):
    """`function` of each core block of a cotangent that may carry leading batch axes."""
    if g.ndim == core_ndim:
        return function(g)
    flat = namespace(g).reshape(g, (-1,) + tuple(g.shape[g.ndim - core_ndim:]))
    blocks = [function(flat[i]) for i in range(flat.shape[0])]
    ns = namespace(blocks)
    return ns.reshape(ns.stack(blocks), tuple(g.shape[:g.ndim - core_ndim]) + blocks[0].shape)


def _transpose(x):
    return namespace(x).swapaxes(x, -1, -2)


def _on_host(name, *arrays):
    """Refuse arrays that live on a device: SciPy computes on the host only."""
    for array in arrays:
        device = device_of(array)
        if device != "cpu":
            raise DeviceError(
                f"chainrule.scipy.linalg.{name} runs SciPy, which computes on the host only; "
                f"got an array of shape {tuple(array.shape)} on device {device!r} (move it "
                "with .to('cpu'))"
            )


@primitive
def solve_sylvester(a, b, q):
    """X with A X + X B = Q, as scipy.linalg.solve_sylvester (host arrays only)."""
    _on_host("solve_sylvester", a, b, q)
    return scipy.linalg.solve_sylvester(a, b, q)


def _sylvester_adjoint(g, a, b):
    """Q's cotangent: the solution of A^T Y + Y B^T = G."""
    return _per_matrix(g, 2, lambda row: solve_sylvester(_transpose(a), _transpose(b), row))


solve_sylvester.defvjp(
    lambda g, ans, a, b, q: -(_sylvester_adjoint(g, a, b) @ _transpose(ans)),
    lambda g, ans, a, b, q: -(_transpose(ans) @ _sylvester_adjoint(g, a, b)),
    lambda g, ans, a, b, q: _sylvester_adjoint(g, a, b),
)


@primitive
def _sqrtm(a):
    _on_host("sqrtm", a)
    return scipy.linalg.sqrtm(a)


@_sqrtm.defvjp
def _(g, ans, a):
    # X X = A gives X dX + dX X = dA: the VJP solves X^T Y + Y X^T = G.
    return _per_matrix(g, 2, lambda row: solve_sylvester(_transpose(ans), _transpose(ans), row))


def sqrtm(A, disp=True, blocksize=64):  # noqa: N803 - SciPy's name
    """The principal square root X of A (X @ X = A), as scipy.linalg.sqrtm; complex when
    A has negative eigenvalues (host arrays only)."""
    return _sqrtm(A)


@primitive
def _solve_triangular(a, b, transposed, lower, unit_diagonal):
    """x with a x = b (a^T x = b when `transposed`), for a matrix b; NumPy's solve on the
    triangle SciPy would read (on small matrices SciPy's own call costs milliseconds)."""
    module = array_module(a, b)
    triangle = module.tril(a) if lower else module.triu(a)
    if unit_diagonal:
        module.fill_diagonal(triangle, 1)
    return module.linalg.solve(triangle.T if transposed else triangle, b)


def _solve_columns(a, g, transposed, lower, unit_diagonal):
    """The triangular solve of every column of a cotangent (n, k) with leading batch axes."""
    if g.ndim == 2:
        return _solve_triangular(a, g, transposed, lower, unit_diagonal)
    ns = namespace(g)
    columns = ns.moveaxis(g, -2, 0)
    solved = _solve_triangular(a, ns.reshape(columns, (columns.shape[0], -1)), transposed,
                               lower, unit_diagonal)
    ns = namespace(solved)
    return ns.moveaxis(ns.reshape(solved, columns.shape), 0, -2)


def _triangle(x, lower, unit_diagonal):
    """The part of a gradient that a triangular a is read from."""
    ns = namespace(x)
    if lower:
        return ns.tril(x, -1 if unit_diagonal else 0)
    return ns.triu(x, 1 if unit_diagonal else 0)


def _solve_triangular_vjp_a(g, ans, a, b, transposed, lower, unit_diagonal):
    b_grad = _solve_columns(a, g, not transposed, lower, unit_diagonal)
    outer = -(b_grad @ _transpose(ans))
    return _triangle(_transpose(outer) if transposed else outer, lower, unit_diagonal)


_solve_triangular.defvjp(
    _solve_triangular_vjp_a,
    lambda g, ans, a, b, transposed, lower, unit_diagonal: _solve_columns(
        a, g, not transposed, lower, unit_diagonal
    ),
)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """x with a x = b for triangular a (a^T x = b for trans 1 or 'T'), as
    scipy.linalg.solve_triangular; differentiable in the triangle of a that is read, and
    in b."""
    if trans not in (0, 1, "N", "T") and not (trans in (2, "C") and not np.iscomplexobj(a)):
        raise TypeError(f"chainrule.scipy.linalg.solve_triangular: trans={trans!r} is not "
                        "supported for complex a")
    if np.ndim(a) != 2 or np.ndim(b) not in (1, 2) or np.shape(b)[0] != np.shape(a)[0]:
        raise ShapeError(f"solve_triangular: a of shape {np.shape(a)} and b of shape "
                         f"{np.shape(b)} do not fit")
    vector = np.ndim(b) == 1
    x = _solve_triangular(a, b[:, None] if vector else b, trans not in (0, "N"), lower,
                          unit_diagonal)
    return x[:, 0] if vector else x


@primitive
def _expm(a):
    _on_host("expm", a)
    return scipy.linalg.expm(a)


def _frechet(a, direction):
    """The derivative of expm at a in `direction`: the top-right block of
    expm([[a, direction], [0, a]]) (Najfeld and Havel)."""
    ns = namespace(a, direction)
    n = a.shape[-1]
    zeros = ns.zeros(a.shape, dtype=ns.result_type(raw(a), raw(direction)))
    block = ns.concatenate([ns.concatenate([a, direction], axis=1),
                            ns.concatenate([zeros, a], axis=1)], axis=0)
    return _expm(block)[:n, n:]


@_expm.defvjp
def _(g, ans, a):
    return _per_matrix(g, 2, lambda row: _frechet(_transpose(a), row))


def expm(A):  # noqa: N803 - SciPy's name
    """The matrix exponential, as scipy.linalg.expm, for one square matrix (host arrays
    only)."""
    if np.ndim(A) != 2 or np.shape(A)[0] != np.shape(A)[1]:
        raise ShapeError(f"expm: A must be one square matrix; got shape {np.shape(A)}")
    return _expm(A)


def _from_triangle(a, lower):
    """The symmetric matrix that a's lower (or upper) triangle describes, as LAPACK reads
    it."""
    ns = namespace(a)
    if lower:
        return ns.tril(a) + _transpose(ns.tril(a, -1))
    return ns.triu(a) + _transpose(ns.triu(a, 1))


def inv(a, overwrite_a=False, check_finite=True):
    """scipy.linalg.inv, differentiable."""
    return namespace(a).linalg.inv(a)


def det(a, overwrite_a=False, check_finite=True):
    """scipy.linalg.det, differentiable."""
    return namespace(a).linalg.det(a)


_SYMMETRIC = ("sym", "symmetric", "her", "hermitian", "pos", "positive definite")


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """scipy.linalg.solve, differentiable: general a, or symmetric / positive definite a
    read from its `lower` (else upper) triangle."""
    if assume_a in _SYMMETRIC:
        a = _from_triangle(a, lower)
    elif assume_a not in (None, "gen", "general"):
        raise TypeError(f"chainrule.scipy.linalg.solve: assume_a={assume_a!r} is not "
                        "supported (use None, 'gen', 'sym' or 'pos')")
    return namespace(a, b).linalg.solve(_transpose(a) if transposed else a, b)


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """scipy.linalg.cholesky: the upper factor U (a = U^T U) from a's upper triangle, or
    the lower one from the lower triangle; differentiable in that triangle."""
    ns = namespace(a)
    factor = ns.linalg.cholesky(_from_triangle(a, lower))
    return factor if lower else ns.conj(_transpose(factor))


def eigh(a, b=None, *, lower=True, eigvals_only=False, **options):
    """scipy.linalg.eigh for one symmetric matrix read from its `lower` (else upper)
    triangle: eigenvalues, and eigenvectors unless `eigvals_only`."""
    if b is not None or any(value not in (None, False, 1) for value in options.values()):
        raise TypeError("chainrule.scipy.linalg.eigh supports neither b nor subsets of the "
                        "spectrum")
    uplo = "L" if lower else "U"
    linalg = namespace(a).linalg
    return linalg.eigvalsh(a, UPLO=uplo) if eigvals_only else linalg.eigh(a, UPLO=uplo)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """scipy.linalg.cho_factor: (c, lower), c holding the Cholesky factor in its `lower`
    (else upper) triangle and, as LAPACK leaves it, a's entries in the other."""
    ns = namespace(a)
    rest = ns.triu(a, 1) if lower else ns.tril(a, -1)
    return cholesky(a, lower=lower) + rest, lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """scipy.linalg.cho_solve: x with A x = b, for A's factor from cho_factor."""
    c, lower = c_and_lower
    if lower:
        return solve_triangular(c, solve_triangular(c, b, lower=True), trans="T", lower=True)
    return solve_triangular(c, solve_triangular(c, b, trans="T"), lower=False)


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """scipy.linalg.solve_banded: x with A x = b for A given by its diagonals,
    ab[u + i - j, j] = A[i, j]; differentiable in ab (its entries inside the band) and b,
    to any order, through a dense solve (fine for the small systems it is meant for)."""
    lower, upper = (int(n) for n in l_and_u)
    if np.ndim(ab) != 2 or np.shape(ab)[0] != lower + upper + 1:
        raise ShapeError(f"solve_banded: ab of shape {np.shape(ab)} does not hold "
                         f"{lower} + {upper} + 1 diagonals")
    n = np.shape(ab)[1]
    module = module_of(ab)
    rows, columns = module.indices((n, n))
    diagonal = upper + rows - columns
    inside = (diagonal >= 0) & (diagonal <= lower + upper)
    band = ab[module.clip(diagonal, 0, lower + upper), columns]
    dense = namespace(band).where(inside, band, 0.0)
    return namespace(dense, b).linalg.solve(dense, b)
