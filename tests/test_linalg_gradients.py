"""numpy.linalg on Tensors: values equal NumPy's, derivatives equal finite differences.

Each function is called as plain `np.linalg.*` code on stacks of matrices (leading batch
axes from hypothesis) and checked to second order in reverse and forward mode.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

BATCHES = st.sampled_from([(), (2,), (2, 1)])


def general(rng, shape):
    """A well-conditioned square matrix (or stack): random plus n on the diagonal."""
    n = shape[-1]
    return rng.normal(size=shape) + n * np.eye(n)


def spd(rng, shape):
    """A symmetric positive definite matrix with distinct eigenvalues."""
    a = rng.normal(size=shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def real_spectrum(rng, shape):
    """A non-symmetric matrix with distinct real eigenvalues: P diag(d) P^-1."""
    n = shape[-1]
    p = np.eye(n) + 0.3 * rng.normal(size=shape)
    d = np.arange(1.0, n + 1) + 0.2 * rng.uniform(size=shape[:-1])
    return p @ (d[..., :, None] * np.linalg.inv(p))


def rectangular(rng, shape):
    return rng.normal(size=shape)


def fixed_sign(v):
    """Eigen/singular vectors with each column's first entry made positive (a choice of
    sign that finite differences can follow)."""
    return v * np.sign(v[..., :1, :])


def thin_svd_factors(u, s, vh):
    return flat(fixed_sign(u), s, fixed_sign(np.swapaxes(vh, -1, -2)))


def flat(*factors):
    return np.concatenate([np.ravel(f) for f in factors])


SQUARE = {
    "inv": (np.linalg.inv, general),
    "det": (np.linalg.det, general),
    "slogdet": (lambda a: np.linalg.slogdet(a)[1], general),
    "slogdet/negative_det": (lambda a: np.linalg.slogdet(-a[..., ::-1, :])[1], general),
    "cholesky": (np.linalg.cholesky, spd),
    "cholesky/upper": (lambda a: np.linalg.cholesky(a, upper=True), spd),
    "eigh/values": (lambda a: np.linalg.eigh(a)[0], spd),
    "eigh/vectors": (lambda a: fixed_sign(np.linalg.eigh(a)[1]), spd),
    "eigh/upper": (
        lambda a: flat(np.linalg.eigh(a, UPLO="U")[0], fixed_sign(np.linalg.eigh(a, "U")[1])),
        spd,
    ),
    "eigvalsh": (np.linalg.eigvalsh, spd),
    "eigvals": (np.linalg.eigvals, real_spectrum),
    "eig/values": (lambda a: np.linalg.eig(a)[0], real_spectrum),
    "eig/vectors": (lambda a: fixed_sign(np.linalg.eig(a)[1]), real_spectrum),
    "matrix_power/3": (lambda a: np.linalg.matrix_power(a, 3), general),
    "matrix_power/minus_2": (lambda a: np.linalg.matrix_power(a, -2), general),
    "pinv/square": (np.linalg.pinv, general),
}

RECTANGULAR = {
    "svd/values": lambda a: np.linalg.svd(a, compute_uv=False),
    "svdvals": np.linalg.svdvals,
    "svd/thin": lambda a: thin_svd_factors(*np.linalg.svd(a, full_matrices=False)),
    "svd/full_values": lambda a: np.linalg.svd(a)[1],
    "qr": lambda a: flat(*np.linalg.qr(a)),
    "qr/r": lambda a: np.linalg.qr(a, mode="r"),
    "pinv": np.linalg.pinv,
}


@pytest.mark.parametrize("name", sorted(SQUARE))
@settings(max_examples=6)
@given(batch=BATCHES, n=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_square_matrix_function_matches_finite_differences(name, batch, n, seed):
    f, sample = SQUARE[name]
    a = sample(np.random.default_rng(seed), batch + (n, n))
    np.testing.assert_allclose(f(cr.Tensor(a)).data, f(a), rtol=1e-12, atol=1e-12)
    cr.check_grads(f, (a,), order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("name", sorted(RECTANGULAR))
@settings(max_examples=6)
@given(batch=BATCHES, m=st.integers(1, 3), n=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_rectangular_matrix_function_matches_finite_differences(name, batch, m, n, seed):
    f = RECTANGULAR[name]
    a = rectangular(np.random.default_rng(seed), batch + (m, n))
    np.testing.assert_allclose(f(cr.Tensor(a)).data, f(a), rtol=1e-12, atol=1e-12)
    cr.check_grads(f, (a,), order=2, modes=("rev", "fwd"))


@settings(max_examples=8)
@given(
    batch_a=BATCHES,
    batch_b=BATCHES,
    n=st.integers(1, 3),
    k=st.sampled_from([None, 1, 2]),
    seed=st.integers(0, 2**16),
)
def test_solve_follows_numpy_2_shape_rule_and_differentiates(batch_a, batch_b, n, k, seed):
    """b is one vector only when b.ndim == 1; otherwise a stack of (n, k) matrices."""
    rng = np.random.default_rng(seed)
    a = general(rng, batch_a + (n, n))
    b = rng.normal(size=(n,) if k is None else batch_b + (n, k))
    np.testing.assert_array_equal(np.linalg.solve(cr.Tensor(a), cr.Tensor(b)).data,
                                  np.linalg.solve(a, b))
    cr.check_grads(np.linalg.solve, (a, b), order=2, modes=("rev", "fwd"))


def test_solve_refuses_a_stack_of_vectors_as_numpy_2_does():
    a, b = np.eye(3)[None].repeat(2, 0), np.ones((2, 3))
    with pytest.raises(cr.ShapeError, match=r"solve.*\(2, 3, 3\) and \(2, 3\)"):
        np.linalg.solve(cr.Tensor(a, requires_grad=True), b)


ARRAY_API = {
    "linalg.matrix_norm": lambda a: np.linalg.matrix_norm(a, ord="nuc", keepdims=True),
    "linalg.vector_norm": lambda a: np.linalg.vector_norm(a, axis=(0, -1), ord=3),
    "linalg.vector_norm/all": lambda a: np.linalg.vector_norm(a, keepdims=True),
    "linalg.matrix_transpose": np.linalg.matrix_transpose,
    "matrix_transpose": np.matrix_transpose,
    "linalg.trace": lambda a: np.linalg.trace(a, offset=1),
    "linalg.diagonal": lambda a: np.linalg.diagonal(a, offset=-1),
    "linalg.outer": lambda a: np.linalg.outer(a[0, 0], a[1, 1]),
    "linalg.cross": lambda a: np.linalg.cross(a[0], a[1], axis=0),
    "linalg.tensordot": lambda a: np.linalg.tensordot(a[0], a[1], axes=1),
    "linalg.matmul": lambda a: np.linalg.matmul(a[0], a[1]),
    "linalg.vecdot": lambda a: np.linalg.vecdot(a[0], a[1], axis=0),
    "vecdot": lambda a: np.vecdot(a[0], a[1]),
    "linalg.tensorinv": lambda a: np.linalg.tensorinv(a.reshape(3, 3, 2)[..., :1], ind=1),
    "linalg.cond": np.linalg.cond,
    "linalg.cond/frobenius": lambda a: np.linalg.cond(a, "fro"),
    "linalg.cond/minus_2": lambda a: np.linalg.cond(a, -2),
}


@pytest.mark.parametrize("name", sorted(ARRAY_API))
def test_numpy_2_linalg_name_matches_numpy_and_finite_differences(name):
    f = ARRAY_API[name]
    a = general(np.random.default_rng(11), (2, 3, 3))
    np.testing.assert_allclose(f(cr.Tensor(a)).data, f(a), rtol=1e-12)
    cr.check_grads(f, (a,), order=2, modes=("rev", "fwd"))


def test_matrix_rank_runs_on_tensors_without_a_derivative():
    a = cr.Tensor(np.diag([1.0, 2.0, 0.0]), requires_grad=True)
    assert np.linalg.matrix_rank(a) == 2


SEVERAL_INPUTS = {
    "solve/vector_batched_a": (np.linalg.solve, [(2, 3, 3), (3,)]),
    "linalg.tensorsolve": (
        lambda a, b: np.linalg.tensorsolve(a.reshape(3, 3, 1), b), [(3, 3), (3,)]
    ),
    "linalg.tensorsolve/axes": (
        lambda a, b: np.linalg.tensorsolve(a.reshape(4, 2, 2), b.reshape(2, 2), axes=(0,)),
        [(4, 4), (4,)],
    ),
    "linalg.lstsq": (lambda a, b: np.linalg.lstsq(a, b)[0], [(4, 2), (4, 3)]),
    "linalg.lstsq/wide_vector": (lambda a, b: np.linalg.lstsq(a, b)[0], [(2, 3), (2,)]),
    "linalg.lstsq/residuals": (lambda a, b: np.linalg.lstsq(a, b)[1], [(4, 2), (4,)]),
    "linalg.lstsq/singular_values": (lambda a, b: np.linalg.lstsq(a, b)[3], [(3, 3), (3,)]),
    "multi_dot": (lambda *xs: np.linalg.multi_dot(list(xs)), [(3,), (3, 4), (4, 2), (2,)]),
    "multi_dot/three": (lambda *xs: np.linalg.multi_dot(list(xs)), [(2, 3), (3, 4), (4,)]),
}


@pytest.mark.parametrize("name", sorted(SEVERAL_INPUTS))
def test_function_of_several_matrices_matches_numpy_and_finite_differences(name):
    f, shapes = SEVERAL_INPUTS[name]
    rng = np.random.default_rng(3)
    args = [(general if len(s) > 1 and s[-1] == s[-2] else rectangular)(rng, s) for s in shapes]
    expected = f(*args)
    got = f(*[cr.Tensor(x) for x in args]).data
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-14)
    cr.check_grads(f, args, order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("power", [-5, -1, 0, 1, 2, 5, 6])
def test_matrix_power_values_equal_numpy_bit_for_bit(power):
    a = general(np.random.default_rng(4), (2, 3, 3))
    np.testing.assert_array_equal(np.asarray(cr.matrix_power(cr.Tensor(a), power).data
                                             if power else cr.matrix_power(a, 0)),
                                  np.linalg.matrix_power(a, power))


@pytest.mark.parametrize("uplo, kept", [("L", np.tril), ("U", np.triu)])
def test_eigh_gradient_reaches_only_the_triangle_numpy_reads(uplo, kept):
    a = spd(np.random.default_rng(5), (3, 3))
    skewed = a + np.triu(np.ones((3, 3)), 1) if uplo == "L" else a + np.tril(np.ones((3, 3)), -1)
    gradient = cr.grad(lambda x: np.linalg.eigh(x, UPLO=uplo)[0] @ np.arange(1.0, 4.0))(skewed)
    np.testing.assert_array_equal(gradient, kept(gradient))
    np.testing.assert_allclose(np.linalg.eigh(cr.Tensor(skewed), uplo)[0].data,
                               np.linalg.eigh(skewed, uplo)[0])


def complex_general(rng, shape):
    n = shape[-1]
    return rng.normal(size=shape) + 1j * rng.normal(size=shape) + n * np.eye(n)


def hermitian(rng, shape):
    a = complex_general(rng, shape)
    return a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])


def rotation_like(rng, shape):
    """A real matrix with complex eigenvalues (a rotation plus noise)."""
    angle = rng.uniform(0.5, 1.0)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rotation + 0.1 * rng.normal(size=shape)


def phase_fixed(v):
    """Complex vectors with each column's first entry made real and positive: a function
    of the vectors that does not depend on the phase NumPy picked."""
    return v * np.conj(v[..., :1, :]) / np.abs(v[..., :1, :])


COMPLEX = {
    "inv/complex": (np.linalg.inv, complex_general),
    "det/complex": (np.linalg.det, complex_general),
    "slogdet/complex": (lambda a: np.linalg.slogdet(a)[1], complex_general),
    "solve/complex": (lambda a: np.linalg.solve(a, a[..., ::-1, :1]), complex_general),
    "pinv/complex_tall": (lambda a: np.linalg.pinv(a[..., :, :2]), complex_general),
    "matrix_power/complex": (lambda a: np.linalg.matrix_power(a, -3), complex_general),
    "cholesky/complex": (np.linalg.cholesky, hermitian),
    "cholesky/complex_upper": (lambda a: np.linalg.cholesky(a, upper=True), hermitian),
    "qr/complex": (lambda a: flat(*np.linalg.qr(a)), complex_general),
    "qr/complex_wide": (lambda a: flat(*np.linalg.qr(a[..., :2, :])), complex_general),
    "eigh/complex": (lambda a: flat(np.linalg.eigh(a)[0], phase_fixed(np.linalg.eigh(a)[1])),
                     hermitian),
    "eigh/complex_upper": (lambda a: np.abs(np.linalg.eigh(a, UPLO="U")[1]), hermitian),
    "eig/complex": (lambda a: flat(np.linalg.eig(a)[0], phase_fixed(np.linalg.eig(a)[1])),
                    complex_general),
    "eig/complex_spectrum_of_real": (lambda a: np.linalg.eig(a)[0], rotation_like),
    "svd/complex": (lambda a: thin_svd_phase_fixed(*np.linalg.svd(a[..., :2, :], False)),
                    complex_general),
    "svd/complex_values": (lambda a: np.linalg.svd(a[..., :, 1:], compute_uv=False),
                           complex_general),
    "norm/nuclear_complex": (lambda a: np.linalg.norm(a, "nuc", axis=(-2, -1)), complex_general),
}


def thin_svd_phase_fixed(u, s, vh):
    k = s.shape[-1]
    return flat(phase_fixed(u), s, np.abs(vh[..., :k, :]))


@pytest.mark.parametrize("name", sorted(COMPLEX))
@settings(max_examples=4)
@given(batch=BATCHES, seed=st.integers(0, 2**16))
def test_complex_matrix_function_matches_finite_differences_in_both_parts(name, batch, seed):
    f, sample = COMPLEX[name]
    n = 2 if name.startswith("eig/complex_spectrum") else 3
    a = sample(np.random.default_rng(seed), batch + (n, n))
    np.testing.assert_allclose(f(cr.Tensor(a)).data, f(a), rtol=1e-12, atol=1e-12)
    cr.check_grads(f, (a,), order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize(
    "f, sample",
    [
        (lambda a: np.linalg.svd(a)[0].real.sum(), complex_general),
        (lambda a: np.linalg.eigh(a)[1].imag.sum(), hermitian),
        (lambda a: np.linalg.eig(a)[1].real.sum(), complex_general),
    ],
)
def test_function_of_the_arbitrary_phase_of_complex_vectors_is_refused(f, sample):
    with pytest.raises(cr.GradientError, match="depends on the phase"):
        cr.grad(f)(sample(np.random.default_rng(1), (3, 3)))


def test_eigenvalues_only_of_a_repeated_spectrum_have_a_finite_gradient():
    gradient = cr.grad(lambda a: np.linalg.eigh(a)[0].sum())(np.eye(3))
    np.testing.assert_allclose(gradient, np.eye(3))


@pytest.mark.parametrize("shape", [(2, 4), (4, 2)])
def test_full_svd_of_non_square_matrix(shape):
    """Values equal NumPy's; singular values differentiate; the null-space columns, which
    are not unique, refuse a derivative rather than give a wrong one."""
    a = rectangular(np.random.default_rng(6), shape)
    for mine, numpy_factor in zip(np.linalg.svd(cr.Tensor(a)), np.linalg.svd(a)):
        np.testing.assert_array_equal(mine.data, numpy_factor)
    cr.check_grads(lambda x: np.linalg.svd(x)[1], (a,), order=2, modes=("rev", "fwd"))
    with pytest.raises(cr.GradientError, match="svd: the extra columns"):
        cr.jacobian(lambda x: np.linalg.svd(x)[0] if shape[0] > 2 else np.linalg.svd(x)[2])(a)


def test_complete_qr_of_tall_matrix_refuses_its_null_space_columns():
    a = rectangular(np.random.default_rng(7), (4, 2))
    for mine, numpy_factor in zip(np.linalg.qr(cr.Tensor(a), mode="complete"),
                                  np.linalg.qr(a, mode="complete")):
        np.testing.assert_array_equal(mine.data, numpy_factor)
    cr.check_grads(lambda x: np.linalg.qr(x, mode="complete")[1], (a,), modes=("rev",))
    with pytest.raises(cr.GradientError, match="qr: the extra columns"):
        cr.jacobian(lambda x: np.linalg.qr(x, mode="complete")[0])(a)


VECTOR_ORDS = [None, 1, 2, 3, 0.5, -1, -2.5, np.inf, -np.inf]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("ord", VECTOR_ORDS)
@settings(max_examples=6)
@given(shape=st.sampled_from([(3,), (2, 3), (3, 2, 2)]), keepdims=st.booleans(), data=st.data())
def test_vector_norm_every_ord_matches_numpy_and_finite_differences(ord, shape, keepdims, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(len(shape)).uniform(0.5, 2.0, size=shape) * [1, -1, 1][: shape[-1]]

    def f(x):
        return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)

    np.testing.assert_allclose(f(cr.Tensor(x)).data, f(x), rtol=1e-13)
    cr.check_grads(f, (x,), order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@settings(max_examples=6)
@given(axes=st.sampled_from([None, (0, 1), (1, 0), (2, 0), (-1, -2)]), keepdims=st.booleans())
def test_matrix_norm_every_ord_matches_numpy_and_finite_differences(ord, axes, keepdims):
    x = np.random.default_rng(8).normal(size=(3, 2) if axes is None else (3, 2, 4))

    def f(x):
        return np.linalg.norm(x, ord=ord, axis=axes, keepdims=keepdims)

    np.testing.assert_allclose(f(cr.Tensor(x)).data, f(x), rtol=1e-13)
    cr.check_grads(f, (x,), order=2, modes=("rev", "fwd"))


def test_norm_zero_counts_nonzeros_and_has_zero_gradient():
    x = np.array([0.0, 2.0, -1.0])
    assert np.linalg.norm(cr.Tensor(x), 0).item() == 2.0
    np.testing.assert_array_equal(cr.grad(lambda x: np.linalg.norm(x, 0))(x), np.zeros(3))


def test_norm_of_complex_input_equals_numpy():
    z = np.array([[3 + 4j, 1j], [2.0, -1 - 1j]])
    for ord in [None, "fro", 1, np.inf, "nuc", 2]:
        np.testing.assert_allclose(np.linalg.norm(cr.Tensor(z), ord).data, np.linalg.norm(z, ord))
    np.testing.assert_allclose(np.linalg.norm(cr.Tensor(z), 3, axis=1).data,
                               np.linalg.norm(z, 3, axis=1))


GRADIENT_TABLES = [SQUARE, RECTANGULAR, SEVERAL_INPUTS, COMPLEX, ARRAY_API]
"""For the coverage check in test_ops_gradients.py: every op has a row somewhere."""


@pytest.mark.parametrize(
    "f",
    [
        np.linalg.inv,
        np.linalg.det,
        lambda a: np.linalg.slogdet(a)[1],
        np.linalg.cholesky,
        lambda a: np.linalg.eigh(a)[1],
        lambda a: np.linalg.eig(a)[1],
        lambda a: np.linalg.svd(a)[0],
        lambda a: np.linalg.qr(a)[1],
        np.linalg.pinv,
        lambda a: np.linalg.solve(a, a[..., :1]),
        lambda a: np.linalg.norm(a, "nuc", axis=(-2, -1)),
        lambda a: np.linalg.norm(a, 3, axis=-1),
    ],
)
def test_linalg_keeps_float32_in_value_and_gradient(f):
    a = spd(np.random.default_rng(9), (2, 3, 3)).astype(np.float32)
    assert f(cr.Tensor(a)).dtype == np.float32
    assert cr.grad(lambda a: f(a).sum())(a).dtype == np.float32


def test_results_are_tuples_with_numpy_field_names():
    a = cr.Tensor(spd(np.random.default_rng(10), (3, 3)))
    for mine, numpy_result in [
        (np.linalg.eigh(a), np.linalg.eigh(a.data)),
        (np.linalg.eig(a), np.linalg.eig(a.data)),
        (np.linalg.svd(a), np.linalg.svd(a.data)),
        (np.linalg.qr(a), np.linalg.qr(a.data)),
        (np.linalg.slogdet(a), np.linalg.slogdet(a.data)),
    ]:
        assert type(mine).__name__ == type(numpy_result).__name__
        assert mine._fields == numpy_result._fields
        for field in numpy_result._fields:
            np.testing.assert_allclose(np.asarray(getattr(mine, field).data
                                                  if hasattr(getattr(mine, field), "data")
                                                  else getattr(mine, field)),
                                       getattr(numpy_result, field))


@pytest.mark.parametrize(
    "f, a",
    [
        (np.linalg.inv, np.zeros((2, 2))),
        (lambda a: np.linalg.solve(a, np.ones(2)), np.ones((2, 2))),
        (np.linalg.cholesky, -np.eye(3)),
    ],
)
def test_a_failing_matrix_routine_raises_linalg_error_naming_op_and_shape(f, a):
    with pytest.raises(cr.LinAlgError, match=r"(inv|solve|cholesky): .*shape \((2, 2|3, 3)\)"):
        f(cr.Tensor(a, requires_grad=True))
    with pytest.raises(np.linalg.LinAlgError):
        f(cr.Tensor(a, requires_grad=True))
