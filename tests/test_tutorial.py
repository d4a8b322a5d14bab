"""The tutorial's own example runs with only the imports changed, and gives its numbers."""

import math

import numpy as np
import pytest

import chainrule as cr


@cr.custom_gradient
def cross_entropy(y, y_):
    idx = np.nonzero(y_)[0][0]

    def grad_fn(dy):
        grad_C = np.zeros(y.shape[0])
        grad_C[idx] = -1.0 / y[idx]
        return grad_C

    return -math.log(y[idx]), grad_fn


def tutorial_output():
    y = np.full(10, 0.01)
    y[2] = 0.31
    y[3] = 0.11
    y[8] = 0.21
    y[1] = 0.11
    y[4] = 0.21
    return y, np.eye(10)[2]


def test_cross_entropy_value_is_minus_log_of_the_true_class_probability():
    y, y_ = tutorial_output()
    assert float(cross_entropy(y, y_)) == pytest.approx(1.1711829815, abs=1e-10)


def test_gradients_function_gives_minus_one_over_y_r_at_the_true_class():
    y, y_ = tutorial_output()
    grads = cr.gradients_function(cross_entropy)(y, y_)
    expected = np.zeros(10)
    expected[2] = -1 / 0.31
    np.testing.assert_allclose(grads[0], expected, rtol=1e-12)
    assert grads[0][2] == pytest.approx(-3.2258064516, abs=1e-9)
    np.testing.assert_array_equal(grads[1], np.zeros(10))


def test_custom_gradient_agrees_with_the_automatic_gradient_of_minus_log():
    y, y_ = tutorial_output()
    automatic = cr.grad(lambda y: -np.log((y * y_).sum()))(y)
    np.testing.assert_allclose(cr.grad(cross_entropy)(y, y_), automatic, rtol=1e-12)


def test_custom_gradient_works_under_jacobian_and_backward():
    y, y_ = tutorial_output()
    np.testing.assert_allclose(cr.jacobian(cross_entropy)(y, y_)[2], -1 / 0.31)
    t = cr.Tensor(y, requires_grad=True)
    cross_entropy(t, y_).backward()
    assert t.grad[2] == pytest.approx(-1 / 0.31)
