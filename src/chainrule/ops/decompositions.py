"""numpy.linalg's factorisations: cholesky, eigh, eig, svd, qr (real matrices, stacked).

The factors of one call leave as one packed primitive (see `_packing`), so each factor is
a differentiable slice and a VJP sees all their cotangents at once. Rules: Murray (2016)
for cholesky, Giles (2008) for eigh and eig, Townsend (2016) for svd, Walter and Lehmann
(2018) for qr. Eigenvector and singular-vector gradients need distinct eigenvalues
(singular values); the derivative of a repeated pair is infinite unless its cotangent is 0.
"""

import numpy

from chainrule import _backend
from chainrule._backend import array_module
from chainrule._core.tensor import Tensor, raw
from chainrule.errors import GradientError
from chainrule.ops._namespace import module_of, namespace
from chainrule.ops._packing import named_result, pack, unpack
from chainrule.ops._primitive import primitive
from chainrule.ops.linalg_solve import matrix_transpose, reports_linalg_errors
from chainrule.ops.numpy_dispatch import register
from chainrule.ops.shape import concatenate

EighResult = named_result("EighResult", ["eigenvalues", "eigenvectors"])
EigResult = named_result("EigResult", ["eigenvalues", "eigenvectors"])
SVDResult = named_result("SVDResult", ["U", "S", "Vh"])
QRResult = named_result("QRResult", ["Q", "R"])


def _is_complex(x):
    return numpy.iscomplexobj(raw(x))


def _conj(x):
    return namespace(x).conj(x) if _is_complex(x) else x


def _real_part(x):
    return namespace(x).real(x) if _is_complex(x) else x


def _refuse_phase_dependence(name, phase_derivative, scale):
    """Complex singular and eigen vectors are fixed only up to a phase e^(i phi) each; a
    function that depends on that phase has no derivative (PyTorch raises the same way).
    `phase_derivative` is d f / d phi per vector; checked on plain cotangents."""
    if isinstance(phase_derivative, Tensor):
        return
    bound = 1e-6 * max(1.0, float(abs(scale).max()) if scale.size else 0.0)
    if bool((abs(phase_derivative) > bound).any()):
        raise GradientError(
            f"{name}: the function depends on the phase of complex {name} vectors, which "
            "NumPy fixes arbitrarily; only functions of them that do not change when a vector "
            "is multiplied by e^(i phi) have a derivative (for example abs(v) or v v^H)"
        )


def _strict_triangle(n, upper, module):
    """True strictly below (above, for `upper`) the diagonal of an n x n matrix."""
    if upper:
        return ~module.tri(n, n, 0, dtype=bool)
    return module.tri(n, n, -1, dtype=bool)


def _from_triangle(grad, upper):
    """The gradient for the one triangle a symmetric (Hermitian) routine reads: the matrix
    it uses is M = tril(a) + tril(a, -1)^H with a real diagonal, so an off-diagonal entry
    of a feeds M_ij and, conjugated, M_ji."""
    n = grad.shape[-1]
    module = module_of(grad)
    both = grad + _conj(matrix_transpose(grad))
    return both * _strict_triangle(n, upper, module) + _real_part(grad) * module.eye(n, dtype=bool)


def _reciprocal_gaps(values, squared=False):
    """F_ij = 1 / (v_j - v_i) off the diagonal, 0 on it (v_j^2 - v_i^2 with `squared`)."""
    n = values.shape[-1]
    if squared:
        values = values * values
    eye = module_of(values).eye(n, dtype=values.dtype)
    with _backend.errstate(values, divide="ignore"):
        return (1 - eye) / (values[..., None, :] - values[..., :, None] + eye)


def _times_gaps(x, gaps):
    """x * gaps, exactly 0 where x is 0 even if a repeated value made the gap infinite."""
    finite = (raw(x) != 0) | module_of(gaps).isfinite(raw(gaps))
    return x * namespace(gaps).where(finite, gaps, 0)


@primitive
def _no_derivative(g, shape, name):
    """zeros(shape) for a zero cotangent of factor columns that only span a null space;
    those columns are not unique, so a nonzero cotangent, or any derivative of this
    zero, raises instead of giving a wrong number."""
    if g.any():
        _refuse_null_space(name)
    return array_module(g).zeros(shape, dtype=g.dtype)


def _refuse_null_space(name):
    raise GradientError(
        f"{name}: the extra columns of a complete factorisation of a non-square matrix are "
        "not unique and have no derivative; use the reduced form (svd(full_matrices=False), "
        "qr(mode='reduced'))"
    )


