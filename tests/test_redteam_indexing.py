"""x.at[i].set with a repeated index: NumPy keeps the last write, and so does the gradient."""

import numpy as np
import pytest

import chainrule as cr


def central_difference_jacobian(f, x, h=1e-6):
    columns = []
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = h
        columns.append((f(x + step) - f(x - step)).ravel() / (2 * h))
    return np.stack(columns, axis=-1)


def test_set_at_a_repeated_index_differentiates_only_the_value_that_is_kept():
    x, values = np.array([5.0, 6.0, 7.0]), np.array([1.0, 2.0, 3.0])
    index = np.array([0, 0, 2])

    def written(x, values):
        return (x if isinstance(x, cr.Tensor) else cr.Tensor(x)).at[index].set(values)

    gx, gv = cr.jacobian(written, (0, 1))(x, values)
    expected_x = central_difference_jacobian(lambda x: written(x, values).data, x)
    expected_values = central_difference_jacobian(lambda v: written(x, v).data, values)
    np.testing.assert_allclose(gx, expected_x, atol=1e-8)
    np.testing.assert_allclose(gv, expected_values, atol=1e-8)
    np.testing.assert_array_equal(gv[0], [0.0, 1.0, 0.0])


def test_set_of_one_value_at_a_repeated_index_counts_it_once():
    def total(value):
        return cr.Tensor(np.zeros((2, 3))).at[np.array([1, 1, 0]), 0].set(value).sum()

    np.testing.assert_allclose(cr.grad(total)(1.5), 2.0)
    np.testing.assert_allclose(cr.hessian(lambda v: total(v) * v)(1.5), 4.0)


def test_add_at_a_repeated_index_still_accumulates():
    def total(values):
        return (cr.Tensor(np.zeros(3)).at[np.array([0, 0])].add(values) ** 2).sum()

    values = np.array([1.0, 2.0])
    np.testing.assert_allclose(cr.grad(total)(values), 2 * (values.sum()) * np.ones(2))


def test_a_new_tensor_made_from_one_being_differentiated_is_refused():
    with pytest.raises(cr.GradientError, match=r"cr.Tensor\(t\).*stop_gradient"):
        cr.grad(lambda x: cr.Tensor(x).at[0].set(2.0).sum())(np.ones(2))
    with pytest.raises(cr.GradientError, match=r"cr.Tensor\(t\)"):
        cr.grad(lambda x: (cr.Tensor(x, requires_grad=True) * x).sum())(np.ones(2))
    constant = cr.grad(lambda x: (cr.Tensor(cr.stop_gradient(x)) * x).sum())(np.ones(2))
    np.testing.assert_array_equal(constant, np.ones(2))
