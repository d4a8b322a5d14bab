"""Derivatives that have a closed form: softmax, cross entropy of softmax, a dense layer."""

import numpy as np

import chainrule as cr

RNG = np.random.default_rng(1)


def test_softmax_jacobian_is_diag_y_minus_y_y_transpose():
    z = RNG.normal(size=10)
    y = cr.softmax(z)
    for mode in ("rev", "fwd"):
        jac = cr.jacobian(cr.softmax, mode=mode)(z)
        np.testing.assert_allclose(jac, np.diag(y) - np.outer(y, y), atol=1e-15)


def test_softmax_jacobian_is_symmetric_with_rows_summing_to_zero():
    jac = cr.jacobian(cr.softmax)(RNG.normal(size=6))
    np.testing.assert_allclose(jac, jac.T, atol=1e-15)
    np.testing.assert_allclose(jac.sum(axis=1), 0, atol=1e-15)


def test_gradient_of_cross_entropy_of_softmax_is_softmax_minus_onehot():
    z = RNG.normal(size=10)
    onehot = np.eye(10)[3]
    grad = cr.grad(lambda z: -(onehot * np.log(cr.softmax(z))).sum())(z)
    np.testing.assert_allclose(grad, cr.softmax(z) - onehot, atol=1e-14)
    grad_fused = cr.grad(lambda z: -(onehot * cr.log_softmax(z)).sum())(z)
    np.testing.assert_allclose(grad_fused, cr.softmax(z) - onehot, atol=1e-14)


def test_dense_layer_jacobian_with_respect_to_weights_is_the_input_on_the_diagonal():
    W, x, b = RNG.normal(size=(3, 4)), RNG.normal(size=4), RNG.normal(size=3)
    jac = cr.jacobian(lambda W: W @ x + b)(W)
    assert jac.shape == (3, 3, 4)
    expected = np.einsum("ij,k->ijk", np.eye(3), x)
    np.testing.assert_allclose(jac, expected, atol=1e-15)
    np.testing.assert_allclose(cr.jacobian(lambda b: W @ x + b)(b), np.eye(3))


def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose():
    A = RNG.normal(size=(4, 4))
    x = RNG.normal(size=4)
    np.testing.assert_allclose(cr.hessian(lambda x: x @ A @ x)(x), A + A.T, atol=1e-13)


def test_third_derivative_of_a_cubic():
    third = cr.grad(cr.grad(cr.grad(lambda x: x**3 + 2 * x**2)))(1.5)
    assert third == 6.0