_no_derivative.defvjp(lambda g, ans, cotangent, shape, name: _refuse_null_space(name))


def _null_space_vjp(name):
    def vjp(g, ans, a, *args, **kwargs):
        return _no_derivative(g, g.shape[: g.ndim - ans.ndim] + a.shape, name)

    return vjp


@primitive
@reports_linalg_errors
def _cholesky(a, upper=False):
    linalg = array_module(a).linalg
    if not upper:
        return linalg.cholesky(a)
    if linalg is numpy.linalg:
        return linalg.cholesky(a, upper=True)
    # CuPy's cholesky has no `upper`: U = L^H for the L of a^H, whose lower triangle is
    # the upper one of a.
    return _conj(matrix_transpose(linalg.cholesky(_conj(matrix_transpose(a)))))


@_cholesky.defvjp
def _(g, ans, a, upper=False):
    # dL = L phi(L^-1 da L^-H), phi: the lower triangle with its (real) diagonal halved; so
    # the rule is L^-T phi(L^T g) conj(L)^-1, given to the triangle NumPy reads.
    if upper:
        lower, g_lower = _conj(matrix_transpose(ans)), _conj(matrix_transpose(g))
    else:
        lower, g_lower = ans, g
    ns = namespace(g, ans)
    n = a.shape[-1]
    real_dtype = raw(lower).real.dtype
    halved_lower = ns.tri(n, dtype=real_dtype) - 0.5 * ns.eye(n, dtype=real_dtype)
    phi = (matrix_transpose(lower) @ g_lower) * halved_lower
    lower_t = matrix_transpose(lower)
    right = matrix_transpose(ns.linalg.solve(_conj(lower_t), matrix_transpose(phi)))
    return _from_triangle(ns.linalg.solve(lower_t, right), upper)


def cholesky(a, upper=False):
    """L with a = L L^H from a's lower triangle (upper=True: U = L^H, from the upper)."""
    return _cholesky(a, upper=upper)


@primitive
@reports_linalg_errors
def _eigh(a, UPLO="L"):  # noqa: N803 - NumPy's name
    return pack(array_module(a).linalg.eigh(a, UPLO=UPLO), (1, 2))


@_eigh.defvjp
def _(g, ans, a, UPLO="L"):  # noqa: N803
    ns = namespace(g, ans)
    n = a.shape[-1]
    w, v = unpack(ans, [(n,), (n, n)])
    gw, gv = unpack(g, [(n,), (n, n)])
    w, gw = _real_part(w), _real_part(gw)
    v_t = matrix_transpose(v)
    if _is_complex(v):
        _refuse_phase_dependence("eigh", ns.imag(ns.sum(v * gv, axis=-2)), gv)
    inner = ns.eye(n, dtype=w.dtype) * gw[..., None, :]
    inner = inner + _times_gaps(v_t @ gv, _reciprocal_gaps(w))
    return _from_triangle(_conj(v) @ inner @ v_t, UPLO.upper() == "U")


def eigh(a, UPLO="L"):  # noqa: N803
    """Eigenvalues (ascending) and eigenvectors of a symmetric (Hermitian) matrix, read
    from the triangle UPLO names; its gradient goes to that triangle only, as NumPy reads it."""
    n = numpy.shape(a)[-1]
    w, v = unpack(_eigh(a, UPLO=UPLO), [(n,), (n, n)])
    return EighResult(_real_part(w), v)


def eigvalsh(a, UPLO="L"):  # noqa: N803
    """The eigenvalues of a symmetric matrix (see eigh)."""
    return eigh(a, UPLO)[0]


@primitive
@reports_linalg_errors
def _eig(a):
    return pack(array_module(a).linalg.eig(a), (1, 2))


@_eig.defvjp
def _(g, ans, a):
    ns = namespace(g, ans, a)
    n = a.shape[-1]
    w, v = unpack(ans, [(n,), (n, n)])
    gw, gv = unpack(g, [(n,), (n, n)])
    eye = ns.eye(n, dtype=w.dtype)
    v_t = matrix_transpose(v)
    if _is_complex(v):
        _refuse_phase_dependence("eig", ns.imag(ns.sum(v * gv, axis=-2)), gv)
    gaps = _reciprocal_gaps(w)
    projected = v_t @ gv
    inner = eye * gw[..., None, :] + _times_gaps(projected, gaps)
    # Unit-norm eigenvectors: the part of dv along v itself is fixed by |v| = 1.
    inner = inner - _times_gaps((v_t @ _conj(v)) @ (_real_part(projected) * eye), gaps)
    return ns.linalg.solve(v_t, inner @ v_t)


