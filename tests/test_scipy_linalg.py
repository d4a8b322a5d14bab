"""chainrule.scipy.linalg: SciPy's values, derivatives to second order in both modes."""

import numpy as np
import pytest

import chainrule as cr

scipy_linalg = pytest.importorskip("scipy.linalg")
from chainrule.scipy import linalg  # noqa: E402 - needs SciPy

RNG = np.random.default_rng(6)


def check(f, *args):
    cr.check_grads(f, args, order=2, modes=("rev", "fwd"))


def symmetric(a):
    return 0.5 * (a + np.swapaxes(a, -1, -2))


def real_and_imaginary(f):
    return lambda *args: np.stack([np.real(f(*args)), np.imag(f(*args))])


def test_solve_sylvester_matches_scipy_and_finite_differences():
    a, b, q = (RNG.normal(size=(3, 3)) for _ in range(3))
    np.testing.assert_allclose(linalg.solve_sylvester(a, b, q),
                               scipy_linalg.solve_sylvester(a, b, q))
    check(linalg.solve_sylvester, a, b, q)


def test_sqrtm_of_positive_definite_matrix_is_real_and_exact():
    a = RNG.normal(size=(3, 3))
    spd = a @ a.T + np.eye(3)
    np.testing.assert_allclose(linalg.sqrtm(spd), scipy_linalg.sqrtm(spd))
    check(lambda a: linalg.sqrtm(symmetric(a)), spd)


def test_sqrtm_with_negative_eigenvalues_is_complex_and_exact():
    a = symmetric(RNG.normal(size=(3, 3))) - 2 * np.eye(3)
    np.testing.assert_allclose(linalg.sqrtm(a), scipy_linalg.sqrtm(a))
    check(real_and_imaginary(lambda a: linalg.sqrtm(symmetric(a))), a)


@pytest.mark.parametrize(
    "trans, lower, unit_diagonal",
    [(0, True, False), ("T", True, True), (0, False, True), ("T", False, False)],
)
@pytest.mark.parametrize("b_shape", [(3,), (3, 2)])
def test_solve_triangular_matches_scipy_and_differentiates_the_triangle_it_reads(
    trans, lower, unit_diagonal, b_shape
):
    full = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
    b = RNG.normal(size=b_shape)
    options = {"trans": trans, "lower": lower, "unit_diagonal": unit_diagonal}
    np.testing.assert_allclose(linalg.solve_triangular(full, b, **options),
                               scipy_linalg.solve_triangular(full, b, **options))
    check(lambda a, b: linalg.solve_triangular(a, b, **options), full, b)


def test_float32_stays_float32():
    a = (RNG.normal(size=(3, 3)) + 3 * np.eye(3)).astype(np.float32)
    grad = cr.grad(lambda a: linalg.solve_triangular(a, np.ones(3, np.float32)).sum())(a)
    assert grad.dtype == np.float32


def test_expm_matches_scipy_and_finite_differences():
    a = 0.5 * RNG.normal(size=(3, 3))
    np.testing.assert_allclose(linalg.expm(a), scipy_linalg.expm(a))
    check(linalg.expm, a)


@pytest.mark.parametrize("lower", [True, False])
def test_symmetric_routines_read_one_triangle_as_scipy_does(lower):
    spd = RNG.normal(size=(3, 3))
    spd = spd @ spd.T + np.eye(3)
    junk = np.triu(RNG.normal(size=(3, 3)), 1) if lower else np.tril(RNG.normal(size=(3, 3)), -1)
    a, b = spd + junk, RNG.normal(size=3)
    options = {"lower": lower}
    calls = [
        (linalg.cholesky, scipy_linalg.cholesky, {}),
        (linalg.eigh, scipy_linalg.eigh, {"eigvals_only": True}),
    ]
    for ours, theirs, extra in calls:
        np.testing.assert_allclose(ours(a, **options, **extra), theirs(a, **options, **extra))
        check(lambda a, ours=ours, extra=extra: ours(a, **options, **extra), a)
    np.testing.assert_allclose(linalg.solve(a, b, assume_a="pos", **options),
                               scipy_linalg.solve(a, b, assume_a="pos", **options))
    check(lambda a, b: linalg.solve(a, b, assume_a="pos", **options), a, b)


def test_general_routines_match_scipy_and_finite_differences():
    a, b = RNG.normal(size=(3, 3)) + 2 * np.eye(3), RNG.normal(size=(3, 2))
    np.testing.assert_allclose(linalg.inv(a), scipy_linalg.inv(a))
    np.testing.assert_allclose(linalg.det(a), scipy_linalg.det(a))
    np.testing.assert_allclose(linalg.solve(a, b, transposed=True),
                               scipy_linalg.solve(a, b, transposed=True))
    check(lambda a, b: linalg.solve(a, b, transposed=True), a, b)


@pytest.mark.parametrize("lower", [True, False])
def test_cho_factor_and_cho_solve_match_scipy_and_finite_differences(lower):
    spd = RNG.normal(size=(3, 3))
    spd, b = spd @ spd.T + np.eye(3), RNG.normal(size=(3, 2))
    c, is_lower = linalg.cho_factor(spd, lower=lower)
    expected_c, _ = scipy_linalg.cho_factor(spd, lower=lower)
    np.testing.assert_allclose(c, expected_c)
    assert is_lower == lower
    np.testing.assert_allclose(linalg.cho_solve((c, lower), b),
                               scipy_linalg.cho_solve((expected_c, lower), b))
    check(lambda a, b: linalg.cho_solve(linalg.cho_factor(symmetric(a), lower=lower), b), spd, b)


@pytest.mark.parametrize("name", ["solve_triangular", "cho_factor", "expm", "sqrtm"])
def test_scipys_own_function_on_a_tensor_names_the_replacement(name):
    # solve_triangular and cho_factor pass through SciPy's private batching wrapper first.
    call = {"solve_triangular": lambda a: scipy_linalg.solve_triangular(a, np.ones(2))}.get(
        name, getattr(scipy_linalg, name)
    )
    with pytest.raises(cr.GradientError, match=rf"use chainrule\.scipy\.linalg\.{name} "):
        cr.grad(lambda a: np.sum(call(a)))(np.eye(2))


@pytest.mark.parametrize("l_and_u", [(1, 1), (0, 2), (2, 0)])
def test_solve_banded_matches_scipy_and_finite_differences(l_and_u):
    ab = RNG.normal(size=(sum(l_and_u) + 1, 4))
    ab[l_and_u[1]] += 4
    b = RNG.normal(size=(4, 2))
    np.testing.assert_allclose(linalg.solve_banded(l_and_u, ab, b),
                               scipy_linalg.solve_banded(l_and_u, ab, b))
    check(lambda ab, b: linalg.solve_banded(l_and_u, ab, b), ab, b)
