"""chainrule.scipy.integrate.odeint: SciPy's solution, and adjoint derivatives in y0, t
and the extra arguments, in both modes and to second order, that match finite differences
and closed forms."""

import numpy as np
import pytest

import chainrule as cr

scipy_integrate = pytest.importorskip("scipy.integrate")
from chainrule.scipy import integrate  # noqa: E402 - needs SciPy

RNG = np.random.default_rng(5)
TIGHT = {"rtol": 1e-11, "atol": 1e-11}


def dynamics(y, t, shift, offset):
    return -np.sqrt(t) - y + shift - np.mean((y + offset) ** 2)


def test_solution_and_gradients_in_every_input_match_scipy_and_finite_differences():
    y0, t = RNG.normal(size=3), np.linspace(0.1, 0.2, 4)
    shift, offset = RNG.normal(size=3), RNG.normal(size=3)
    np.testing.assert_allclose(
        integrate.odeint(dynamics, y0, t, (shift, offset), **TIGHT),
        scipy_integrate.odeint(dynamics, y0, t, (shift, offset), **TIGHT),
    )
    cr.check_grads(lambda *a: integrate.odeint(dynamics, a[0], a[1], a[2:], **TIGHT),
                   (y0, t, shift, offset), modes=("rev", "fwd"))


def test_exponential_decay_has_the_closed_form_gradient():
    # y = y0 exp(-k t): dy/dy0 = exp(-k t), dy/dk = -t y, dy/dt = -k y.
    y0, k, t = np.array([2.0]), np.array(0.7), np.array([0.0, 0.5, 1.5])

    def solve(y0, k, t):
        return integrate.odeint(lambda y, t, k: -k * y, y0, t, (k,), **TIGHT)[:, 0]

    y = y0 * np.exp(-k * t)
    jacobians = [cr.jacobian(solve, i)(y0, k, t) for i in range(3)]
    np.testing.assert_allclose(jacobians[0][:, 0], np.exp(-k * t), rtol=1e-8)
    np.testing.assert_allclose(jacobians[1], -t * y, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(np.diag(jacobians[2])[1:], (-k * y)[1:], rtol=1e-7)


def test_second_derivatives_and_forward_mode_have_the_closed_form():
    # y = y0 exp(-k t): d2y/dk2 = t^2 y, d2y/dk dy0 = -t exp(-k t).
    y0, k, t = np.array([2.0]), np.array(0.7), np.array([0.0, 0.5, 1.5])

    def total(y0, k):
        return integrate.odeint(lambda y, t, k: -k * y, y0, t, (k,), **TIGHT).sum()

    y = y0 * np.exp(-k * t)
    np.testing.assert_allclose(cr.hessian(total, 1)(y0, k), np.sum(t * t * y), rtol=1e-7)
    mixed = cr.jacobian(cr.grad(total, 1), 0)(y0, k)
    np.testing.assert_allclose(mixed, [np.sum(-t * np.exp(-k * t))], rtol=1e-7)
    _, tangent = cr.jvp(lambda k: integrate.odeint(lambda y, t, k: -k * y, y0, t, (k,), **TIGHT),
                        (k,), (np.array(1.0),))
    np.testing.assert_allclose(tangent[:, 0], -t * y, rtol=1e-7, atol=1e-10)


def test_float32_stays_float32():
    y0, t = np.ones(2, np.float32), np.linspace(0.0, 1.0, 3).astype(np.float32)
    assert integrate.odeint(lambda y, t: -y, cr.Tensor(y0), t).dtype == np.float32
    grad = cr.grad(lambda y0: integrate.odeint(lambda y, t: -y, y0, t).sum())(y0)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, np.sum(np.exp(-t)), rtol=1e-5)


def test_weights_nested_in_args_get_their_gradients():
    # autograd's ode_net passes a network's weights as a list of (W, b) pairs.
    y0, t = np.array([1.0, 0.5]), np.linspace(0.0, 1.0, 4)
    weights, bias = RNG.normal(size=(2, 2)) * 0.3, RNG.normal(size=2) * 0.1

    def network(y, t, layers):
        ((w, b),) = layers
        return np.tanh(y @ w + b)

    def loss(w, b):
        return integrate.odeint(network, y0, t, ([(w, b)],), **TIGHT).sum()

    cr.check_grads(loss, (weights, bias), order=1)