def eig(a):
    """Eigenvalues and unit eigenvectors of a square matrix (complex where NumPy's are)."""
    n = numpy.shape(a)[-1]
    return EigResult(*unpack(_eig(a), [(n,), (n, n)]))


def eigvals(a):
    """The eigenvalues of a real matrix with real eigenvalues (see eig)."""
    return eig(a)[0]


def _svd_shapes(m, n):
    k = min(m, n)
    return [(m, k), (k,), (k, n)]


def _module_svd(a, hermitian, **options):
    """The svd of a's own module; `hermitian` is passed only when set (CuPy has none)."""
    if hermitian:
        options["hermitian"] = True
    return array_module(a).linalg.svd(a, **options)


@primitive
@reports_linalg_errors
def _svd(a, full_matrices=True, hermitian=False):
    """The thin factors, sliced from the call NumPy makes (so values match its full one)."""
    u, s, vh = _module_svd(a, full_matrices=full_matrices, hermitian=hermitian)
    k = s.shape[-1]
    return pack([u[..., :, :k], s, vh[..., :k, :]], (2, 1, 2))


@_svd.defvjp
def _(g, ans, a, full_matrices=True, hermitian=False):
    shapes = _svd_shapes(*a.shape[-2:])
    return _thin_svd_vjp(*unpack(g, shapes), *unpack(ans, shapes))


@primitive
@reports_linalg_errors
def _svd_completion(a, hermitian=False):
    """The columns of U and rows of Vh past min(m, n) in a full SVD (a null space basis)."""
    u, s, vh = _module_svd(a, full_matrices=True, hermitian=hermitian)
    k = s.shape[-1]
    return pack([u[..., :, k:], vh[..., k:, :]], (2, 2))


_svd_completion.defvjp(_null_space_vjp("svd"))


def _thin_svd_vjp(gu, gs, gvh, u, s, vh):
    """Townsend's rule for a = u diag(s) vh with u (m, k), vh (k, n), k = min(m, n); for
    complex a with autograd's extra term for the phase of each singular pair."""
    m, n = u.shape[-2], vh.shape[-1]
    k = s.shape[-1]
    # s is real; packed beside complex factors it is stored complex, so keep its real part
    # (and its cotangent's): the rule must not see s as a complex variable.
    ns = namespace(gu, gs, gvh, u, s, vh)
    s, gs = _real_part(s), _real_part(gs)
    eye = ns.eye(k, dtype=s.dtype)
    v, gv = _conj(matrix_transpose(vh)), _conj(matrix_transpose(gvh))
    gaps = _reciprocal_gaps(s, squared=True)
    u_gu = matrix_transpose(u) @ gu
    v_gv = matrix_transpose(v) @ gv
    inner = _times_gaps(u_gu - _conj(matrix_transpose(u_gu)), gaps) * s[..., None, :]
    inner = inner + eye * gs[..., :, None]
    inner = inner + s[..., :, None] * _times_gaps(v_gv - _conj(matrix_transpose(v_gv)), gaps)
    if _is_complex(u):
        phase = ns.imag(ns.sum(u * gu, axis=-2)) + ns.imag(ns.sum(v * gv, axis=-2))
        _refuse_phase_dependence("svd", phase, gu)
        inner = inner + 1j * ns.imag(eye * u_gu) / s[..., None, :]
    grad = _conj(u) @ inner @ matrix_transpose(v)
    if m < n:
        rest = ns.eye(n, dtype=v.dtype) - v @ _conj(matrix_transpose(v))
        grad = grad + _conj((u / s[..., None, :]) @ matrix_transpose(gv) @ rest)
    elif m > n:
        rest = ns.eye(m, dtype=u.dtype) - u @ _conj(matrix_transpose(u))
        grad = grad + matrix_transpose((v / s[..., None, :]) @ matrix_transpose(gu) @ rest)
    return grad


@primitive
@reports_linalg_errors
def _singular_values(a, hermitian=False):
    return _module_svd(a, compute_uv=False, hermitian=hermitian)


