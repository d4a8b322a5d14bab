"""The functional API as JAX and autograd users call it."""

import numpy as np

import chainrule as cr


def model(a, b, scale=1.0, offset=0.0):
    return scale * np.sum(a * np.sin(b)) + offset


def test_keyword_arguments_pass_through_undifferentiated():
    a, b = np.array([0.5, -1.0]), np.array([0.3, 2.0])
    ga, gb = cr.grad(model, argnums=(0, 1))(a, b, scale=3.0, offset=7.0)
    np.testing.assert_allclose(ga, 3.0 * np.sin(b))
    np.testing.assert_allclose(gb, 3.0 * a * np.cos(b))
    value, grad = cr.value_and_grad(model)(a, b, offset=7.0)
    np.testing.assert_allclose(value, model(a, b, offset=7.0))
    np.testing.assert_allclose(cr.jacobian(model, 1)(a, b, scale=2.0), 2.0 * a * np.cos(b))
    np.testing.assert_allclose(
        cr.hessian(model, 1)(a, b, scale=2.0), np.diag(-2.0 * a * np.sin(b))
    )
    np.testing.assert_allclose(
        cr.gradients_function(model)(a, b, scale=2.0)[0], 2.0 * np.sin(b)
    )


def test_a_keyword_argument_stays_differentiable_by_an_outer_transformation():
    a, b = np.array([0.5, -1.0]), np.array([0.3, 2.0])

    def inner_gradient_norm(scale):
        return np.sum(cr.grad(model)(a, b, scale=scale) ** 2)

    # d/ds sum((s sin b)^2) = 2 s sum(sin(b)^2)
    np.testing.assert_allclose(
        cr.grad(inner_gradient_norm)(1.5), 2 * 1.5 * np.sum(np.sin(b) ** 2)
    )
