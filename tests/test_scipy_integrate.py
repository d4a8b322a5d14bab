"""chainrule.scipy.integrate.odeint: SciPy's solution, and an adjoint gradient in y0, t
and the extra arguments that matches finite differences and closed forms."""

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
                   (y0, t, shift, offset))


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


def test_second_order_and_forward_mode_raise_instead_of_a_wrong_number():
    y0, t = np.ones(2), np.linspace(0.0, 1.0, 3)

    def total(y0):
        return integrate.odeint(lambda y, t: -y, y0, t).sum()

    with pytest.raises(cr.GradientError, match="first order"):
        cr.hessian(total)(y0)
    with pytest.raises(cr.GradientError, match="first order"):
        cr.jvp(total, (y0,), (np.ones(2),))