@_singular_values.defvjp
def _(g, ans, a, hermitian=False):
    u, _, vh = namespace(a).linalg.svd(a, full_matrices=False)
    return _conj((u * g[..., None, :]) @ vh)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """a = U diag(S) Vh for a stack of matrices; compute_uv=False gives S alone."""
    if not compute_uv:
        return _singular_values(a, hermitian=hermitian)
    m, n = numpy.shape(a)[-2:]
    u, s, vh = unpack(_svd(a, full_matrices=full_matrices, hermitian=hermitian), _svd_shapes(m, n))
    if full_matrices and m != n:
        k = min(m, n)
        u_rest, vh_rest = unpack(_svd_completion(a, hermitian=hermitian), [(m, m - k), (n - k, n)])
        u, vh = concatenate([u, u_rest], axis=-1), concatenate([vh, vh_rest], axis=-2)
    return SVDResult(u, _real_part(s), vh)


def svdvals(x):
    """The singular values, descending (svd with compute_uv=False)."""
    return svd(x, compute_uv=False)


def _qr_shapes(m, n):
    k = min(m, n)
    return [(m, k), (k, n)]


@primitive
@reports_linalg_errors
def _qr(a, complete=False):
    """The reduced factors, sliced from the call NumPy makes (so values match its own)."""
    q, r = array_module(a).linalg.qr(a, mode="complete" if complete else "reduced")
    k = min(a.shape[-2:])
    return pack([q[..., :, :k], r[..., :k, :]], (2, 2))


@_qr.defvjp
def _(g, ans, a, complete=False):
    m, n = a.shape[-2:]
    q, r = unpack(ans, _qr_shapes(m, n))
    gq, gr = unpack(g, _qr_shapes(m, n))
    if m >= n:
        return _square_qr_vjp(gq, gr, q, r)
    # A wide a = q [r_left | r_right] is a square QR of its first m columns plus q r_right.
    a_right = a[..., :, m:]
    r_left, gr_left, gr_right = r[..., :, :m], gr[..., :, :m], gr[..., :, m:]
    g_from_right = _conj(a_right @ matrix_transpose(gr_right))
    g_left = _square_qr_vjp(gq + g_from_right, gr_left, q, r_left)
    return namespace(g_left, q).concatenate([g_left, _conj(q) @ gr_right], axis=-1)


@primitive
@reports_linalg_errors
def _qr_completion(a):
    """The columns of a complete Q past n for a tall (m, n) matrix (a null space basis)."""
    return array_module(a).linalg.qr(a, mode="complete")[0][..., :, a.shape[-1] :]


_qr_completion.defvjp(_null_space_vjp("qr"))


def _square_qr_vjp(gq, gr, q, r):
    """gA = (gq + conj(q) N) r^-T for tall or square a, where N is M = gr r^T - q^T gq
    with its strict upper triangle mirrored (conjugated) below and a real diagonal: the
    diagonal of r is real, so Q is unique and no phase is left free."""
    ns = namespace(gq, gr, q, r)
    n = r.shape[-1]
    m_matrix = gr @ matrix_transpose(r) - matrix_transpose(q) @ gq
    upper = m_matrix * _strict_triangle(n, upper=True, module=ns)
    mirrored = upper + _conj(matrix_transpose(upper)) + _real_part(m_matrix) * ns.eye(n, dtype=bool)
    b = gq + _conj(q) @ mirrored
    return matrix_transpose(ns.linalg.solve(r, matrix_transpose(b)))


def qr(a, mode="reduced"):
    """a = Q R with orthonormal (unitary) Q and upper-triangular R with a real diagonal;
    mode 'reduced', 'complete' or 'r'."""
    if mode not in ("reduced", "complete", "r"):
        raise TypeError(f"qr: chainrule supports mode 'reduced', 'complete' and 'r', got {mode!r}")
    m, n = numpy.shape(a)[-2:]
    q, r = unpack(_qr(a, complete=mode == "complete"), _qr_shapes(m, n))
    if mode == "complete" and m > n:
        q = concatenate([q, _qr_completion(a)], axis=-1)
        zero_rows = module_of(a).zeros(numpy.shape(a)[:-2] + (m - n, n), dtype=r.dtype)
        r = concatenate([r, zero_rows], axis=-2)
    return r if mode == "r" else QRResult(q, r)


for _numpy_function, _op in [
    (numpy.linalg.cholesky, cholesky),
    (numpy.linalg.eigh, eigh),
    (numpy.linalg.eigvalsh, eigvalsh),
    (numpy.linalg.eig, eig),
    (numpy.linalg.eigvals, eigvals),
    (numpy.linalg.svd, svd),
    (numpy.linalg.svdvals, svdvals),
    (numpy.linalg.qr, qr),
]:
    register(_numpy_function, _op)
