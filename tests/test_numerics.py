"""softmax, log_softmax and logsumexp stay finite, with finite gradients, for huge logits."""

import numpy as np
import pytest

import chainrule as cr

DTYPES = [np.float32, np.float64]
EXTREME_LOGITS = [[1000.0, -1000.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 3.0]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("logits", EXTREME_LOGITS)
@pytest.mark.parametrize("op", [cr.softmax, cr.log_softmax, cr.logsumexp])
def test_values_and_gradients_are_finite_for_logits_of_1e4(op, logits, dtype):
    z = np.array(logits, dtype=dtype)
    value = op(z)
    assert np.all(np.isfinite(value)) and value.dtype == dtype
    weights = np.linspace(-1, 1, z.size).astype(dtype)
    grad = cr.grad(lambda z: (op(z) * weights).sum())(z)
    assert np.all(np.isfinite(grad)) and grad.dtype == dtype


def test_extreme_values_are_right():
    np.testing.assert_allclose(cr.softmax(np.array([1000.0, -1000.0])), [1.0, 0.0])
    np.testing.assert_allclose(cr.log_softmax(np.array([1000.0, -1000.0])), [0.0, -2000.0])
    assert cr.logsumexp(np.array([1e4, 1e4])) == pytest.approx(1e4 + np.log(2))
    z = np.array([1e4, -1e4, 0.0], dtype=np.float32)
    onehot = np.eye(3, dtype=np.float32)[1]
    grad = cr.grad(lambda z: -(cr.log_softmax(z) * onehot).sum())(z)
    np.testing.assert_allclose(grad, [1.0, -1.0, 0.0])


def test_batched_softmax_rows_sum_to_one():
    z = np.random.default_rng(3).normal(scale=1e3, size=(5, 7)).astype(np.float32)
    np.testing.assert_allclose(cr.softmax(z, axis=1).sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("logits", EXTREME_LOGITS)
def test_cross_entropy_and_its_gradient_are_finite_for_logits_of_1e4(logits, dtype):
    from chainrule.nn.functional import cross_entropy

    z = np.array([logits, logits[::-1]], dtype=dtype)
    for target in (np.array([1, 0]), np.eye(len(logits), dtype=dtype)[[1, 0]]):
        for smoothing in (0.0, 0.1):
            def loss(z, target=target, smoothing=smoothing):
                return cross_entropy(z, target, label_smoothing=smoothing)

            value, grad = cr.value_and_grad(loss)(z)
            assert np.isfinite(value) and value.dtype == dtype
            assert np.all(np.isfinite(grad)) and grad.dtype == dtype
            probabilities = cr.softmax(z.astype(np.float64), axis=-1)
            onehot = np.eye(len(logits))[[1, 0]]
            expected = (probabilities - ((1 - smoothing) * onehot + smoothing / len(logits))) / 2
            np.testing.assert_allclose(grad, expected, atol=1e-6)


def test_std_gradient_over_a_length_one_axis_is_zero_not_nan():
    # Issue 8: cr.grad(np.std)(np.array([3.5])) was [nan].
    np.testing.assert_array_equal(cr.grad(np.std)(np.array([3.5])), [0.0])
    x = np.array([[3.5], [-1.0]])
    for axis in (1, (1,), (0, 1)):
        for keepdims in (False, True):
            def total_std(x, axis=axis, keepdims=keepdims):
                return np.std(x, axis=axis, keepdims=keepdims).sum()

            grad = cr.grad(total_std)(x)
            assert np.all(np.isfinite(grad))
    np.testing.assert_array_equal(cr.grad(lambda x: np.std(x, axis=1).sum())(x), [[0.0], [0.0]])


@pytest.mark.parametrize("ddof", [0, 1])
def test_std_derivatives_at_zero_spread_are_zero_in_every_mode(ddof):
    # std is not differentiable where all values agree; chainrule takes 0 there, as PyTorch
    # does, and stays finite to second order.
    x = np.full(3, 2.0)

    def std(x):
        return np.std(x, ddof=ddof)

    np.testing.assert_array_equal(cr.grad(std)(x), np.zeros(3))
    np.testing.assert_array_equal(cr.jacobian(std, mode="fwd")(x), np.zeros(3))
    np.testing.assert_array_equal(cr.hessian(std)(x), np.zeros((3, 3)))
    assert cr.jvp(std, (x,), (np.ones(3),))[1] == 0.0


def test_std_gradient_away_from_zero_spread_is_the_closed_form():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    for ddof in (0, 1):
        expected = (x - x.mean()) / ((x.size - ddof) * np.std(x, ddof=ddof))
        grad = cr.grad(lambda x, ddof=ddof: np.std(x, ddof=ddof))(x)
        np.testing.assert_allclose(grad, expected)


def test_var_and_std_take_numpys_positional_arguments():
    # np.var(a, axis, dtype, out, ddof, keepdims): the fifth is ddof, not keepdims.
    x = np.random.default_rng(5).normal(size=(3, 4))
    for reduce in (np.var, np.std):
        value = reduce(cr.Tensor(x), 1, None, None, 1, True).numpy()
        np.testing.assert_allclose(value, reduce(x, 1, None, None, 1, True))
    total = np.sum(cr.Tensor(x), 0, None, None, True).numpy()
    np.testing.assert_allclose(total, x.sum(0, keepdims=True))
