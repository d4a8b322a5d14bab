"""Tensor behaves like an array that carries gradients: dtypes, operators, errors."""

import numpy as np
import pytest

import chainrule as cr


def test_float32_stays_float32_through_ops_and_gradients():
    x = cr.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (np.exp(x) * 2.0 + x / 3 - x**2).sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_functional_api_keeps_float32_and_float64():
    for dtype in (np.float32, np.float64):
        x = np.linspace(0.1, 1.0, 4).astype(dtype)
        assert cr.grad(lambda x: np.tanh(x).sum())(x).dtype == dtype
        assert cr.jacobian(lambda x: x * 2.0)(x).dtype == dtype
        assert cr.hessian(lambda x: (x**3).sum())(x).dtype == dtype


def test_float32_input_mixed_with_a_float64_constant_gets_a_float32_gradient():
    w = np.ones(3, dtype=np.float32)
    c = np.arange(3.0)
    assert cr.grad(lambda w: (w * c).sum())(w).dtype == np.float32


def test_gradient_of_an_integer_tensor_is_a_clear_error():
    with pytest.raises(cr.GradientError, match="int"):
        cr.Tensor(np.arange(3), requires_grad=True)
    with pytest.raises(cr.GradientError, match="only floats"):
        cr.grad(lambda x: (x * 2).sum())(np.arange(3))


def test_comparisons_return_plain_boolean_arrays():
    x = cr.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    result = x > 1.5
    assert isinstance(result, np.ndarray) and result.dtype == bool
    np.testing.assert_array_equal(x == 2.0, [False, True, False])


def test_properties_and_conversions():
    x = cr.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float64
    assert x.T.shape == (3, 2)
    assert x.sum().item() == 15.0
    assert isinstance(x.detach().numpy(), np.ndarray)
    assert not x.detach().requires_grad


def test_backward_on_a_non_scalar_without_gradient_says_so():
    x = cr.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(cr.GradientError, match="non-scalar.*gradient="):
        (x * 2).backward()
    (x * 2).backward(gradient=np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 20.0])


def test_backward_accumulates_like_pytorch_and_can_run_twice():
    x = cr.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_backward_with_create_graph_gives_differentiable_gradients():
    x = cr.Tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    first = x.grad
    x.grad = None
    first.sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 12.0])


def test_matmul_shape_mismatch_names_the_op_and_both_shapes():
    a = cr.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(cr.ShapeError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        a @ np.ones((4, 5))
    with pytest.raises(cr.ShapeError, match=r"add.*\(2, 3\).*\(4,\)"):
        a + np.ones(4)


def test_numpy_functions_dispatch_to_chainrule():
    x = cr.Tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), requires_grad=True)
    W = np.ones((2, 2))
    y = np.sum(np.tanh(x @ W) + np.maximum(x, 0), axis=0)
    z = np.concatenate([y, np.array([1.0])])
    assert isinstance(z, cr.Tensor)
    z.sum().backward()
    expected = cr.grad(lambda x: (np.tanh(x @ W) + np.maximum(x, 0)).sum())(x.data)
    np.testing.assert_allclose(x.grad, expected)


def test_unsupported_numpy_function_raises_type_error_naming_it():
    x = cr.Tensor([3.0, 1.0], requires_grad=True)
    with pytest.raises(TypeError, match="numpy.lexsort"):
        np.lexsort(x)
    with pytest.raises(TypeError, match="numpy.frexp"):
        np.frexp(x)
    with pytest.raises(cr.GradientError, match="drop it from the graph"):
        np.asarray(x)


def test_getitem_with_repeated_indices_adds_their_gradients():
    x = cr.Tensor(np.arange(4.0), requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0, 0.0])


def test_no_grad_records_nothing_and_stop_gradient_cuts_the_graph():
    x = cr.Tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        y = x * 2
    assert not y.requires_grad
    grad = cr.grad(lambda x: (x * cr.stop_gradient(x)).sum())(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(grad, [1.0, 2.0])


def test_a_chain_of_100000_ops_backpropagates_without_recursion_error():
    x = cr.Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    del y


def test_sign_has_zero_gradient():
    assert cr.grad(lambda x: np.sign(x).sum())(np.array([-1.0, 2.0])).tolist() == [0.0, 0.0]


def test_max_ties_split_the_gradient_evenly():
    grad = cr.grad(lambda x: np.max(x))(np.array([1.0, 3.0, 3.0, 2.0]))
    np.testing.assert_array_equal(grad, [0.0, 0.5, 0.5, 0.0])
    grad = cr.grad(lambda x: np.maximum(x, 1.0).sum())(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(grad, [0.5, 1.0])


def test_where_does_not_leak_nan_from_the_branch_not_taken():
    x = np.array([-1.0, 0.0, 4.0])
    with np.errstate(divide="ignore", invalid="ignore"):  # NumPy's own forward warnings
        grad = cr.grad(lambda x: np.where(x > 0, np.sqrt(x), 0.0).sum())(x)
        np.testing.assert_array_equal(grad, [0.0, 0.0, 0.25])
        grad = cr.grad(lambda x: np.where(x > 0, np.log(x), x).sum())(np.array([0.0, np.e]))
    np.testing.assert_allclose(grad, [1.0, 1 / np.e])


def test_repr_shows_values_and_graph_information():
    x = cr.Tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert "op=multiply" in repr(x * 2)


def test_functional_index_updates_pass_gradients_to_both_operands():
    def f(x, v):
        return (x.at[1].set(v) * np.array([1.0, 2.0, 3.0])).sum() + x.at[0].add(v).sum()

    gx, gv = cr.grad(f, argnums=(0, 1))(np.ones(3), 5.0)
    np.testing.assert_array_equal(gx, [2.0, 1.0, 4.0])
    assert gv == 3.0
    cr.check_grads(
        lambda x, v: cr.index_add(x, np.array([0, 0, 2]), v) ** 2,
        (np.ones(3), np.arange(3.0)),
        order=2,
        modes=("rev", "fwd"),
    )


def test_assignment_into_a_tensor_in_a_graph_points_to_at_set():
    x = cr.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"at\[index\]\.set"):
        x[0] = 2.0
    constant = cr.Tensor(np.zeros(2))
    constant[1] = 4.0
    assert constant.data.tolist() == [0.0, 4.0]


def test_zero_dimensional_gradients_are_arrays_even_when_accumulated():
    t = cr.Tensor(2.0, requires_grad=True)
    (t * t).backward()
    assert isinstance(t.grad, np.ndarray) and t.grad.shape == () and t.grad == 4.0
    (t * t).backward()
    assert isinstance(t.grad, np.ndarray) and t.grad == 8.0
    assert isinstance(np.sum(cr.Tensor(np.ones(3))).data, np.ndarray)
